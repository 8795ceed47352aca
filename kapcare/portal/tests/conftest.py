"""What the portal tests share: published consent documents and a patient signed into the portal."""

import pytest
from django.utils import timezone

from kapcare.patients.consent import ConsentDocument
from kapcare.patients.portal_access import SEEN_KEY, SESSION_KEY

KAP_BODY = "Ketamine can cause dissociation.\n\nYou will not drive until the next day."


@pytest.fixture
def kap_consent(clinic):
    return ConsentDocument.publish(clinic, "kap", "Informed consent for KAP", KAP_BODY)


@pytest.fixture
def part2_consent(clinic):
    return ConsentDocument.publish(clinic, "part2", "Consent to disclose", "Records of substance-use care.")


def portal_sign_in(client, patient):
    """Sign a patient into the portal as the link would (the link itself is tested on its own)."""
    session = client.session
    session[SESSION_KEY] = patient.pk
    session[SEEN_KEY] = timezone.now().timestamp()
    session.save()
    return client


@pytest.fixture
def portal(client, patient):
    return portal_sign_in(client, patient)


def book(course, day, by, hour=10):
    """A dosing session booked for the day, at 10:00 in the clinic (New York)."""
    from datetime import datetime
    from decimal import Decimal

    from kapcare.sessions.models import DosingSession

    site = course.clinic.sites.get()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=course.clinic.zone)
    return DosingSession.schedule(
        course,
        site=site,
        room=site.rooms.first(),
        planned_start=start,
        by=by,
        route="iv",
        planned_mg_per_kg=Decimal("0.5"),
    )
