from datetime import timedelta

import pytest
from django.apps import apps
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kapcare.clinics import periodic
from kapcare.clinics.models import PeriodicTask

PATH = "kapcare.clinics.tests.test_periodic.tick"


@task
def tick():
    return "ticked"


def queued() -> int:
    """Runs waiting for the worker (the real database queue `kapcare worker` reads)."""
    return DBTaskResult.objects.filter(task_path=PATH).count()


@pytest.fixture
def declared(monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Only this test's task: the apps' own periodic tasks are tested in their apps.
    for config in apps.get_app_configs():
        if hasattr(config, "periodic_tasks"):
            monkeypatch.setattr(config, "periodic_tasks", [])
    monkeypatch.setattr(apps.get_app_config("clinics"), "periodic_tasks", [(PATH, 300)], raising=False)


@pytest.mark.django_db
def test_a_task_runs_at_the_first_pass_then_once_per_interval(declared):
    start = timezone.now()
    assert periodic.enqueue_due(start) == [PATH]
    assert queued() == 1
    assert periodic.enqueue_due(start + timedelta(seconds=299)) == []
    assert periodic.enqueue_due(start + timedelta(seconds=300)) == [PATH]
    assert queued() == 2
    row = PeriodicTask.objects.get(name=PATH)
    assert row.due_at == start + timedelta(seconds=600)


@pytest.mark.django_db
def test_a_second_worker_does_not_enqueue_the_same_run(declared):
    start = timezone.now()
    periodic.enqueue_due(start)
    # Another worker whose pass comes a moment later finds the run claimed.
    assert periodic.enqueue_due(start + timedelta(seconds=1)) == []
    assert queued() == 1


@pytest.mark.django_db
def test_next_wait_is_the_time_to_the_soonest_task_within_bounds(declared):
    start = timezone.now()
    periodic.enqueue_due(start)
    assert periodic.next_wait(start) == 60.0
    assert periodic.next_wait(start + timedelta(seconds=290)) == pytest.approx(10.0)
    assert periodic.next_wait(start + timedelta(seconds=900)) == 1.0


def test_bad_declarations_are_refused(monkeypatch):
    config = apps.get_app_config("clinics")
    monkeypatch.setattr(config, "periodic_tasks", [(PATH, 0)], raising=False)
    with pytest.raises(ValueError, match="positive"):
        periodic.declared()
    monkeypatch.setattr(config, "periodic_tasks", [(PATH, 60), (PATH, 60)], raising=False)
    with pytest.raises(ValueError, match="twice"):
        periodic.declared()


def test_every_declared_task_exists_and_is_a_task():
    from django.tasks import Task
    from django.utils.module_loading import import_string

    for path in periodic.declared():
        assert isinstance(import_string(path), Task), path


def test_the_scheduler_thread_keeps_enqueuing_until_stopped_and_survives_errors(monkeypatch):
    import threading

    passes = []
    second = threading.Event()

    def enqueue_due():
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("database away")
        second.set()
        return []

    monkeypatch.setattr(periodic, "enqueue_due", enqueue_due)
    monkeypatch.setattr(periodic, "next_wait", lambda: 0.01)
    monkeypatch.setattr(periodic, "close_old_connections", lambda: None)
    monkeypatch.setattr(periodic.Scheduler, "retry_after", 0.01)
    scheduler = periodic.Scheduler()
    scheduler.start()
    assert second.wait(5), "the scheduler stopped after an error"
    scheduler.stop()
    scheduler.join(5)
    assert not scheduler.is_alive()
