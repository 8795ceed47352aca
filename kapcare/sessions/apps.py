from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "kapcare.sessions"
    # Not "sessions": django.contrib.sessions already holds that label.
    label = "dosing"
    verbose_name = "Dosing sessions"
    staff_nav = [("Live board", "sessions:board_home", "sessions.view")]
    chart_panels = ["sessions:panel"]
    # `kapcare worker` enqueues these when due: overdue readings are checked every minute.
    periodic_tasks = [("kapcare.sessions.tasks.raise_overdue_alerts", 60)]

    def measures_marks(self, patient) -> list:
        """Dosing sessions to mark on the patient's outcome charts: [(dosed at, label)]."""
        from kapcare.sessions.models import DosingSession

        dosed = DosingSession.objects.filter(patient=patient, dosed_at__isnull=False).order_by("dosed_at")
        return [(at, f"Dosing session {number}") for at, number in dosed.values_list("dosed_at", "number")]

    def measures_booked_sessions(self, course) -> list:
        """Sessions booked and not yet begun, for questionnaires asked before each dosing session:
        [(session key, planned start)], the key as `seams.dosing_session_scheduled` gives it."""
        from django.utils import timezone

        from kapcare.sessions.models import DosingSession, State

        booked = DosingSession.objects.filter(
            course=course, state=State.SCHEDULED, planned_start__gt=timezone.now()
        ).values_list("pk", "planned_start")
        return [(f"dosing-{pk}", starts) for pk, starts in booked]
