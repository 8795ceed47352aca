"""Condition: a diagnosis recorded at the evaluation (kapcare.evaluation.Diagnosis), read-only.

Each is an ICD-10-CM code from the current code set, made at the patient's evaluation, so the
category is encounter-diagnosis and recordedDate the evaluation's date. kapcare does not track
whether a diagnosis later resolves, so there is no clinicalStatus.
"""

from django.db.models import Q
from fhir.resources.R4B.condition import Condition as FhirCondition

from kapcare.evaluation.models import Diagnosis
from kapcare.fhir.registry import Include, Mapper, SearchParam

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def patient_filter(value: str, modifier: str, ctx) -> Q:
    target = value.removeprefix("Patient/")
    return Q(evaluation__patient_id=target) if target.isdigit() else Q(pk__in=[])


def code_filter(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    return Q(pk__in=[]) if bar and system not in ("", ICD10CM) else Q(code__iexact=code)


class ConditionMapper(Mapper):
    resource_type = "Condition"
    fhir_model = FhirCondition
    profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis"
    documentation = __doc__.split("\n\n")[0]
    patient_field = "evaluation__patient_id"
    last_updated_field = "evaluation__updated_at"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=patient_filter),
        SearchParam("subject", "reference", "The same as patient.", build=patient_filter),
        SearchParam(
            "code",
            "token",
            "The ICD-10-CM code, for example http://hl7.org/fhir/sid/icd-10-cm|F33.2.",
            build=code_filter,
        ),
        SearchParam(
            "recorded-date",
            "date",
            "The evaluation's date, with prefixes.",
            fields=("evaluation__evaluated_on",),
        ),
    )
    sorts = {"_id": "pk", "recorded-date": "evaluation__evaluated_on"}
    includes = (
        Include("patient", "Patient", "evaluation__patient_id"),
        Include("subject", "Patient", "evaluation__patient_id"),
    )

    def queryset(self, clinic_id):
        return Diagnosis.objects.filter(evaluation__clinic_id=clinic_id).select_related("evaluation")

    def to_resource(self, diagnosis: Diagnosis) -> dict:
        coding = {"system": ICD10CM, "code": diagnosis.code}
        if diagnosis.description:
            coding["display"] = diagnosis.description
        return {
            "resourceType": "Condition",
            "id": str(diagnosis.pk),
            "category": [
                {
                    "coding": [
                        {"system": CATEGORY, "code": "encounter-diagnosis", "display": "Encounter Diagnosis"}
                    ]
                }
            ],
            "code": {
                "coding": [coding],
                **({"text": diagnosis.description} if diagnosis.description else {}),
            },
            "subject": {"reference": f"Patient/{diagnosis.evaluation.patient_id}"},
            "recordedDate": diagnosis.evaluation.evaluated_on.isoformat(),
        }
