"""`kapcare screen FILE.json` prints the same findings as the staff app's screening."""

import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import default_rules
from kapcare.evaluation.tests.test_evaluation import form_data

# Cases the UI posts as a form and the command reads as JSON: the same clinical picture.
CASES = {
    "uncontrolled-hypertension-on-a-stimulant": (
        {
            "hypertension": "uncontrolled",
            "systolic_bp": "158",
            "diastolic_bp": "97",
            "medications-0-drug_class": "stimulant",
        },
        {
            "hypertension": "uncontrolled",
            "systolic_bp": 158,
            "diastolic_bp": 97,
            "medications": [{"name": "sertraline", "class": "stimulant", "dose": 100, "unit": "mg"}],
        },
    ),
    "recent-attempt-and-past-psychosis": (
        {"suicide_attempt": "true", "last_suicide_attempt": "2026-06-01", "psychosis": "past"},
        {"suicide_attempt": True, "last_suicide_attempt": "2026-06-01", "psychosis": "past"},
    ),
    "pregnant-on-lamotrigine-with-ketamine-allergy": (
        {"pregnant": "true", "medications-0-drug_class": "lamotrigine", "allergies-0-substance": "Ketamine"},
        {
            "pregnant": True,
            "medications": [{"name": "lamictal", "class": "lamotrigine", "dose": 100, "unit": "mg"}],
            "allergies": [{"substance": "Ketamine"}],
        },
    ),
}


def command_findings(tmp_path, document, *args):
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(document))
    out = tmp_path / "out.json"
    with out.open("w") as stream:
        call_command("screen", str(path), *args, stdout=stream)
    return json.loads(out.read_text())


def ui_rules(html: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", html)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_command_gives_the_same_findings_as_the_staff_app(signed_in, nurse, course, tmp_path, case):
    posted, document = CASES[case]
    html = (
        signed_in(nurse)
        .post(reverse("evaluation:screen", kwargs={"pk": course.pk}), form_data(**posted))
        .content.decode()
    )
    base = {"evaluated_on": "2026-11-20", "date_of_birth": course.patient.date_of_birth.isoformat()}
    from kapcare.evaluation.tests.factories import CLEAN_HISTORY

    clean = {k: float(v) if not isinstance(v, bool | int | str) else v for k, v in CLEAN_HISTORY.items()}
    result = command_findings(tmp_path, clean | base | document)
    assert result["protocol_version"] == Protocol.active_for(course.clinic).version
    assert [f["title"] for f in result["findings"]] == ui_rules(html)
    assert result["findings"], "each case should find something"


def test_the_command_uses_a_protocol_file_when_given_one(tmp_path, db):
    rules = default_rules()
    rules["screening"] = [r for r in rules["screening"] if r["id"] != "benzodiazepines"]
    protocol = tmp_path / "protocol.json"
    protocol.write_text(json.dumps(rules))
    document = {"medications": [{"name": "clonazepam", "class": "benzodiazepine", "dose": 0.5, "unit": "mg"}]}
    assert command_findings(tmp_path, document, "--protocol", str(protocol))["findings"] == []
    assert [f["rule"] for f in command_findings(tmp_path, document)["findings"]] == ["benzodiazepines"]


def test_the_command_names_what_is_wrong_with_an_invalid_evaluation(tmp_path, db):
    with pytest.raises(CommandError, match="weight_kg: Weight must be between 20 and 400 kg"):
        command_findings(tmp_path, {"weight_kg": 0})


def test_the_command_refuses_an_invalid_protocol_file(tmp_path, db):
    protocol = tmp_path / "protocol.json"
    protocol.write_text(json.dumps({"screening": [{"id": "x", "level": "maybe"}]}))
    with pytest.raises(CommandError, match="screening\\[0\\] \\(x\\).level: must be one of"):
        command_findings(tmp_path, {}, "--protocol", str(protocol))


def test_the_command_screens_a_list_of_evaluations(tmp_path, db):
    results = command_findings(tmp_path, [{"pregnant": True}, {}])
    assert [[f["rule"] for f in r["findings"]] for r in results] == [["pregnancy-or-lactation"], []]
