"""The portal home lists the questionnaires the clinic asked for that are due and unanswered."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kapcare.measures.models import Assignment, Invitation, install_shipped


@pytest.fixture
def phq9(clinic):
    return {i.name: i for i in install_shipped(clinic)}["phq-9"]


def invite(patient, instrument, prescriber, occasion, due):
    assignment = Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        instrument=instrument,
        schedule="once",
        channel="sms",
        created_by=prescriber,
    )
    return Invitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        assignment=assignment,
        instrument=instrument,
        occasion=occasion,
        due_at=due,
    )


def test_a_due_questionnaire_shows_with_its_link(portal, patient, phq9, prescriber):
    invite(patient, phq9, prescriber, "once", timezone.now() - timedelta(hours=1))
    page = portal.get(reverse("portal:home")).content.decode()
    assert phq9.title in page and 'href="/q/' in page


def test_answered_expired_and_not_yet_due_questionnaires_do_not_show(portal, patient, phq9, prescriber):
    later = invite(patient, phq9, prescriber, "later", timezone.now() + timedelta(days=2))
    used = invite(patient, phq9, prescriber, "used", timezone.now() - timedelta(hours=2))
    Invitation.objects.filter(pk=used.pk).update(used_at=timezone.now())
    expired = invite(patient, phq9, prescriber, "expired", timezone.now() - timedelta(days=30))
    assert {later.pk, used.pk, expired.pk}
    page = portal.get(reverse("portal:home")).content.decode()
    assert "Nothing to answer right now" in page
