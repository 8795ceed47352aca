"""Questionnaires and completed responses from kapcare.measures, read-only, with _include."""

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapcare.fhir.tests.conftest import body
from kapcare.measures.models import install_shipped, record_response
from kapcare.measures.tests.conftest import phq9_answers


@pytest.fixture
def phq9(clinic):
    return next(i for i in install_shipped(clinic) if i.name == "phq-9")


@pytest.fixture
def response(phq9, patient, nurse):
    return record_response(phq9, patient, phq9_answers([2, 2, 2, 2, 1, 1, 1, 1, 0]), via="clinic", by=nurse)


def test_an_installed_questionnaire_reads_as_a_valid_questionnaire(fhir, phq9):
    resource = body(fhir().get(f"Questionnaire/{phq9.pk}"))
    Questionnaire.model_validate(resource)
    assert resource["id"] == str(phq9.pk) and resource["url"] == "urn:kapcare:questionnaire:phq-9"
    assert body(fhir().get("Questionnaire", {"url": "urn:kapcare:questionnaire:phq-9"}))["total"] == 1


def test_a_completed_response_reads_as_a_us_core_questionnaire_response(fhir, response, patient, nurse):
    resource = body(fhir().get(f"QuestionnaireResponse/{response.pk}"))
    QuestionnaireResponse.model_validate(resource)
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["author"] == {"reference": f"Practitioner/{nurse.pk}"}
    assert resource["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6570-1"


def test_responses_are_searched_by_patient_and_date(fhir, response, patient, clinic):
    api = fhir()
    assert body(api.get("QuestionnaireResponse", {"patient": f"Patient/{patient.pk}"}))["total"] == 1
    assert body(api.get("QuestionnaireResponse", {"subject": "999999"}))["total"] == 0
    day = response.completed_at.date().isoformat()
    assert body(api.get("QuestionnaireResponse", {"authored": day}))["total"] == 1
    assert body(api.get("QuestionnaireResponse", {"authored": f"gt{day}"}))["total"] == 0


def test_include_brings_the_patient_and_the_author(fhir, response, patient, nurse):
    bundle = body(
        fhir().get(
            "QuestionnaireResponse",
            {"_include": ["QuestionnaireResponse:subject", "QuestionnaireResponse:author"]},
        )
    )
    kinds = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert kinds == [("QuestionnaireResponse", "match"), ("Patient", "include"), ("Practitioner", "include")]
    assert bundle["total"] == 1


def test_a_patient_level_export_holds_their_responses(fhir, response):
    api = fhir()
    status = api.get("Patient/$export", HTTP_PREFER="respond-async")["Content-Location"]
    manifest = body(api.client.get(status, HTTP_AUTHORIZATION=f"Bearer {api.secret}"))
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts == {"Patient": 1, "QuestionnaireResponse": 1}


def test_patient_scopes_reach_only_their_own_responses(fhir, response, patient, clinic, phq9):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    theirs = record_response(phq9, other, phq9_answers([0] * 9), via="link")
    api = fhir("patient/*.read", patient=other)
    assert api.get(f"QuestionnaireResponse/{response.pk}").status_code == 404
    assert api.get(f"QuestionnaireResponse/{theirs.pk}").status_code == 200


def test_responses_cannot_be_posted(fhir, patient):
    response = fhir().post(
        "QuestionnaireResponse", {"resourceType": "QuestionnaireResponse", "status": "completed"}
    )
    assert response.status_code == 405
