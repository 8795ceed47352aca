import pytest


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Queued work (the guide's emails, staff notifications) runs inline; tests that check the
    queue say so."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
