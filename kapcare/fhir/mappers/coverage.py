"""Coverage: a patient's insurance as the clinic recorded it (kapcare.coverage.Coverage), read-only.

Coverage is kept up to date by the front office and checked with 270/271 in kapcare; the API only
reads it. status is active for current coverage and cancelled for coverage that was replaced;
the plan type (PPO, HMO, Medicare, ...) is given in words; the payer is named with its payer ID
rather than referenced, as the API does not serve Organization yet.
"""

from django.db.models import Q
from fhir.resources.R4B.coverage import Coverage as FhirCoverage

from kapcare.coverage.models import Coverage
from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter

US_CORE_COVERAGE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"

PATIENT = patient_filter("patient_id")


def status_filter(value: str, modifier: str, ctx) -> Q:
    return {"active": Q(is_active=True), "cancelled": Q(is_active=False)}.get(value, Q(pk__in=[]))


class CoverageMapper(Mapper):
    resource_type = "Coverage"
    fhir_model = FhirCoverage
    profile = US_CORE_COVERAGE
    documentation = __doc__.split("\n\n")[0]
    patient_field = "patient_id"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("beneficiary", "reference", "The same as patient.", build=PATIENT),
        SearchParam("status", "token", "active (current) or cancelled (replaced).", build=status_filter),
    )
    sorts = {"_id": "pk"}
    includes = (Include("beneficiary", "Patient", "patient_id"), Include("patient", "Patient", "patient_id"))

    def queryset(self, clinic_id):
        return Coverage.objects.filter(clinic_id=clinic_id).select_related("payer")

    def to_resource(self, coverage: Coverage) -> dict:
        resource = {
            "resourceType": "Coverage",
            "id": str(coverage.pk),
            "meta": {"profile": [US_CORE_COVERAGE]},
            "identifier": [
                {
                    "type": {"coding": [{"system": V2_0203, "code": "MB", "display": "Member Number"}]},
                    "value": coverage.member_id,
                }
            ],
            "status": "active" if coverage.is_active else "cancelled",
            "type": {"text": coverage.get_plan_type_display()},
            "subscriberId": coverage.member_id,
            "beneficiary": {"reference": f"Patient/{coverage.patient_id}"},
            "relationship": {"coding": [{"system": RELATIONSHIP, "code": coverage.relationship}]},
            "payor": [payor(coverage.payer)],
            "order": 1 if coverage.priority == "primary" else 2,
        }
        if coverage.is_dependent:
            name = f"{coverage.subscriber_first_name} {coverage.subscriber_last_name}".strip()
            resource["subscriber"] = {"display": name}
        period = {"start": coverage.effective_from, "end": coverage.effective_to}
        if any(period.values()):
            resource["period"] = {key: day.isoformat() for key, day in period.items() if day}
        if coverage.group_number:
            resource["class"] = [
                {
                    "type": {"coding": [{"system": COVERAGE_CLASS, "code": "group"}]},
                    "value": coverage.group_number,
                }
            ]
        return resource


def payor(payer) -> dict:
    reference = {"display": payer.name}
    if payer.payer_id:
        reference["identifier"] = {"value": payer.payer_id}
    return reference
