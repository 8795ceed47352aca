"""Conditions recorded elsewhere (another clinic's problem list, an imported record), created
through the API and served beside the evaluation's diagnoses as Condition."""

import json

import pytest
from fhir.resources.R4B.condition import Condition

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Diagnosis, OutsideCondition
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.fhir.models import ResourceVersion
from kapcare.fhir.tests.conftest import body, issues
from tests.conformance import US_CORE

PROBLEM = "Condition-condition-duodenal-ulcer.json"
ENCOUNTER = "Condition-encounter-diagnosis-example1.json"
SNOMED = "http://snomed.info/sct"


def published(name):
    """A US Core example Condition as published (tests/conformance/README.md)."""
    return json.loads((US_CORE / name).read_text())


def new_patient(api) -> str:
    created = api.post("Patient", json.loads((US_CORE / "patient-example.json").read_text()))
    assert created.status_code == 201, created.content
    return body(created)["id"]


def for_patient(example, patient_id):
    return example | {"subject": {"reference": f"Patient/{patient_id}"}}


def test_the_published_problem_list_condition_posted_for_a_new_patient_reads_back_equivalent(fhir):
    api = fhir()
    patient_id = new_patient(api)
    example = for_patient(published(PROBLEM), patient_id)
    created = api.post("Condition", example)
    assert created.status_code == 201, created.content
    condition_id = body(created)["id"]
    assert condition_id.startswith("outside-")
    resource = body(api.get(f"Condition/{condition_id}"))
    Condition.model_validate(resource)
    assert resource["code"] == example["code"]  # the SNOMED CT coding, its version and text as sent
    for element in ("clinicalStatus", "verificationStatus"):
        assert resource[element]["coding"][0]["code"] == example[element]["coding"][0]["code"]
        assert resource[element]["coding"][0]["display"] == example[element]["coding"][0]["display"]
    assert resource["category"][0]["coding"] == example["category"][0]["coding"]
    assert resource["recordedDate"] == "2016-08-10T07:15:07-08:00"
    assert resource["subject"] == {"reference": f"Patient/{patient_id}"}
    assert resource["meta"]["profile"] == example["meta"]["profile"]
    assert resource["meta"] == body(created)["meta"] and resource["meta"]["versionId"] == "1"
    kept = OutsideCondition.objects.get()
    assert (kept.system, kept.code, kept.clinical_status, kept.category) == (
        SNOMED,
        "51868009",
        "active",
        "problem-list-item",
    )
    assert kept.source == "registry feed"
    assert ResourceVersion.objects.filter(resource_type="Condition", resource_id=condition_id).count() == 1
    assert AuditEvent.objects.filter(
        action="create", patient_id=int(patient_id), detail__fhir=f"Condition/{condition_id}"
    ).exists()


def test_onset_and_abatement_are_kept_as_sent_and_what_is_not_kept_is_said(fhir):
    api = fhir()
    patient_id = new_patient(api)
    example = for_patient(published(ENCOUNTER), patient_id)
    created = api.post("Condition", example, HTTP_PREFER="return=OperationOutcome")
    assert created.status_code == 201, created.content
    said = {item["diagnostics"] for item in issues(created)}
    assert "Condition.extension was not kept: kapcare does not record it." in said  # its assertedDate
    assert "Condition.encounter was not kept: kapcare does not record it." in said
    condition_id = created["Location"].split("/Condition/")[1].split("/")[0]
    resource = body(api.get(f"Condition/{condition_id}"))
    assert (resource["onsetDateTime"], resource["abatementDateTime"]) == ("2015-10-31", "2015-12-01")
    assert resource["recordedDate"] == "2015-11-01"
    assert resource["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resource["category"][0]["coding"][0]["code"] == "encounter-diagnosis"


def test_a_partial_onset_is_kept_as_partial_and_found_by_its_year(fhir, patient):
    api = fhir()
    example = for_patient(published(PROBLEM), patient.pk) | {"onsetDateTime": "2009"}
    condition_id = body(api.post("Condition", example))["id"]
    assert body(api.get(f"Condition/{condition_id}"))["onsetDateTime"] == "2009"
    assert body(api.get("Condition", {"onset-date": "2009"}))["total"] == 1
    assert body(api.get("Condition", {"onset-date": "ge2010"}))["total"] == 0


def test_a_condition_for_someone_not_a_patient_of_the_clinic_is_refused_and_nothing_kept(fhir, other_clinic):
    from kapcare.patients.models import Patient

    api = fhir()
    outsider = Patient.objects.create(
        clinic=other_clinic,
        mrn="X1",
        legal_first_name="Ola",
        legal_last_name="Berg",
        date_of_birth="1980-01-01",
    )
    for reference in (f"Patient/{outsider.pk}", "Patient/999999", "Group/1"):
        response = api.post("Condition", published(PROBLEM) | {"subject": {"reference": reference}})
        assert response.status_code == 422, response.content
        problem = issues(response)[0]
        assert problem["expression"] == ["Condition.subject"]
        assert "a patient of this clinic" in problem["diagnostics"]
    assert not OutsideCondition.objects.exists()
    assert not ResourceVersion.objects.filter(resource_type="Condition").exists()


def test_a_condition_kapcare_cannot_keep_as_sent_is_refused_saying_why(fhir, patient):
    api = fhir()
    loinc_only = for_patient(published(PROBLEM), patient.pk) | {
        "code": {"coding": [{"system": "http://loinc.org", "code": "1234-5"}]}
    }
    response = api.post("Condition", loinc_only)
    assert response.status_code == 422
    assert "SNOMED CT" in issues(response)[0]["diagnostics"]
    assert issues(response)[0]["expression"] == ["Condition.code.coding"]
    unknown_status = for_patient(published(PROBLEM), patient.pk) | {
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "cured"}
            ]
        }  # noqa: E501
    }
    response = api.post("Condition", unknown_status)
    assert response.status_code == 422
    assert issues(response)[0]["expression"] == ["Condition.clinicalStatus.coding"]
    assert api.post("Condition", {"resourceType": "Condition", "subject": 5}).status_code == 400
    assert not OutsideCondition.objects.exists()


