"""Encounter and Appointment: dosing sessions (kapcare.sessions) and preparation and integration
sessions (kapcare.integration), read-only; they are booked and run in kapcare.

Ids say which kind: `dosing-{id}` for a dosing session, `therapy-{id}` for a preparation or
integration session; the same id names a session's Appointment (the booking) and its Encounter
(the visit). A dosing session's Encounter starts at the dose (at the planned time before it) and
ends at discharge, or when it was stopped after the dose (aborted: finished, with the reason); a
therapy session's lasts its booked length from its time.
"""

from datetime import timedelta

from django.db.models import Case, F, Q, When
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from kapcare.fhir.registry import CompositeMapper, Include, Mapper, SearchParam, patient_filter
from kapcare.fhir.search import Periods
from kapcare.fhir.versions import instant
from kapcare.lib.sql import Minutes

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}
VIRTUAL = {"system": ACT_CODE, "code": "VR", "display": "virtual"}
NOTHING = Q(pk__in=[])

# kapcare's states as FHIR statuses.
DOSING_ENCOUNTER = {
    "scheduled": "planned",
    "checked_in": "arrived",
    "cleared": "arrived",
    "held": "arrived",
    "dosed": "in-progress",
    "monitoring": "in-progress",
    "ready_for_discharge": "in-progress",
    "discharged": "finished",
    "aborted": "cancelled",
}
STOPPED_AFTER_DOSE = Q(state="aborted", dosed_at__isnull=False)
THERAPY_ENCOUNTER = {
    "scheduled": "planned",
    "completed": "finished",
    "cancelled": "cancelled",
    "no_show": "cancelled",
}
DOSING_APPOINTMENT = {state: "arrived" for state in DOSING_ENCOUNTER} | {
    "scheduled": "booked",
    "discharged": "fulfilled",
    "aborted": "cancelled",
}
THERAPY_APPOINTMENT = {
    "scheduled": "booked",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}

PATIENT = patient_filter("patient_id")


def status_filter(statuses: dict):
    def build(value: str, modifier: str, ctx) -> Q:
        states = [state for state, status in statuses.items() if status == value]
        return Q(**{"state__in" if "discharged" in statuses else "status__in": states}) if states else NOTHING

    return build


def params(statuses: dict, date_field: str, kind: str, period=None) -> tuple[SearchParam, ...]:
    """The search parameters of one part; `period` (a search DateTarget) where `date` is the
    Encounter's period rather than the booked time (the Appointment's start)."""
    date_text = (
        "A time within the visit's period, with prefixes: from the dose (else the booked time) to "
        "discharge for a dosing session, the booked time and length for a therapy session; a "
        "visit not yet ended is open-ended."
        if period
        else "The session's booked time, with prefixes."
    )
    return (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("subject", "reference", "The same as patient.", build=PATIENT),
        SearchParam("date", "date", date_text, fields=(date_field,), target=period),
        SearchParam(
            "status",
            "token",
            "The FHIR status (for example planned, finished; booked, fulfilled).",
            build=status_filter(statuses),
        ),
        SearchParam(
            "type",
            "token",
            "dosing, integration or preparation.",
            build=lambda value, modifier, ctx: type_filter(kind, value),
        ),
    )


def type_filter(kind: str, value: str) -> Q:
    code = value.rpartition("|")[2]
    if kind == "dosing":
        return Q() if code == "dosing" else NOTHING
    return Q(kind=code) if code in ("integration", "preparation") else NOTHING


SESSION_TYPE = "urn:kapcare:session-type"


class SessionPart(Mapper):
    patient_field = "patient_id"
    prefix = ""

    def id_for(self, pk) -> str:
        return f"{self.prefix}{pk}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix(self.prefix)
        return number if resource_id.startswith(self.prefix) and number.isdigit() else None


class DosingPart(SessionPart):
    prefix = "dosing-"
    last_updated_field = "state_changed_at"
    sorts = {"_id": "pk", "date": "planned_start", "_lastUpdated": "state_changed_at"}
    includes = (Include("patient", "Patient", "patient_id"), Include("subject", "Patient", "patient_id"))

    def queryset(self, clinic_id):
        from kapcare.sessions.models import DosingSession

        return DosingSession.objects.filter(clinic_id=clinic_id).select_related("site")

    def kind(self, session) -> dict:
        return {
            "coding": [{"system": SESSION_TYPE, "code": "dosing"}],
            "text": session.get_medication_display() + " dosing session",
        }


class TherapyPart(SessionPart):
    prefix = "therapy-"
    last_updated_field = "updated_at"
    sorts = {"_id": "pk", "date": "scheduled_at", "_lastUpdated": "updated_at"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
        Include("practitioner", "Practitioner", "therapist_id"),
    )

    def queryset(self, clinic_id):
        from kapcare.integration.models import TherapySession

        return TherapySession.objects.filter(clinic_id=clinic_id)

    def kind(self, session) -> dict:
        return {
            "coding": [{"system": SESSION_TYPE, "code": session.kind}],
            "text": session.get_kind_display(),
        }


