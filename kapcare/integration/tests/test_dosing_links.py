"""Integration sessions and journal entries point at the dosing session they follow with real
foreign keys: the database refuses a link to a session that does not exist, and a linked dosing
session cannot be deleted from under them."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.integration.models import JournalEntry, TherapySession
from kapcare.integration.tests.conftest import make_dosing
from kapcare.sessions.models import DosingSession


@pytest.mark.parametrize(
    ("model", "name"), [(TherapySession, "follows_dosing"), (JournalEntry, "after_dosing")]
)
def test_the_links_are_protected_foreign_keys_to_the_dosing_session(model, name):
    field = model._meta.get_field(name)
    assert field.related_model is DosingSession
    assert field.remote_field.on_delete is models.PROTECT


def test_the_database_refuses_a_link_to_a_dosing_session_that_does_not_exist(active, therapist):
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.create(
            clinic=active.clinic,
            patient=active.patient,
            course=active,
            follows_dosing_id=987654,
            scheduled_at=timezone.now(),
            therapist=therapist,
            created_by=therapist,
        )
        connection.check_constraints(table_names=[TherapySession._meta.db_table])
    assert not TherapySession.objects.exists()


def test_a_followed_dosing_session_cannot_be_deleted_under_its_integration_session(therapy, dosing):
    with pytest.raises(models.ProtectedError):
        DosingSession.objects.filter(pk=dosing.pk).delete()
    assert therapy.follows_dosing == dosing


def test_booking_offers_only_this_courses_dosing_sessions(signed_in, therapist, active, dosing, outsider):
    from kapcare.patients.models import Course, Patient

    other = Patient.objects.create(
        clinic=active.clinic, legal_first_name="Ada", legal_last_name="Byrne", date_of_birth="1970-01-01"
    )
    other_course = Course.objects.create(clinic=active.clinic, patient=other, condition="trd", state="active")
    foreign = make_dosing(other_course)
    data = {
        "kind": "integration",
        "follows_dosing": foreign.pk,
        "scheduled_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 50,
        "therapist": therapist.pk,
        "mode": "in_person",
    }
    response = signed_in(therapist).post(
        reverse("integration:schedule", kwargs={"pk": active.patient.pk}), data
    )
    assert "Select a valid choice" in response.content.decode()
    assert not TherapySession.objects.exists()
