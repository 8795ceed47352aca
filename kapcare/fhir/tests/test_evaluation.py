"""Diagnoses and current medications from the evaluation, as Condition and MedicationStatement."""

from decimal import Decimal

import pytest
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement

from kapcare.evaluation.models import Diagnosis, Medication
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.fhir.tests.conftest import body


@pytest.fixture
def evaluation(course):
    return make_evaluation(course)


def test_a_diagnosis_reads_as_an_encounter_diagnosis_in_icd10cm(fhir, evaluation, patient):
    diagnosis = Diagnosis.objects.create(
        evaluation=evaluation, code="F33.2", description="Major depressive disorder, recurrent severe"
    )
    api = fhir()
    resource = body(api.get(f"Condition/{diagnosis.pk}"))
    Condition.model_validate(resource)
    assert resource["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "F33.2",
        "display": "Major depressive disorder, recurrent severe",
    }
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    assert body(api.get("Condition", {"patient": patient.pk, "code": "F33.2"}))["total"] == 1
    assert body(api.get("Condition", {"code": "http://snomed.info/sct|F33.2"}))["total"] == 0
    day = evaluation.evaluated_on.isoformat()
    assert body(api.get("Condition", {"recorded-date": day}))["total"] == 1
    assert body(api.get("Condition", {"recorded-date": f"gt{day}"}))["total"] == 0
    assert api.get("Condition", {"recorded-date": "soon"}).status_code == 400


def test_a_current_medication_reads_as_an_active_statement_with_its_dose(fhir, evaluation, patient):
    medication = Medication.objects.create(
        evaluation=evaluation,
        name="Sertraline",
        drug_class="ssri",
        dose=Decimal("50"),
        unit="mg",
        frequency="once a day",
    )
    resource = body(fhir().get(f"MedicationStatement/{medication.pk}"))
    MedicationStatement.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["medicationCodeableConcept"] == {"text": "Sertraline"}
    assert resource["dosage"][0]["doseAndRate"][0]["doseQuantity"] == {
        "value": 50,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert resource["dosage"][0]["text"] == "50 mg, once a day"


def test_patient_scopes_reach_only_their_own_diagnoses(fhir, evaluation, patient, clinic):
    from kapcare.patients.models import Patient

    diagnosis = Diagnosis.objects.create(evaluation=evaluation, code="F33.2")
    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    assert fhir("patient/*.read", patient=other).get(f"Condition/{diagnosis.pk}").status_code == 404
    assert fhir("patient/*.read", patient=patient).get(f"Condition/{diagnosis.pk}").status_code == 200


def test_the_patient_is_included_with_their_conditions(fhir, evaluation, patient):
    Diagnosis.objects.create(evaluation=evaluation, code="F33.2")
    bundle = body(fhir().get("Condition", {"_include": "Condition:patient"}))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Condition", "Patient"]
