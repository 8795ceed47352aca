"""Periodic background tasks: apps declare them, `kapcare worker` enqueues each when it falls due.

An app lists them on its AppConfig: `periodic_tasks = [("kapcare.<app>.tasks.<name>", seconds)]`,
each naming a Django `@task` that takes no arguments. The schedule lives in the database
(`PeriodicTask`), so a restarted worker keeps it and two workers never enqueue the same run twice.
"""

import logging
import threading
from datetime import timedelta

from django.apps import apps
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from kapcare.clinics.models import PeriodicTask

log = logging.getLogger(__name__)


def declared() -> dict[str, timedelta]:
    """Every app's periodic tasks: dotted path → interval. A path declared twice is an error."""
    found: dict[str, timedelta] = {}
    for config in apps.get_app_configs():
        for path, seconds in getattr(config, "periodic_tasks", []):
            if path in found:
                raise ValueError(f"periodic task {path} is declared twice")
            if not isinstance(seconds, int) or seconds <= 0:
                raise ValueError(f"periodic task {path}: the interval must be a positive number of seconds")
            found[path] = timedelta(seconds=seconds)
    return found


def enqueue_due(now=None) -> list[str]:
    """Enqueue every declared task whose time has come; return their paths. A task runs first at
    the worker's first pass, then every interval after it was last enqueued."""
    now = now or timezone.now()
    enqueued = []
    for path, interval in declared().items():
        PeriodicTask.objects.get_or_create(name=path, defaults={"due_at": now})
        # The conditional update is the claim: of two workers, only one moves due_at on.
        won = PeriodicTask.objects.filter(name=path, due_at__lte=now).update(
            due_at=now + interval, last_enqueued_at=now
        )
        if won:
            import_string(path).enqueue()
            enqueued.append(path)
    return enqueued


def next_wait(now=None) -> float:
    """Seconds until the next task is due, between 1 and 60."""
    now = now or timezone.now()
    pending = PeriodicTask.objects.filter(name__in=declared()).order_by("due_at")
    soonest = pending.values_list("due_at", flat=True).first()
    if soonest is None:
        return 1.0
    return min(60.0, max(1.0, (soonest - now).total_seconds()))


class Scheduler(threading.Thread):
    """The worker's clock: a thread that enqueues due tasks until stopped."""

    retry_after = 5.0

    def __init__(self):
        super().__init__(name="kapcare-periodic", daemon=True)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            wait = self.retry_after
            try:
                close_old_connections()
                for path in enqueue_due():
                    log.info("enqueued periodic task %s", path)
                wait = next_wait()
            except Exception:
                log.exception("periodic tasks could not be enqueued; trying again shortly")
            finally:
                close_old_connections()
            self.stopped.wait(wait)

    def stop(self):
        self.stopped.set()
