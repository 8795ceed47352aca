"""What the integration tests share: an active course, a dosing session that took place, an
integration session after it, goals, and a patient signed into the portal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_member
from kapcare.clinics.models import Protocol
from kapcare.clinics.roles import Role
from kapcare.integration.models import Goal, Kind, Mode, TherapySession
from kapcare.patients.portal_access import SEEN_KEY, SESSION_KEY
from kapcare.sessions.models import DosingSession


@pytest.fixture
def active(course, prescriber, therapist):
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    course.therapist = therapist
    course.save(update_fields=["therapist"])
    return course


def make_dosing(course, *, hours_ago=30, number=1, state="discharged"):
    dosed = timezone.now() - timedelta(hours=hours_ago)
    return DosingSession.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        number=number,
        site=course.clinic.sites.first(),
        route="iv",
        planned_start=dosed - timedelta(minutes=15),
        protocol=Protocol.active_for(course.clinic),
        state=state,
        dosed_at=dosed,
        discharged_at=dosed + timedelta(hours=2) if state == "discharged" else None,
    )


@pytest.fixture
def dosing(active):
    return make_dosing(active)


@pytest.fixture
def therapy(active, dosing, therapist):
    return TherapySession.objects.create(
        clinic=active.clinic,
        patient=active.patient,
        course=active,
        kind=Kind.INTEGRATION,
        follows_dosing_id=dosing.pk,
        scheduled_at=timezone.now() - timedelta(hours=1),
        therapist=therapist,
        mode=Mode.VIDEO,
        video_url="https://video.example/room/7",
        created_by=therapist,
    )


@pytest.fixture
def goals(active, therapist):
    return [
        Goal.objects.create(
            clinic=active.clinic,
            patient=active.patient,
            course=active,
            text=text,
            position=n,
            source="evaluation",
        )
        for n, text in enumerate(["Sleep through the night", "Call my sister again"])
    ]


@pytest.fixture
def therapist2(clinic):
    return make_member(clinic, Role.THERAPIST, "therapist2@riverside.example", "Noor Vale", "PsyD")


@pytest.fixture
def portal(client, patient):
    session = client.session
    session[SESSION_KEY] = patient.pk
    session[SEEN_KEY] = timezone.now().timestamp()
    session.save()
    return client
