"""A dosing session gives the medication its course's signed treatment plan names: esketamine
(Spravato) from an esketamine plan, racemic ketamine from a racemic one. Booking the other one is
refused with the reason, on the page and in the booking itself."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.evaluation.tests.factories import signed_esketamine_plan, signed_plan
from kapcare.sessions.models import DosingSession, SessionError
from kapcare.sessions.scheduling import schedule_from_plan


def page(course):
    return f"/staff/sessions/courses/{course.pk}/schedule/"


def tomorrow():
    return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def book(plan, course, by, **extra):
    site = course.clinic.sites.get()
    return schedule_from_plan(
        plan,
        course,
        planned_start=timezone.now() + timedelta(days=1),
        site=site,
        room=site.rooms.first(),
        by=by,
        **extra,
    )


@pytest.fixture
def esketamine_plan(ready_patient, active_course):
    return signed_esketamine_plan(active_course)


@pytest.fixture
def racemic_plan(ready_patient, active_course):
    return signed_plan(active_course)


def test_booking_from_an_esketamine_plan_books_esketamine_as_the_plan_gives_it(
    esketamine_plan, active_course, nurse
):
    session = book(esketamine_plan, active_course, nurse)
    assert (session.medication, session.route, session.planned_dose_mg, session.planned_mg_per_kg) == (
        "esketamine",
        "intranasal",
        56,
        None,
    )
    assert session.plan_ref == esketamine_plan.pk and session.is_esketamine


def test_booking_from_a_racemic_plan_books_racemic_ketamine(racemic_plan, active_course, nurse):
    session = book(racemic_plan, active_course, nurse)
    assert (session.medication, session.route) == ("ketamine", "im")


@pytest.mark.parametrize(
    ("plan_fixture", "asked", "message"),
    [
        (
            "esketamine_plan",
            "ketamine",
            "plan is for Esketamine (Spravato), so its sessions give Esketamine (Spravato), "
            "not Ketamine (racemic)",
        ),
        (
            "racemic_plan",
            "esketamine",
            "plan is for Ketamine (racemic), so its sessions give Ketamine (racemic), not Esketamine (Spravato)",
        ),
    ],
    ids=["ketamine-from-esketamine-plan", "esketamine-from-racemic-plan"],
)
def test_booking_another_medication_than_the_plans_is_refused(
    request, active_course, nurse, plan_fixture, asked, message
):
    plan = request.getfixturevalue(plan_fixture)
    with pytest.raises(SessionError, match=re.escape(message)):
        book(plan, active_course, nurse, medication=asked)
    assert not DosingSession.objects.exists()


def test_the_schedule_page_offers_only_the_plans_medication_and_says_the_dose_in_devices(
    signed_in, nurse, esketamine_plan, active_course
):
    body = signed_in(nurse).get(page(active_course)).content.decode()
    assert "From the signed plan: Esketamine (Spravato), intranasal, 56 mg (2 devices of 28 mg)" in body
    assert "In clinic only: esketamine is never dispensed for home use" in body
    assert '<option value="esketamine" selected>Esketamine (Spravato)</option>' in body
    assert 'value="ketamine"' not in body


def test_the_schedule_page_books_esketamine_from_an_esketamine_plan(
    signed_in, nurse, esketamine_plan, active_course
):
    room = active_course.clinic.sites.get().rooms.first()
    data = {"planned_start": tomorrow(), "setting": "clinic", "room": room.pk, "medication": "esketamine"}
    assert signed_in(nurse).post(page(active_course), data).status_code == 302
    session = DosingSession.objects.get()
    assert (session.medication, session.route, session.planned_dose_mg) == ("esketamine", "intranasal", 56)


@pytest.mark.parametrize(
    ("plan_fixture", "asked", "named"),
    [
        ("esketamine_plan", "ketamine", "Esketamine (Spravato)"),
        ("racemic_plan", "esketamine", "Ketamine (racemic)"),
    ],
    ids=["ketamine-on-esketamine-plan", "esketamine-on-racemic-plan"],
)
def test_the_schedule_page_refuses_the_other_medication_with_the_reason(
    request, signed_in, nurse, active_course, plan_fixture, asked, named
):
    request.getfixturevalue(plan_fixture)
    room = active_course.clinic.sites.get().rooms.first()
    data = {"planned_start": tomorrow(), "setting": "clinic", "room": room.pk, "medication": asked}
    response = signed_in(nurse).post(page(active_course), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["medication"]
    assert f"The course's signed treatment plan is for {named}" in errors[0]
    assert not DosingSession.objects.exists()


def test_a_session_booked_from_an_esketamine_plan_has_its_rems_form(
    signed_in, nurse, esketamine_plan, active_course
):
    session = book(esketamine_plan, active_course, nurse)
    response = signed_in(nurse).get(f"/staff/sessions/{session.pk}/rems/")
    assert response.status_code == 200
    assert "REMS" in response.content.decode()
