"""Background work for outcome measures, run by `kapcare worker` (Django's tasks API)."""

from datetime import timedelta

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone

from kapcare.measures import schedule
from kapcare.measures.models import Invitation, SafetyAlert


@task
def send_invitation(invitation_id: int) -> bool:
    invitation = Invitation.objects.select_related("assignment", "patient").filter(pk=invitation_id).first()
    if invitation is None or invitation.sent_at or invitation.used_at or invitation.cancelled_at:
        return False
    sent = schedule.send(invitation)
    if sent:
        queue_reminder(invitation_id)
    return sent


@task
def send_reminder(invitation_id: int) -> bool:
    """One reminder; the next is queued for a day later, until three have gone."""
    sent = schedule.remind(invitation_id)
    if sent:
        queue_reminder(invitation_id)
    return sent


@task
def notify_alert(alert_id: int) -> int:
    """Tell the patient's prescriber and care team that a result needs review."""
    alert = SafetyAlert.objects.select_related("prescriber", "response__course__therapist").get(pk=alert_id)
    return len(alert.notify_care_team())


@task
def sweep() -> dict:
    """Make the invitations that have fallen due on every schedule, send them, remind."""
    return schedule.sweep()


def queue_reminder(invitation_id: int) -> None:
    # Without a backend that can wait (the immediate one in tests), the sweep sends reminders.
    if default_task_backend.supports_defer:
        later = timezone.now() + timedelta(hours=settings.MEASURES_REMINDER_HOURS)
        send_reminder.using(run_after=later).enqueue(invitation_id)
