import pytest

from kapcare.leads.intake import create_lead
from kapcare.leads.models import Kind


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Queued work (staff notifications) runs inline; tests that check the queue say so."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def lead(clinic):
    return create_lead(
        clinic,
        Kind.MESSAGE,
        message="I have had depression for years and nothing has helped. Could KAP help me?",
        name="Wren Ashdown",
        email="wren@example.com",
        phone="+16175550177",
        condition="trd",
    )


@pytest.fixture
def other_lead(other_clinic):
    return create_lead(other_clinic, Kind.MESSAGE, message="Hillside question", name="Hal Hillside")
