"""Coverage: a patient's insurance, read-only."""

from datetime import date

import pytest
from fhir.resources.R4B.coverage import Coverage as FhirCoverage

from kapcare.coverage.models import Coverage, Payer
from kapcare.fhir.tests.conftest import body


@pytest.fixture
def coverage(clinic, patient):
    payer = Payer.objects.create(clinic=clinic, name="Harbor Health Plan", payer_id="HHP01")
    return Coverage.objects.create(
        clinic=clinic,
        patient=patient,
        payer=payer,
        plan_type="ppo",
        member_id="XJH123456789",
        group_number="G-4410",
        relationship="child",
        subscriber_first_name="Rowan",
        subscriber_last_name="Quillfeather",
        subscriber_date_of_birth=date(1960, 5, 1),
        effective_from=date(2026, 1, 1),
    )


def test_coverage_reads_as_a_valid_coverage(fhir, coverage, patient):
    resource = body(fhir().get(f"Coverage/{coverage.pk}"))
    FhirCoverage.model_validate(resource)
    assert resource["status"] == "active" and resource["subscriberId"] == "XJH123456789"
    assert resource["beneficiary"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["relationship"]["coding"][0]["code"] == "child"
    assert resource["payor"] == [{"display": "Harbor Health Plan", "identifier": {"value": "HHP01"}}]
    assert resource["class"][0]["value"] == "G-4410" and resource["period"] == {"start": "2026-01-01"}
    assert resource["subscriber"] == {"display": "Rowan Quillfeather"}


def test_replaced_coverage_is_cancelled(fhir, coverage, patient):
    Coverage.objects.filter(pk=coverage.pk).update(is_active=False)
    api = fhir()
    assert body(api.get(f"Coverage/{coverage.pk}"))["status"] == "cancelled"
    assert body(api.get("Coverage", {"patient": patient.pk, "status": "active"}))["total"] == 0
    assert body(api.get("Coverage", {"beneficiary": f"Patient/{patient.pk}"}))["total"] == 1


def test_coverage_cannot_be_written_through_the_api(fhir, coverage):
    assert fhir().post("Coverage", {"resourceType": "Coverage"}).status_code == 405
