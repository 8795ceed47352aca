import pytest

from kapcare.leads.intake import create_lead
from kapcare.leads.models import Kind


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
