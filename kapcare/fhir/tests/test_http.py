"""HTTP: JSON only with _format honoured, errors as OperationOutcomes, the CapabilityStatement."""

import json

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from kapcare.fhir.tests.conftest import body, issues
from tests.conformance import FOLDER as CONFORMANCE


def test_metadata_is_a_valid_capability_statement_listing_only_what_is_served(client):
    response = client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = body(response)
    CapabilityStatement.model_validate(statement)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert sorted(resources) == [
        "AdverseEvent",
        "Appointment",
        "Condition",
        "Consent",
        "Coverage",
        "Encounter",
        "Group",
        "MedicationAdministration",
        "MedicationStatement",
        "Observation",
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
    ]
    assert resources["QuestionnaireResponse"]["searchInclude"] == [
        "QuestionnaireResponse:patient",
        "QuestionnaireResponse:subject",
        "QuestionnaireResponse:author",
        "QuestionnaireResponse:questionnaire",
    ]
    patient = resources["Patient"]
    assert {i["code"] for i in patient["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "history-type",
        "search-type",
        "create",
        "update",
    }
    assert {p["name"] for p in patient["searchParam"]} == {
        "_id",
        "_lastUpdated",
        "identifier",
        "name",
        "family",
        "given",
        "gender",
        "birthdate",
    }
    assert {i["code"] for i in resources["Practitioner"]["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "history-type",
        "search-type",
    }


@pytest.mark.parametrize("fmt", ["json", "application/fhir+json", "application/json"])
def test_json_formats_are_served(fhir, patient, fmt):
    assert fhir().get(f"Patient/{patient.pk}", {"_format": fmt}).status_code == 200


@pytest.mark.parametrize("fmt", ["xml", "application/fhir+xml", "html"])
def test_other_formats_are_refused_with_406(fhir, patient, fmt):
    response = fhir().get(f"Patient/{patient.pk}", {"_format": fmt})
    assert response.status_code == 406
    assert "JSON only" in issues(response)[0]["diagnostics"]


def test_an_accept_header_without_json_is_refused(fhir, patient):
    assert fhir().get(f"Patient/{patient.pk}", HTTP_ACCEPT="application/fhir+xml").status_code == 406
    assert (
        fhir().get(f"Patient/{patient.pk}", HTTP_ACCEPT="application/fhir+xml, */*;q=0.1").status_code == 200
    )


def test_a_body_that_is_not_json_is_a_400(fhir):
    api = fhir()
    response = api.client.post(
        "/fhir/R4/Patient",
        "{not json",
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {api.secret}",
    )
    assert response.status_code == 400 and "not JSON" in issues(response)[0]["diagnostics"]


def test_a_body_in_another_media_type_is_a_415(fhir):
    api = fhir()
    response = api.client.post(
        "/fhir/R4/Patient",
        "<Patient/>",
        content_type="application/fhir+xml",
        HTTP_AUTHORIZATION=f"Bearer {api.secret}",
    )
    assert response.status_code == 415


def test_a_method_not_offered_is_a_405_with_allow(fhir, patient):
    response = fhir().delete(f"Patient/{patient.pk}")
    assert response.status_code == 405 and response["Allow"] == "GET, PUT"


def test_a_type_not_served_is_a_404_naming_what_is(fhir):
    response = fhir().get("Claim")
    assert response.status_code == 404
    assert "does not serve Claim" in issues(response)[0]["diagnostics"]


def test_an_unknown_address_is_an_operation_outcome(client):
    response = client.get("/fhir/R4/no/such/thing/here")
    assert response.status_code == 404 and issues(response)[0]["code"] == "not-found"


def test_pretty_printing_on_request(fhir, patient):
    assert b"\n  " in fhir().get(f"Patient/{patient.pk}", {"_pretty": "true"}).content


def test_prefer_return_minimal_leaves_out_the_body(fhir):
    response = fhir().post(
        "Patient",
        {"resourceType": "Patient", "name": [{"family": "A", "given": ["B"]}], "birthDate": "1990-01-01"},
        HTTP_PREFER="return=minimal",
    )
    assert response.status_code == 201 and response.content == b"" and response["Location"]


def test_conditional_create_returns_the_existing_patient(fhir, patient):
    response = fhir().post(
        "Patient",
        {"resourceType": "Patient", "name": [{"family": "A", "given": ["B"]}], "birthDate": "1990-01-01"},
        HTTP_IF_NONE_EXIST="identifier=K000001",
    )
    assert response.status_code == 200 and body(response)["id"] == str(patient.pk)


def test_conditional_create_matching_several_patients_is_refused(fhir, patient, clinic):
    from kapcare.patients.models import Patient

    Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ann",
        legal_last_name="Quillfeather",
        date_of_birth="1990-01-01",
        sex_at_birth="unknown",
    )
    response = fhir().post(
        "Patient",
        {"resourceType": "Patient", "name": [{"family": "A", "given": ["B"]}], "birthDate": "1990-01-01"},
        HTTP_IF_NONE_EXIST="family=Quillfeather",
    )
    assert response.status_code == 412 and Patient.objects.count() == 2


def test_an_element_sent_in_the_wrong_shape_is_named_at_its_fhir_path(fhir):
    # A test fixture of another FHIR implementer (tests/conformance/README.md), as published: its
    # identifier is a list where R4 has one Identifier. The answer said where in pydantic's terms
    # (QuestionnaireResponse.identifier.root) and what in Python's (<class 'list'>).
    fixture = json.loads((CONFORMANCE / "inferno" / "QuestionnaireResponse.json").read_text())
    response = fhir().post("QuestionnaireResponse", fixture)
    assert response.status_code == 400
    [said] = issues(response)
    assert said["expression"] == ["QuestionnaireResponse.identifier"]
    assert said["diagnostics"] == (
        "QuestionnaireResponse.identifier: one Identifier is expected here, not a list."
    )