@pytest.fixture
def mixed(fhir, course, patient):
    """One diagnosis of the evaluation and two conditions from elsewhere, for one patient."""
    Diagnosis.objects.create(
        evaluation=make_evaluation(course), code="F33.2", description="MDD, recurrent severe"
    )
    api = fhir()
    api.post("Condition", for_patient(published(PROBLEM), patient.pk))
    api.post("Condition", for_patient(published(ENCOUNTER), patient.pk))
    return api


def test_search_finds_diagnoses_and_conditions_from_elsewhere_by_their_parameters(mixed, patient):
    def total(**params):
        response = mixed.get("Condition", params)
        assert response.status_code == 200, response.content
        return body(response)["total"]

    assert total(patient=patient.pk) == 3
    assert total(patient=patient.pk + 1000) == 0
    assert total(code=f"{SNOMED}|51868009") == 1
    assert total(code="51868009") == 1
    assert total(code="http://hl7.org/fhir/sid/icd-10-cm|51868009") == 0
    assert total(code="F33.2") == 1
    assert total(**{"clinical-status": "active"}) == 1
    assert total(**{"clinical-status": "resolved,active"}) == 2
    assert total(category="problem-list-item") == 1
    assert total(category="encounter-diagnosis") == 2  # the evaluation's diagnosis and one sent so
    assert total(**{"onset-date": "2015-10-31"}) == 1
    assert total(**{"onset-date": "lt2015"}) == 0
    assert total(**{"recorded-date": "2016-08-10"}) == 1
    ordered = body(mixed.get("Condition", {"_sort": "recorded-date"}))
    assert [e["resource"].get("recordedDate", "")[:10] for e in ordered["entry"]][:2] == [
        "2015-11-01",
        "2016-08-10",
    ]
    included = body(mixed.get("Condition", {"code": "51868009", "_include": "Condition:patient"}))
    assert [e["resource"]["resourceType"] for e in included["entry"]] == ["Condition", "Patient"]


def test_a_patient_scoped_token_reads_only_its_patients_conditions(fhir, patient, mixed, clinic):
    from kapcare.patients.models import Patient

    condition_id = f"outside-{OutsideCondition.objects.first().pk}"
    other = Patient.objects.create(
        clinic=clinic, mrn="X2", legal_first_name="Ada", legal_last_name="Lind", date_of_birth="1970-01-01"
    )
    assert fhir("patient/*.read", patient=other).get(f"Condition/{condition_id}").status_code == 404
    assert fhir("patient/*.read", patient=patient).get(f"Condition/{condition_id}").status_code == 200
    assert fhir("patient/*.read", patient=patient).post("Condition", published(PROBLEM)).status_code == 403


def test_a_conditional_create_gives_back_the_condition_kept_before(fhir, patient):
    api = fhir()
    example = for_patient(published(PROBLEM), patient.pk)
    first = api.post("Condition", example)
    again = api.post("Condition", example, HTTP_IF_NONE_EXIST=f"patient={patient.pk}&code={SNOMED}|51868009")
    assert again.status_code == 200, again.content
    assert body(again)["id"] == body(first)["id"]
    assert OutsideCondition.objects.count() == 1


def test_the_capability_statement_says_conditions_can_be_created(fhir):
    statement = body(fhir().get("metadata"))
    condition = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Condition")
    assert {"code": "create"} in condition["interaction"]
    assert {"read", "search-type"} <= {i["code"] for i in condition["interaction"]}
    names = {param["name"] for param in condition["searchParam"]}
    assert {"patient", "code", "category", "clinical-status", "onset-date"} <= names
    assert any(
        p.endswith("us-core-condition-problems-health-concerns") for p in condition["supportedProfile"]
    )


def test_a_condition_from_elsewhere_has_its_version_history_beside_the_diagnoses(fhir, patient, mixed):
    condition_id = f"outside-{OutsideCondition.objects.first().pk}"
    assert body(mixed.get(f"Condition/{condition_id}/_history/1"))["id"] == condition_id
    assert body(mixed.get(f"Condition/{condition_id}/_history"))["total"] == 1
    assert mixed.get(f"Condition/{condition_id}/_history/2").status_code == 404
    history = body(mixed.get("Condition/_history"))
    assert {e["resource"]["id"] for e in history["entry"]} >= {condition_id}
