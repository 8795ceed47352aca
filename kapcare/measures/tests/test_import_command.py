"""`kapcare import-questionnaire FILE --clinic SHORT`: imports, reports item by item, binds to the
shipped scoring definition when it is the same instrument, and refuses what is not a Questionnaire."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kapcare.measures.models import Instrument, record_response
from kapcare.measures.tests.responses import FIXTURES
from tests.conformance import US_CORE

PHQ_9 = US_CORE / "Questionnaire-phq-9-example.json"


def run(*args) -> str:
    out = StringIO()
    call_command("import-questionnaire", *args, stdout=out)
    return out.getvalue()


def test_an_lhc_forms_phq9_is_imported_and_scored_with_the_shipped_definition(clinic, patient):
    out = run(str(FIXTURES / "lhc-phq-9.questionnaire.json"), "--clinic", "riverside")
    instrument = Instrument.objects.get(clinic=clinic)
    assert instrument.name == "phq-9" and not instrument.is_shipped and instrument.can_score
    assert "Scored with kapcare's Patient Health Questionnaire-9 (PHQ-9) definition." in out
    assert "scored as Item 9" in out
    definition = instrument.definition()
    answers = {item.answer_key: item.options[1].key for item in definition.items}
    response = record_response(instrument, patient, answers, via="link")
    assert response.total == 9


def test_a_clinic_with_the_shipped_phq9_keeps_it_and_gets_the_import_beside_it(instruments, clinic):
    run(str(FIXTURES / "lhc-gad-7.questionnaire.json"), "--clinic", "riverside")
    assert clinic.instruments.get(name="gad-7").is_shipped
    imported = clinic.instruments.get(is_shipped=False)
    assert imported.name == "gad-7-imported"
    assert imported.scoring["instrument"] == "gad-7"


def test_what_it_cannot_understand_is_reported_item_by_item_and_kept(clinic):
    out = run(str(FIXTURES / "surprises.questionnaire.json"), "--clinic", "riverside")
    assert "  item photo: attachment" in out
    assert "    warning: item type 'attachment' is not supported" in out
    assert "    warning: modifier extension" in out
    assert "Not scored:" in out and "cannot be assigned" in out
    instrument = Instrument.objects.get(clinic=clinic)
    assert {i["kind"] for i in instrument.import_report} >= {"unsupported-type", "unknown-modifier"}
    assert not Instrument.objects.assignable().filter(pk=instrument.pk).exists()


def test_the_us_core_phq9_example_binds_by_its_loinc_code(clinic):
    out = run(str(PHQ_9), "--clinic", "riverside", "--name", "us-core-phq-9")
    assert "Scored with kapcare's" in out
    assert Instrument.objects.get(name="us-core-phq-9").scoring["instrument"] == "phq-9"


def test_a_file_that_is_not_a_questionnaire_is_refused_and_nothing_stored(clinic, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"resourceType": "Patient"}))
    with pytest.raises(CommandError, match="not a FHIR Questionnaire"):
        run(str(path), "--clinic", "riverside")
    path.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        run(str(path), "--clinic", "riverside")
    assert not Instrument.objects.exists()


def test_an_unknown_clinic_is_refused(db):
    with pytest.raises(CommandError, match="No clinic with the short name 'nowhere'"):
        run(str(FIXTURES / "lhc-phq-9.questionnaire.json"), "--clinic", "nowhere")
