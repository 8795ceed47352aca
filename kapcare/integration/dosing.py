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
    integration_sessions: int = 1  # how many integration sessions should follow it
    window_from: str = "protocol"  # whose window it is: the protocol's, or the treatment plan's

    @property
    def integration_due(self) -> datetime:
        return self.at + timedelta(hours=self.integration_within_hours)


@dataclass(frozen=True)
class PlannedIntegration:
    """What a course's signed treatment plan says about integration after each dosing session."""

    within_hours: int
    sessions_after_each: int


def planned_integration(course_ids) -> dict[int, PlannedIntegration]:
    """The treatment plans' integration settings, by course, in one query. A plan may set a shorter
    window than the protocol's (the plan form refuses a longer one) and how many sessions follow
    each dosing session; a course without a plan follows the protocol."""
    from kapcare.evaluation.models import TreatmentPlan

    rows = TreatmentPlan.objects.filter(course_id__in=set(course_ids)).values_list(
        "course_id", "integration_within_hours", "integration_sessions_after_each"
    )
    return {course: PlannedIntegration(hours, count) for course, hours, count in rows}


def _as_dosing(session, plans: dict[int, PlannedIntegration]) -> Dosing:
    plan = plans.get(session.course_id)
    protocol_hours = setting(session.protocol.rules, "integration.within_hours")
    return Dosing(
        id=session.pk,
        patient_id=session.patient_id,
        course_id=session.course_id,
        number=session.number,
        at=session.dosed_at or session.planned_start,
        integration_within_hours=plan.within_hours if plan else protocol_hours,
        integration_sessions=plan.sessions_after_each if plan else 1,
        window_from="treatment plan" if plan else "protocol",
    )


def as_dosings(sessions) -> list[Dosing]:
    sessions = list(sessions)
    plans = planned_integration(s.course_id for s in sessions)
    return [_as_dosing(s, plans) for s in sessions]


def happened(queryset):
    return queryset.filter(state__in=HAPPENED_STATES).select_related("protocol")


def last_dosing(patient) -> Dosing | None:
    """The patient's most recent dosing session that took place."""
    sessions = happened(DosingSession.objects.filter(patient=patient))
    session = sessions.order_by("-dosed_at", "-planned_start").first()
    return as_dosings([session])[0] if session else None


def dosings_for(patient) -> list[Dosing]:
    sessions = happened(DosingSession.objects.filter(patient=patient)).order_by("-dosed_at", "-planned_start")
    return as_dosings(sessions)


@dataclass(frozen=True)
class Overdue:
    """A dosing session whose integration is overdue, with how many sessions were in time."""

    dosing: Dosing
    patient: object
    in_time: int


def overdue(user, now=None) -> list[Overdue]:
    """Dosing sessions of active courses whose integration window has passed with fewer integration
    sessions held, or booked, within it than the course's plan asks for (one, without a plan);
    oldest first, each with its patient. Three queries however many there are."""
    from kapcare.integration.models import Status, TherapySession

    now = now or timezone.now()
    sessions = list(
        happened(DosingSession.objects.visible_to(user))
        .filter(course__state="active")
        .select_related("patient")
        .order_by("dosed_at", "planned_start")
    )
    booked: dict[int, list[datetime]] = {}
    for dosing_id, at in (
        TherapySession.objects.visible_to(user)
        .integration()
        .filter(follows_dosing_id__in=[s.pk for s in sessions])
        .exclude(status__in=[Status.CANCELLED, Status.NO_SHOW])
        .values_list("follows_dosing_id", "scheduled_at")
    ):
        booked.setdefault(dosing_id, []).append(at)
    rows = []
    for session, dosing in zip(sessions, as_dosings(sessions), strict=True):
        if dosing.integration_sessions == 0 or dosing.integration_due >= now:
            continue
        in_time = sum(1 for at in booked.get(dosing.id, []) if at <= dosing.integration_due)
        if in_time < dosing.integration_sessions:
            rows.append(Overdue(dosing, session.patient, in_time))
    return rows
