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
