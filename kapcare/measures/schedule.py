"""When a patient is asked to answer: the occasions of each assignment, worked out from the
course's dates, and the texts and email that carry the link and up to three reminders.

The sessions app calls `dosing_session_scheduled` and `dosing_session_completed` (and offers the
sessions already booked through `measures_booked_sessions` on its AppConfig); everything else
follows from the course: its opening (baseline), the weeks it is active (weekly) and the date it
was completed (1, 3 and 6 months after).
"""

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.lib.messaging import send_email, send_sms
from kapcare.measures.models import Assignment, Channel, Invitation, Schedule
from kapcare.patients.models import CourseState

MONTHS_AFTER = {Schedule.AFTER_COURSE_1M: 1, Schedule.AFTER_COURSE_3M: 3, Schedule.AFTER_COURSE_6M: 6}
# Texts are not private: they carry the link and nothing about the patient's health.
SMS_TEXT = "Your care team asks you to answer a short questionnaire: {url}"
REMINDER_TEXT = "A reminder: your care team's questionnaire is still waiting for you: {url}"


def course_dates(course) -> dict[str, datetime | None]:
    """When the course opened, first became active, and was completed (None if not yet)."""
    moves = {}
    for transition in course.transitions.all():
        moves.setdefault(transition.to_state, transition.at)
    ended = moves.get(CourseState.COMPLETED) or moves.get(CourseState.WITHDRAWN)
    return {
        "opened": course.opened_at,
        "active": moves.get(CourseState.ACTIVE),
        "completed": moves.get(CourseState.COMPLETED),
        "ended": ended,
    }


def occasions(assignment: Assignment, now: datetime) -> list[tuple[str, datetime]]:
    """The occasions of an assignment that have fallen due by `now`: (name, due at)."""
    kind, start = assignment.schedule, assignment.created_at
    if kind == Schedule.ONCE:
        return [("once", start)]
    dates = course_dates(assignment.course)
    if kind == Schedule.BASELINE:
        return [("baseline", max(dates["opened"], start))] if assignment.course.is_open else []
    if kind == Schedule.WEEKLY and dates["active"]:
        until = min(dates["ended"] or now, now)
        weeks, week = [], 1
        while (due := dates["active"] + timedelta(weeks=week)) <= until:
            if due >= start:
                weeks.append((f"week-{week}", due))
            week += 1
        return weeks
    if kind in MONTHS_AFTER and dates["completed"]:
        due = dates["completed"] + relativedelta(months=MONTHS_AFTER[kind])
        return [(kind.replace("_", "-"), due)] if due <= now else []
    return []  # dosing-session occasions come from the sessions app


def sync(assignment: Assignment, now: datetime | None = None) -> list[Invitation]:
    """Create the invitations for every occasion now due that has none yet."""
    now = now or timezone.now()
    if not assignment.is_active:
        return []
    existing = {invitation.occasion for invitation in assignment.invitations.all()}
    if assignment.schedule == Schedule.BEFORE_DOSING:
        return _before_booked_sessions(assignment, existing, now)
    return [
        _invite(assignment, occasion, due)
        for occasion, due in occasions(assignment, now)
        if occasion not in existing
    ]


def booked_dosing_sessions(course) -> list[tuple[str, datetime]]:
    """Dosing sessions already booked for a course, from any app that offers them
    (`measures_booked_sessions(course)` on its AppConfig: [(session key, planned start)])."""
    booked = []
    for config in apps.get_app_configs():
        offer = getattr(config, "measures_booked_sessions", None)
        if offer is not None:
            booked += offer(course)
    return booked


def _before_booked_sessions(assignment, existing, now) -> list[Invitation]:
    """A 'before each dosing session' request made after sessions were booked still covers
    those not yet begun; later bookings arrive through `dosing_session_scheduled`."""
    made = []
    for key, starts_at in booked_dosing_sessions(assignment.course):
        occasion = f"before-dosing:{key}"
        if starts_at > now and occasion not in existing:
            due = max(now, starts_at - timedelta(hours=settings.MEASURES_BEFORE_DOSING_HOURS))
            made.append(_invite(assignment, occasion, due, starts_at))
    return made


def _invite(assignment, occasion, due, expires=None) -> Invitation | None:
    try:
        with transaction.atomic():
            return Invitation.objects.create(
                clinic_id=assignment.clinic_id,
                patient_id=assignment.patient_id,
                assignment=assignment,
                instrument_id=assignment.instrument_id,
                occasion=occasion,
                due_at=due,
                expires_at=expires,
            )
    except IntegrityError:  # another worker made it first
        return None


def dosing_session_scheduled(course, session_key: str, starts_at: datetime) -> list[Invitation]:
    """For the sessions app: a dosing session was booked; ask 'before each dosing session'
    questionnaires, due the protocol's lead time before it and closing when it starts."""
    lead = timedelta(hours=settings.MEASURES_BEFORE_DOSING_HOURS)
    due = max(timezone.now(), starts_at - lead)
    return _dosing_invitations(course, Schedule.BEFORE_DOSING, f"before-dosing:{session_key}", due, starts_at)


