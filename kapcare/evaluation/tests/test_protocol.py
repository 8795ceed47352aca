"""The clinic's versioned protocol: shipped defaults with sources, new versions instead of edits,
validation that names each fault, and the admin's pages."""

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import default_rules, settings_table, validate_rules

REFERENCE = Path("/work/shared/reference/clinical.md")


def test_the_shipped_defaults_are_a_valid_protocol():
    assert validate_rules(default_rules()) == []


def test_every_default_rule_and_setting_names_its_section_and_citation():
    rules = default_rules()
    for entry in [*rules["screening"], *settings_table(rules)]:
        assert entry["source"]["section"].strip(), entry
        assert entry["source"]["citation"].strip(), entry
        assert isinstance(entry["unverified"], bool), entry


def test_values_the_reference_leaves_unset_are_null_and_marked_unverified():
    rules = default_rules()
    for path in ("vitals.alert_spo2_below", "discharge.score_minimum"):
        section, name = path.split(".")
        assert rules[section][name]["value"] is None
        assert rules[section][name]["unverified"] is True


def test_vital_sign_thresholds_are_marked_unverified_as_the_reference_says():
    # clinical.md 4.7: "No consensus numeric thresholds were verified."
    vitals = default_rules()["vitals"]
    assert all(entry["unverified"] for entry in vitals.values())


@pytest.mark.skipif(not REFERENCE.exists(), reason="the clinical reference sits beside the repository")
def test_every_cited_url_appears_in_the_clinical_reference():
    # Instrument facts (such as the CADSS-6 items) are cited from instruments.md beside it.
    text = REFERENCE.read_text() + REFERENCE.with_name("instruments.md").read_text()
    rules = default_rules()
    for entry in [*rules["screening"], *settings_table(rules)]:
        url = entry["source"].get("url")
        if url:
            assert url.split("?")[0].rstrip("/") in text, url


def test_a_clinic_gets_the_defaults_as_version_1_on_first_use(clinic):
    protocol = Protocol.active_for(clinic)
    assert (protocol.version, protocol.is_active) == (1, True)
    assert protocol.rules == default_rules()
    assert Protocol.active_for(clinic) == protocol


def test_changing_the_protocol_makes_a_new_version_and_keeps_the_old_one_unchanged(clinic, admin):
    first = Protocol.active_for(clinic)
    rules = default_rules()
    rules["integration"]["within_hours"]["value"] = 72
    second = Protocol.revise(clinic, rules, by=admin, note="Integration within three days")
    first.refresh_from_db()
    assert (second.version, second.is_active, first.is_active) == (2, True, False)
    assert first.rules["integration"]["within_hours"]["value"] == 48
    assert Protocol.active_for(clinic) == second


def test_a_protocol_version_is_never_edited_in_place(clinic):
    protocol = Protocol.active_for(clinic)
    protocol.rules = {}
    with pytest.raises(ValidationError, match="never edited"):
        protocol.save()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["screening"][0].update(level="maybe"), "screening[0] (under-18).level: must be one of"),
        (
            lambda r: r["screening"][1].update(source={}),
            "screening[1] (aneurysm-or-avm).source: give the source",
        ),
        (
            lambda r: r["screening"][2]["when"].update(fact="star_sign"),
            "'star_sign' is not a fact the evaluation",
        ),
        (
            lambda r: r["screening"][4]["when"]["any"][0].update(**{"is": "sometimes"}),
            "is not one of none, past, current",
        ),
        (lambda r: r["screening"][0]["when"].update(below="18"), "compare a number fact with a number"),
        (
            lambda r: r["routes"]["iv"]["bioavailability"].update(value=1.5),
            "routes.iv.bioavailability.value: 1.5 is not",
        ),
        (lambda r: r["vitals"].pop("hold_systolic_above"), "vitals.hold_systolic_above: missing"),
        (lambda r: r["screening"].append(dict(r["screening"][0])), "'under-18' is used by another rule"),
    ],
    ids=[
        "unknown-level",
        "missing-source",
        "unknown-fact",
        "unknown-value",
        "threshold-as-text",
        "bioavailability-above-1",
        "missing-hold-threshold",
        "duplicate-rule-id",
    ],
)
def test_an_invalid_protocol_is_refused_naming_where_and_what(change, message):
    rules = default_rules()
    change(rules)
    errors = validate_rules(rules)
    assert any(message in e for e in errors), errors


def test_the_protocol_page_shows_each_rule_with_its_source(signed_in, nurse, clinic):
    page = signed_in(nurse).get(reverse("evaluation:protocol")).content.decode()
    assert "Clinical protocol, version 1" in page
    assert "Benzodiazepine: may blunt the effect" in page
    assert "§4.6: J Clin Psychiatry 2017" in page
    assert ">Needs medical clearance</span>" in page
    assert "unverified" in page
    assert "Make a new version" not in page


def test_an_admin_makes_a_new_version_by_editing_the_json(signed_in, admin, clinic):
    client = signed_in(admin)
    page = client.get(reverse("evaluation:protocol_edit")).content.decode()
    assert "&quot;screening&quot;" in page
    rules = default_rules()
    rules["preparation"]["fasting_food_hours"]["value"] = 6
    response = client.post(
        reverse("evaluation:protocol_edit"), {"rules": json.dumps(rules), "note": "Fast 6 h"}
    )
    assert response.status_code == 302
    assert Protocol.active_for(clinic).rules["preparation"]["fasting_food_hours"]["value"] == 6


def test_invalid_json_shows_where_it_breaks_and_saves_nothing(signed_in, admin, clinic):
    response = signed_in(admin).post(
        reverse("evaluation:protocol_edit"), {"rules": '{"screening": [', "note": "x"}
    )
    assert re.search(r"This is not valid JSON: .* at line 1, column \d+", response.content.decode())
    assert Protocol.objects.filter(clinic=clinic).count() == 1


def test_each_validation_error_is_listed_and_nothing_is_saved(signed_in, admin, clinic):
    rules = default_rules()
    rules["screening"][0]["level"] = "maybe"
    rules["routes"]["im"]["bioavailability"]["value"] = 0
    response = signed_in(admin).post(
        reverse("evaluation:protocol_edit"), {"rules": json.dumps(rules), "note": "x"}
    )
    page = response.content.decode()
    assert "Nothing was saved." in page
    assert "Fix 2 problems" in page
    assert "routes.im.bioavailability.value: 0 is not a number above 0 and at most 1." in page
    assert Protocol.objects.filter(clinic=clinic).count() == 1
