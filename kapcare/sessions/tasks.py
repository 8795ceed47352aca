"""Background work for dosing sessions, run by `kapcare worker` (Django's tasks API)."""

from django.tasks import task

from kapcare.sessions.monitor import sweep_overdue


@task
def raise_overdue_alerts() -> int:
    """Raise the overdue-reading alerts of every session under monitoring, so an alert is raised
    (and waits on the board and the session page) even when no one has the board open."""
    return len(sweep_overdue())
