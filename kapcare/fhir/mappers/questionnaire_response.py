"""QuestionnaireResponse: a completed, scored instrument (kapcare.measures.Response), read-only.

kapcare.measures gives the resource (US Core QuestionnaireResponse, answers coded as the
instrument codes them); this mapper puts it at kapcare's own id and points `questionnaire` at the
instrument's canonical URL. Responses are scored as they are stored, so they are recorded in
kapcare (by link or in clinic), not posted through the API.
"""

from django.db.models import Q
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse

from kapcare.fhir.registry import Include, Mapper, SearchParam
from kapcare.measures.fhir import questionnaire_response
from kapcare.measures.models import Response


def reference_filter(kind: str, field: str):
    def build(value: str, modifier: str, ctx) -> Q:
        target = value.removeprefix(f"{kind}/")
        return Q(**{field: target}) if target.isdigit() else Q(pk__in=[])

    return build


def questionnaire_filter(value: str, modifier: str, ctx) -> Q:
    if value.startswith("Questionnaire/"):
        return reference_filter("Questionnaire", "instrument_id")(value, modifier, ctx)
    url, _, version = value.partition("|")
    query = Q(instrument__questionnaire__url=url)
    return query & Q(instrument__questionnaire__version=version) if version else query


class QuestionnaireResponseMapper(Mapper):
    resource_type = "QuestionnaireResponse"
    fhir_model = FhirQuestionnaireResponse
    profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"
    documentation = __doc__.split("\n\n")[0]
    last_updated_field = "completed_at"
    patient_field = "patient_id"
    search_params = (
        SearchParam(
            "patient",
            "reference",
            "The patient: Patient/{id} or {id}.",
            build=reference_filter("Patient", "patient_id"),
        ),
        SearchParam(
            "subject", "reference", "The same as patient.", build=reference_filter("Patient", "patient_id")
        ),
        SearchParam(
            "authored",
            "date",
            "When it was completed, with prefixes eq ne lt gt le ge sa eb.",
            fields=("completed_at",),
        ),
        SearchParam(
            "questionnaire",
            "reference",
            "The instrument: its canonical URL or Questionnaire/{id}.",
            build=questionnaire_filter,
        ),
        SearchParam(
            "status",
            "token",
            "Always completed: kapcare keeps only completed responses.",
            build=lambda value, modifier, ctx: Q() if value == "completed" else Q(pk__in=[]),
        ),
    )
    sorts = {"_id": "pk", "authored": "completed_at", "_lastUpdated": "completed_at"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
        Include("author", "Practitioner", "entered_by_id"),
        Include("questionnaire", "Questionnaire", "instrument_id"),
    )

    def queryset(self, clinic_id):
        return Response.objects.filter(clinic_id=clinic_id).select_related("instrument")

    def to_resource(self, response: Response) -> dict:
        resource = questionnaire_response(response)
        resource["id"] = str(response.pk)
        return resource