class DosingEncounter(DosingPart):
    resource_type = "Encounter"
    fhir_model = FhirEncounter
    # The period to_resource gives: from the dose (the planned time before it) to discharge, or
    # to when it was stopped after the dose.
    search_params = params(
        DOSING_ENCOUNTER,
        "planned_start",
        "dosing",
        period=Periods(
            starts=("dosed_at", "planned_start"),
            end=Case(When(STOPPED_AFTER_DOSE, then=F("state_changed_at")), default=F("discharged_at")),
            ended=Q(discharged_at__isnull=False) | STOPPED_AFTER_DOSE,
        ),
    )
    includes = (*DosingPart.includes, Include("practitioner", "Practitioner", ""))

    def to_resource(self, session) -> dict:
        status = DOSING_ENCOUNTER[session.state]
        if session.state == "aborted" and session.dosed_at:
            status = "finished"
        period = {"start": instant(session.dosed_at or session.planned_start)}
        if session.discharged_at:
            period["end"] = instant(session.discharged_at)
        elif status == "finished":  # stopped after the dose: the visit ended then
            period["end"] = instant(session.state_changed_at)
        return {
            "resourceType": "Encounter",
            "id": self.id_for(session.pk),
            "status": status,
            "class": AMBULATORY,
            "type": [self.kind(session)],
            "subject": {"reference": f"Patient/{session.patient_id}"},
            "appointment": [{"reference": f"Appointment/{self.id_for(session.pk)}"}],
            "period": period,
            "location": [{"location": {"display": session.site.name}}],
        }


class TherapyEncounter(TherapyPart):
    resource_type = "Encounter"
    fhir_model = FhirEncounter
    # The period to_resource gives: its booked time, for its length once completed.
    search_params = params(
        THERAPY_ENCOUNTER,
        "scheduled_at",
        "therapy",
        period=Periods(
            starts=("scheduled_at",),
            end=F("scheduled_at") + Minutes("duration_minutes"),
            ended=Q(status="completed"),
        ),
    )

    def to_resource(self, session) -> dict:
        resource = {
            "resourceType": "Encounter",
            "id": self.id_for(session.pk),
            "status": THERAPY_ENCOUNTER[session.status],
            "class": VIRTUAL if session.mode == "video" else AMBULATORY,
            "type": [self.kind(session)],
            "subject": {"reference": f"Patient/{session.patient_id}"},
            "participant": [{"individual": {"reference": f"Practitioner/{session.therapist_id}"}}],
            "appointment": [{"reference": f"Appointment/{self.id_for(session.pk)}"}],
            "period": {"start": instant(session.scheduled_at)},
        }
        if session.status == "completed":
            resource["period"]["end"] = instant(
                session.scheduled_at + timedelta(minutes=session.duration_minutes)
            )
            resource["length"] = {
                "value": session.duration_minutes,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            }
        if session.follows_dosing_id:
            resource["partOf"] = {"reference": f"Encounter/dosing-{session.follows_dosing_id}"}
        return resource


class DosingAppointment(DosingPart):
    resource_type = "Appointment"
    fhir_model = FhirAppointment
    search_params = params(DOSING_APPOINTMENT, "planned_start", "dosing")
    includes = (*DosingPart.includes, Include("practitioner", "Practitioner", ""))

    def to_resource(self, session) -> dict:
        resource = {
            "resourceType": "Appointment",
            "id": self.id_for(session.pk),
            "status": DOSING_APPOINTMENT[session.state],
            "appointmentType": {"text": "Dosing session"},
            "serviceType": [self.kind(session)],
            "start": instant(session.planned_start),
            "participant": [
                {"actor": {"reference": f"Patient/{session.patient_id}"}, "status": "accepted"},
                {"actor": {"display": session.site.name}, "status": "accepted"},
            ],
            "created": instant(session.created_at),
        }
        if session.discharged_at:
            resource["end"] = instant(session.discharged_at)
        if session.state == "aborted" and session.aborted_reason:
            resource["cancelationReason"] = {"text": session.aborted_reason}
        return resource


class TherapyAppointment(TherapyPart):
    resource_type = "Appointment"
    fhir_model = FhirAppointment
    search_params = params(THERAPY_APPOINTMENT, "scheduled_at", "therapy")

    def to_resource(self, session) -> dict:
        return {
            "resourceType": "Appointment",
            "id": self.id_for(session.pk),
            "status": THERAPY_APPOINTMENT[session.status],
            "serviceType": [self.kind(session)],
            "start": instant(session.scheduled_at),
            "end": instant(session.scheduled_at + timedelta(minutes=session.duration_minutes)),
            "minutesDuration": session.duration_minutes,
            "participant": [
                {"actor": {"reference": f"Patient/{session.patient_id}"}, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/{session.therapist_id}"}, "status": "accepted"},
            ],
            "created": instant(session.created_at),
        }


class EncounterMapper(CompositeMapper):
    resource_type = "Encounter"
    fhir_model = FhirEncounter
    documentation = __doc__.split("\n\n")[0]
    patient_field = "patient_id"
    last_updated_field = "state_changed_at"
    members = (DosingEncounter(), TherapyEncounter())
    search_params = members[0].search_params
    sorts = members[0].sorts
    includes = members[1].includes


class AppointmentMapper(CompositeMapper):
    resource_type = "Appointment"
    fhir_model = FhirAppointment
    documentation = __doc__.split("\n\n")[0]
    patient_field = "patient_id"
    last_updated_field = "state_changed_at"
    members = (DosingAppointment(), TherapyAppointment())
    search_params = members[0].search_params
    sorts = members[0].sorts
    includes = members[1].includes
