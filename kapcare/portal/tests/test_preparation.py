"""The patient confirms the preparation checklist the day before a session; staff see it, and
`checklist_status(patient, day)` tells the nurse at check-in."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.clinics.models import Protocol
from kapcare.patients.preparation import PreparationConfirmation, checklist_items, checklist_status
from kapcare.portal.tests.conftest import book, portal_sign_in

NOW = "2026-11-27 15:00:00+00:00"  # 10:00 in New York
TODAY, TOMORROW = date(2026, 11, 27), date(2026, 11, 28)


@pytest.fixture(autouse=True)
def clinic_morning(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def active_course(course, prescriber):
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    return course


@pytest.fixture
def booked(active_course, nurse):
    """Sessions booked for today and tomorrow: the days whose checklist may be confirmed."""
    return [book(active_course, TODAY, nurse), book(active_course, TOMORROW, nurse)]


def every_line(day=TOMORROW):
    from kapcare.clinics.models import Clinic

    clinic = Clinic.objects.get(slug="riverside")
    return {"session_date": day.isoformat()} | {key: "on" for key, _ in checklist_items(clinic)}


def revise_preparation(clinic, admin, alcohol, food, fluids):
    rules = Protocol.active_for(clinic).rules
    for name, value in [
        ("no_alcohol_hours", alcohol),
        ("fasting_food_hours", food),
        ("fasting_liquids_hours", fluids),
    ]:
        rules["preparation"][name]["value"] = value
    return Protocol.revise(clinic, rules, by=admin, note="preparation times")


def test_the_checklist_uses_the_shipped_protocol_defaults(clinic):
    lines = dict(checklist_items(clinic))
    assert "in the 24 hours before" in lines["no_alcohol_or_drugs"]
    assert "Nothing to eat for 4 hours and nothing to drink for 2 hours" in lines["fasting"]


def test_the_checklist_fills_in_the_clinics_protocol_values(clinic, admin):
    revise_preparation(clinic, admin, 48, 6, 1)
    lines = dict(checklist_items(clinic))
    assert lines["no_alcohol_or_drugs"].startswith("No alcohol or recreational drugs in the 48 hours")
    assert "Nothing to eat for 6 hours and nothing to drink for 1 hours" in lines["fasting"]


def test_the_patient_confirms_the_checklist_for_tomorrow(
    portal, patient, active_course, booked, time_machine
):
    response = portal.post(reverse("portal:preparation"), every_line())
    assert response["Location"] == reverse("portal:home")
    status = checklist_status(patient, TOMORROW)
    assert status.confirmed and status.confirmation.course == active_course
    assert [item["key"] for item in status.items] == [key for key, _ in checklist_items(patient.clinic)]
    assert status.confirmation.protocol_version == Protocol.active_for(patient.clinic).version
    assert not checklist_status(patient, TODAY).confirmed
    event = AuditEvent.objects.get(action="create", object_type="PreparationConfirmation")
    assert event.role == "patient" and event.detail == {"session_date": "2026-11-28"}


def test_a_line_left_unticked_is_refused_with_a_message_on_that_line(portal, patient, active_course, booked):
    data = every_line()
    del data["ride_home"]
    response = portal.post(reverse("portal:preparation"), data)
    assert response.status_code == 200
    assert "Tick this line to confirm it" in response.content.decode()
    assert not PreparationConfirmation.objects.exists()


def test_a_day_other_than_today_or_tomorrow_is_refused(portal, patient, active_course, booked, nurse):
    book(active_course, TODAY + timedelta(days=3), nurse)
    response = portal.post(reverse("portal:preparation"), every_line(TODAY + timedelta(days=3)))
    assert "the day before a booked dosing session or on the day itself" in response.content.decode()
    assert not PreparationConfirmation.objects.exists()


def test_only_a_day_with_a_booked_session_may_be_confirmed(portal, patient, active_course, nurse):
    # A confirmation for a day with no session would tell the nurse at check-in nothing.
    page = portal.get(reverse("portal:preparation")).content.decode()
    assert "You have no dosing session booked for today or tomorrow" in page
    assert "Confirm my preparation" not in page
    portal.post(reverse("portal:preparation"), every_line(TOMORROW))
    assert not PreparationConfirmation.objects.exists()
    book(active_course, TODAY + timedelta(days=4), nurse)
    page = portal.get(reverse("portal:preparation")).content.decode()
    assert "Your next session is on Tuesday December 1: confirm from Monday November 30." in page
    book(active_course, TODAY, nurse, hour=16)
    page = portal.get(reverse("portal:preparation")).content.decode()
    assert "Today, Friday November 27" in page and "Tomorrow" not in page
    response = portal.post(reverse("portal:preparation"), every_line(TOMORROW))
    assert "the day before a booked dosing session" in response.content.decode()
    assert portal.post(reverse("portal:preparation"), every_line(TODAY)).status_code == 302
    assert checklist_status(patient, TODAY).confirmed


def test_the_same_day_cannot_be_confirmed_twice(portal, patient, active_course, booked, time_machine):
    portal.post(reverse("portal:preparation"), every_line())
    response = portal.post(reverse("portal:preparation"), every_line())
    assert "You already confirmed your preparation for Saturday November 28" in response.content.decode()
    assert PreparationConfirmation.objects.count() == 1


def test_the_day_is_the_clinics_day_not_utc(portal, patient, active_course, booked, time_machine):
    time_machine.move_to("2026-11-28 03:00:00+00:00", tick=False)  # still Nov 27 in New York
    portal.cookies.clear()  # the morning's session has expired by now
    portal_sign_in(portal, patient)
    page = portal.get(reverse("portal:preparation")).content.decode()
    assert "Tomorrow, Saturday November 28" in page


def test_a_patient_still_in_evaluation_has_no_checklist_to_confirm(portal, patient, course):
    portal.post(reverse("portal:preparation"), every_line())
    assert not PreparationConfirmation.objects.exists()
    assert "once your treatment plan is agreed" in portal.get(reverse("portal:preparation")).content.decode()


def test_the_confirmation_keeps_the_lines_as_the_patient_read_them(
    portal, patient, active_course, booked, admin
):
    portal.post(reverse("portal:preparation"), every_line())
    revise_preparation(patient.clinic, admin, 72, 8, 4)
    (line,) = [item for item in checklist_status(patient, TOMORROW).items if item["key"] == "fasting"]
    assert "Nothing to eat for 4 hours" in line["text"]


def test_staff_see_the_checklist_on_the_chart(client, nurse, patient, active_course, signed_in, time_machine):
    PreparationConfirmation.confirm(patient, TOMORROW, course=active_course)
    signed_in(nurse)
    page = client.get(reverse("patients:preparation_panel", args=[patient.pk])).content.decode()
    assert 'Sat Nov 28:</strong>\n      <span class="badge badge-active">Confirmed' in page
    assert "A ride home is arranged" in page


def test_billing_may_not_see_the_checklist(client, billing, patient, signed_in):
    signed_in(billing)
    assert client.get(reverse("patients:preparation_panel", args=[patient.pk])).status_code == 403
