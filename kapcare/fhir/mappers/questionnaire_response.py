"""QuestionnaireResponse: a completed, scored instrument (kapcare.measures.Response).

kapcare.measures gives the resource (US Core QuestionnaireResponse, answers coded as the
instrument codes them); this mapper puts it at kapcare's own id. A POSTed response is scored and
stored as one entered in clinic (kapcare.measures.record_response, which also raises any safety
alert): it must be completed, name a Questionnaire this clinic has (by canonical URL), a patient
of the clinic as subject and a member of its clinical staff as author (kapcare records who
entered answers). Responses are never changed afterwards, so there is no update.
"""

from django.db.models import Q
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse

from kapcare.fhir.errors import FhirError, issue
from kapcare.fhir.registry import Include, Mapper, SearchParam, registry
from kapcare.measures.fhir import questionnaire_response
from kapcare.measures.models import EnteredVia, Instrument, Response, record_response
from kapcare.measures.questionnaires import QuestionnaireError, parse_questionnaire, read_response
from kapcare.measures.scoring import ScoringError


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
    creatable = True
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

    def create(self, resource: dict, *, caller):
        instrument = questionnaire_of(resource, caller.clinic)
        patient = referenced(resource, "subject", "Patient", caller)
        author = referenced(resource, "author", "Practitioner", caller)
        if resource.get("status") != "completed":
            raise unprocessable("status", "kapcare keeps completed responses only (status completed).")
        try:
            answers = read_response(resource, parse_questionnaire(instrument.questionnaire))
            return record_response(
                instrument,
                patient,
                answers,
                via=EnteredVia.CLINIC,
                by=author,
                completed_at=authored(resource),
            )
        except ScoringError as error:
            raise FhirError(
                422,
                str(error).splitlines()[0],
                issues=[
                    issue(
                        f"{link_id}: {message}",
                        code="value",
                        expression=f"QuestionnaireResponse.item.where(linkId='{link_id}')",
                    )
                    for link_id, message in error.problems
                ],
            ) from None
        except QuestionnaireError as error:
            raise unprocessable("item", str(error)) from None


def unprocessable(element: str, message: str) -> FhirError:
    where = f"QuestionnaireResponse.{element}"
    return FhirError(422, f"{where}: {message}", code="invalid", expression=where)


def questionnaire_of(resource: dict, clinic) -> Instrument:
    url = (resource.get("questionnaire") or "").partition("|")[0]
    instrument = (
        Instrument.objects.filter(clinic=clinic, questionnaire__url=url).order_by("-installed_at").first()
        if url
        else None
    )
    if instrument is None:
        raise unprocessable(
            "questionnaire", f"no Questionnaire with url {url!r} here: POST the Questionnaire first."
        )
    if not instrument.can_score:
        raise unprocessable(
            "questionnaire",
            f"kapcare has no scoring for {instrument.title}, and keeps responses only scored.",
        )
    return instrument


def referenced(resource: dict, element: str, kind: str, caller):
    reference = (resource.get(element) or {}).get("reference", "")
    target = reference.removeprefix(f"{kind}/")
    mapper = registry().get(kind)
    found = mapper.queryset(caller.clinic.pk).filter(pk=target).first() if target.isdigit() else None
    if found is None or not reference.startswith(f"{kind}/"):
        raise unprocessable(
            element,
            f"give {kind}/{{id}} of a {kind.lower()} of this clinic"
            + (f", not {reference!r}." if reference else "."),
        )
    return found


def authored(resource: dict):
    from datetime import datetime

    text = resource.get("authored")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise unprocessable("authored", "give the date and time with its zone, such as 2026-01-05T14:30:00Z.")
    return moment
