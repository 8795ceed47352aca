"""What the integration phase reads about dosing sessions, through one small seam.

The sessions app owns DosingSession; integration sessions and journal entries point at it with
foreign keys, and everything else the integration phase needs to know about it is read here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from kapcare.clinics.protocol import setting
from kapcare.sessions.models import DosingSession

# Dosing sessions that happened: the patient was dosed (and went home, or is still being watched).
HAPPENED_STATES = ("dosed", "monitoring", "ready_for_discharge", "discharged")


@dataclass(frozen=True)
class Dosing:
    """A dosing session as the integration phase sees it."""

    id: int
    patient_id: int
    course_id: int
    number: int
    at: datetime  # when the dose was given (else when it was planned)
    integration_within_hours: int

    @property
    def integration_due(self) -> datetime:
        return self.at + timedelta(hours=self.integration_within_hours)


def _as_dosing(session) -> Dosing:
    return Dosing(
        id=session.pk,
        patient_id=session.patient_id,
        course_id=session.course_id,
        number=session.number,
        at=session.dosed_at or session.planned_start,
        integration_within_hours=setting(session.protocol.rules, "integration.within_hours"),
    )


def happened(queryset):
    return queryset.filter(state__in=HAPPENED_STATES).select_related("protocol")


def last_dosing(patient) -> Dosing | None:
    """The patient's most recent dosing session that took place."""
    sessions = happened(DosingSession.objects.filter(patient=patient))
    session = sessions.order_by("-dosed_at", "-planned_start").first()
    return _as_dosing(session) if session else None


def dosings_for(patient) -> list[Dosing]:
    sessions = happened(DosingSession.objects.filter(patient=patient)).order_by("-dosed_at", "-planned_start")
    return [_as_dosing(s) for s in sessions]


def overdue(user, now=None) -> list[tuple[Dosing, object]]:
    """Dosing sessions of active courses whose integration window has passed with no integration
    session held, or booked, within it; oldest first, each with its patient. Two queries."""
    from kapcare.integration.models import Status, TherapySession

    now = now or timezone.now()
    sessions = list(
        happened(DosingSession.objects.visible_to(user))
        .filter(course__state="active")
        .select_related("patient")
        .order_by("dosed_at", "planned_start")
    )
    earliest: dict[int, datetime] = {}
    for dosing_id, at in (
        TherapySession.objects.visible_to(user)
        .integration()
        .filter(follows_dosing_id__in=[s.pk for s in sessions])
        .exclude(status__in=[Status.CANCELLED, Status.NO_SHOW])
        .values_list("follows_dosing_id", "scheduled_at")
    ):
        earliest[dosing_id] = min(at, earliest.get(dosing_id, at))
    rows = []
    for session in sessions:
        dosing = _as_dosing(session)
        booked = earliest.get(dosing.id)
        if dosing.integration_due < now and (booked is None or booked > dosing.integration_due):
            rows.append((dosing, session.patient))
    return rows
