"""AdverseEvent: something that went wrong during a dosing session (kapcare.sessions
AdverseEvent), its severity, whether it was serious, and how it ended, read-only.

Seriousness, severity and outcome use the FHIR R4 code systems; "transferred to emergency care"
has no outcome code of its own, so it is ongoing with the words beside it. What was done is in
the event's text.
"""

from django.db.models import Q
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent

from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter
from kapcare.fhir.versions import instant

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
OUTCOMES = {"resolved": "resolved", "improving": "recovering", "ongoing": "ongoing", "transferred": "ongoing"}

PATIENT = patient_filter("session__patient_id")


def seriousness_filter(value: str, modifier: str, ctx) -> Q:
    code = value.rpartition("|")[2]
    return {"serious": Q(serious=True), "non-serious": Q(serious=False)}.get(code, Q(pk__in=[]))


def severity_filter(value: str, modifier: str, ctx) -> Q:
    return Q(severity=value.rpartition("|")[2])


def concept(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": TERMINOLOGY + system, "code": code, "display": display}]}


class AdverseEventMapper(Mapper):
    resource_type = "AdverseEvent"
    fhir_model = FhirAdverseEvent
    documentation = __doc__.split("\n\n")[0]
    patient_field = "session__patient_id"
    last_updated_field = "recorded_at"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("subject", "reference", "The same as patient.", build=PATIENT),
        SearchParam("date", "date", "When it began, with prefixes.", fields=("onset_at",)),
        SearchParam("seriousness", "token", "serious or non-serious.", build=seriousness_filter),
        SearchParam("severity", "token", "mild, moderate or severe.", build=severity_filter),
    )
    sorts = {"_id": "pk", "date": "onset_at"}
    includes = (
        Include("patient", "Patient", "session__patient_id"),
        Include("subject", "Patient", "session__patient_id"),
    )

    def queryset(self, clinic_id):
        from kapcare.sessions.models import AdverseEvent

        return AdverseEvent.objects.filter(session__clinic_id=clinic_id).select_related("session")

    def to_resource(self, event) -> dict:
        serious = "serious" if event.serious else "non-serious"
        outcome = concept("adverse-event-outcome", OUTCOMES[event.outcome], event.get_outcome_display())
        outcome["text"] = event.get_outcome_display()
        what = event.get_kind_display() + (f": {event.description}" if event.description else "")
        return {
            "resourceType": "AdverseEvent",
            "id": str(event.pk),
            "actuality": "actual",
            "event": {"text": what},
            "subject": {"reference": f"Patient/{event.session.patient_id}"},
            "encounter": {"reference": f"Encounter/dosing-{event.session_id}"},
            "date": instant(event.onset_at),
            "recordedDate": instant(event.recorded_at),
            "recorder": {"reference": f"Practitioner/{event.by_id}"},
            "seriousness": concept(
                "adverse-event-seriousness", serious, serious.replace("-", " ").capitalize()
            ),
            "severity": concept("adverse-event-severity", event.severity, event.get_severity_display()),
            "outcome": outcome,
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                + escape(f"{what}. Action taken: {event.action_taken}")
                + "</div>",
            },
        }


def escape(text: str) -> str:
    from html import escape as html_escape

    return html_escape(text, quote=False)
