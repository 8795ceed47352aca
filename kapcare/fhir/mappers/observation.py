"""Observation: survey scores, the total of each scored questionnaire whose instrument has a LOINC
code for its total (US Core Observation Screening Assessment), from kapcare.measures; read-only.

Ids are `survey-{response id}`, leaving room for the vital signs of dosing sessions, which the
API does not serve yet. Item scores are in the QuestionnaireResponse the Observation derives from.
"""

from django.db.models import Q
from fhir.resources.R4B.observation import Observation as FhirObservation

from kapcare.fhir.registry import Include, Mapper, SearchParam
from kapcare.measures.fhir import US_CORE_SURVEY, observations
from kapcare.measures.models import Response

PREFIX = "survey-"
LOINC = "http://loinc.org"


def patient_filter(value: str, modifier: str, ctx) -> Q:
    target = value.removeprefix("Patient/")
    return Q(patient_id=target) if target.isdigit() else Q(pk__in=[])


def code_filter(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    if bar and system not in ("", LOINC):
        return Q(pk__in=[])
    return Q(instrument__scoring__loinc__total__code=code)


def category_filter(value: str, modifier: str, ctx) -> Q:
    code = value.rpartition("|")[2]
    return Q() if code == "survey" else Q(pk__in=[])


class ObservationMapper(Mapper):
    resource_type = "Observation"
    fhir_model = FhirObservation
    profile = US_CORE_SURVEY
    documentation = __doc__.split("\n\n")[0]
    last_updated_field = "completed_at"
    patient_field = "patient_id"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=patient_filter),
        SearchParam("subject", "reference", "The same as patient.", build=patient_filter),
        SearchParam(
            "code",
            "token",
            "The LOINC code of the score, for example http://loinc.org|44261-6.",
            build=code_filter,
        ),
        SearchParam(
            "category", "token", "survey (every Observation served today is one).", build=category_filter
        ),
        SearchParam(
            "date",
            "date",
            "When it was scored, with prefixes eq ne lt gt le ge sa eb.",
            fields=("completed_at",),
        ),
        SearchParam(
            "status",
            "token",
            "Always final.",
            build=lambda value, modifier, ctx: Q() if value == "final" else Q(pk__in=[]),
        ),
    )
    sorts = {"_id": "pk", "date": "completed_at", "_lastUpdated": "completed_at"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
        Include("derived-from", "QuestionnaireResponse", "pk"),
    )

    def queryset(self, clinic_id):
        return Response.objects.filter(
            clinic_id=clinic_id, total__isnull=False, instrument__scoring__loinc__total__code__isnull=False
        ).select_related("instrument")

    def id_for(self, pk) -> str:
        return f"{PREFIX}{pk}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix(PREFIX)
        return number if resource_id.startswith(PREFIX) and number.isdigit() else None

    def to_resource(self, response: Response) -> dict:
        total = observations(response)[0]
        total["id"] = self.id_for(response.pk)
        total["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{response.pk}"}]
        return total