def dosing_session_completed(course, session_key: str, ended_at: datetime) -> list[Invitation]:
    """For the sessions app: a dosing session ended; ask 'a day after' questionnaires."""
    due = ended_at + timedelta(days=1)
    return _dosing_invitations(course, Schedule.AFTER_DOSING, f"after-dosing:{session_key}", due, None)


def _dosing_invitations(course, kind, occasion, due, expires) -> list[Invitation]:
    made = []
    for assignment in Assignment.objects.filter(course=course, schedule=kind, is_active=True):
        invitation = _invite(assignment, occasion, due, expires)
        if invitation is not None:
            made.append(invitation)
            if due <= timezone.now():
                send(invitation)
    return made


def send(invitation: Invitation) -> bool:
    """Send the link by the assignment's channel; False when there is nothing to send it to."""
    from kapcare.measures.links import url_for

    channel = invitation.assignment.channel
    patient = invitation.patient
    url = url_for(invitation)
    delivered = _deliver(channel, patient, SMS_TEXT.format(url=url))
    if not delivered:
        return False
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, last_contacted_at=now)
    invitation.sent_at = invitation.last_contacted_at = now
    record(
        None,
        "update",
        invitation,
        patient=patient.pk,
        clinic=invitation.clinic_id,
        actor="kapcare measures",
        detail={"sent": channel, "occasion": invitation.occasion},
    )
    return True


def _deliver(channel: str, patient, text: str) -> bool:
    if channel == Channel.SMS and patient.phone:
        send_sms(str(patient.phone), text)
        return True
    if channel == Channel.EMAIL and patient.email:
        send_email(patient.email, "A questionnaire from your care team", text)
        return True
    return False


def remind(invitation_id: int, now: datetime | None = None) -> bool:
    """Send one reminder if the questionnaire is still unanswered, the link still works, fewer
    than the maximum have gone and the last contact is at least the interval ago."""
    from kapcare.measures.links import url_for

    now = now or timezone.now()
    interval = timedelta(hours=settings.MEASURES_REMINDER_HOURS)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("assignment", "patient")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or not _wants_reminder(invitation, now, interval):
            return False
        if not _deliver(
            invitation.assignment.channel, invitation.patient, REMINDER_TEXT.format(url=url_for(invitation))
        ):
            return False
        invitation.reminders_sent += 1
        invitation.last_contacted_at = now
        invitation.save(update_fields=["reminders_sent", "last_contacted_at"])
        record(
            None,
            "update",
            invitation,
            patient=invitation.patient_id,
            clinic=invitation.clinic_id,
            actor="kapcare measures",
            detail={"reminder": invitation.reminders_sent},
        )
    return True


def _wants_reminder(invitation: Invitation, now, interval) -> bool:
    return (
        invitation.sent_at is not None
        and invitation.used_at is None
        and invitation.cancelled_at is None
        and now < invitation.expires_at
        and invitation.reminders_sent < settings.MEASURES_MAX_REMINDERS
        and now - invitation.last_contacted_at >= interval
    )


def _to_sync():
    """Active assignments that may still have occasions to make, with what `sync` reads, so the
    sweep's queries do not grow with the number of assignments. Dosing-session occasions are
    made when the sessions app calls, and a one-off or baseline is made once."""
    once = Q(schedule__in=[Schedule.ONCE, Schedule.BASELINE]) & Q(invitations__isnull=False)
    return (
        Assignment.objects.filter(is_active=True)
        .exclude(schedule__in=[Schedule.BEFORE_DOSING, Schedule.AFTER_DOSING])
        .exclude(pk__in=Assignment.objects.filter(once).values("pk"))
        .select_related("course")
        .prefetch_related(
            "course__transitions",
            Prefetch("invitations", Invitation.objects.only("assignment_id", "occasion")),
        )
    )


def sweep(now: datetime | None = None) -> dict:
    """What the worker does every so often: make due invitations, send them, send reminders."""
    now = now or timezone.now()
    made = sum(len(sync(a, now)) for a in _to_sync())
    unsent = (
        Invitation.objects.waiting()
        .filter(sent_at__isnull=True, due_at__lte=now, expires_at__gt=now)
        .exclude(assignment__channel=Channel.CLINIC)
    )
    sent = sum(send(i) for i in unsent.select_related("assignment", "patient"))
    waiting = Invitation.objects.waiting().filter(
        sent_at__isnull=False,
        expires_at__gt=now,
        reminders_sent__lt=settings.MEASURES_MAX_REMINDERS,
    )
    reminded = sum(remind(pk, now) for pk in waiting.values_list("pk", flat=True))
    return {"made": made, "sent": sent, "reminded": reminded}
