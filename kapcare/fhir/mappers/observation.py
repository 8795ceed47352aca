"""Observation: vital signs from dosing sessions (US Core vital-signs profiles) and survey scores
(US Core Observation Screening Assessment). A vital sign POSTed here (blood pressure, heart rate,
respiratory rate, oxygen saturation or body temperature in Cel or [degF]) goes to the sessions
app's ingest, as from a monitor: a reading for the patient's dosing session in progress, taken
since check-in, or one from when they were in no session, kept as their history. With an
identifier a repeat post is kept once (200 with the reading kept); without one each post is a new
reading.

Survey scores are the total of each scored questionnaire whose instrument has a LOINC code for
its total, from kapcare.measures, with ids `survey-{response id}`; item scores are in the
QuestionnaireResponse the Observation derives from. Vital signs are described in vital_signs.py.
"""

from dataclasses import replace

from django.db.models import Q
from fhir.resources.R4B.observation import Observation as FhirObservation

from kapcare.fhir.mappers.vital_signs import (
    CODE_TEXT,
    VITAL_CODES,
    VITAL_PARTS,
    BodyWeight,
    observation_params,
)
from kapcare.fhir.registry import CompositeMapper, Include, Mapper
from kapcare.measures.fhir import US_CORE_SURVEY, observations
from kapcare.measures.models import Response

PREFIX = "survey-"
LOINC = "http://loinc.org"


class SurveyScores(Mapper):
    """The total scores of scored questionnaires (kapcare.measures Response)."""

    resource_type = "Observation"
    fhir_model = FhirObservation
    profile = US_CORE_SURVEY
    last_updated_field = "completed_at"
    patient_field = "patient_id"
    search_params = observation_params(
        patient="patient_id",
        codes=set(),
        category="survey",
        date="completed_at",
        identifier=False,
        encounter="",
        code_text=CODE_TEXT,
    )
    sorts = {"_id": "pk", "date": "completed_at", "_lastUpdated": "completed_at"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
        Include("encounter", "Encounter", ""),
        Include("derived-from", "QuestionnaireResponse", "pk"),
    )

    def __init__(self):
        # A score's code is its instrument's LOINC total code, looked up in the database.
        self.search_params = tuple(
            replace(param, build=score_code) if param.name == "code" else param
            for param in self.search_params
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


def score_code(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    if (bar and system not in ("", LOINC)) or code in VITAL_CODES:
        return Q(pk__in=[])  # a vital sign's code is no score's: no need to ask the database
    return Q(instrument__scoring__loinc__total__code=code)


class ObservationMapper(CompositeMapper):
    resource_type = "Observation"
    fhir_model = FhirObservation
    documentation = __doc__.split("\n\n")[0]
    creatable = True
    ingests = True
    patient_field = "patient_id"
    # Each part has its own; this one only says that _lastUpdated is searchable.
    last_updated_field = "recorded_at"
    members = (*VITAL_PARTS, BodyWeight(), SurveyScores())
    search_params = members[0].search_params
    sorts = members[0].sorts
    includes = members[0].includes
    profiles = tuple(part.profile for part in members)
