"""The queue of dosing sessions whose integration session is overdue: by the window of the course's
signed treatment plan, or the protocol's for a course without a plan."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.clinics.models import Protocol
from kapcare.evaluation.tests.factories import signed_plan
from kapcare.integration import dosing as seam
from kapcare.integration.models import TherapySession
from kapcare.integration.tests.conftest import make_dosing

QUEUE = reverse("integration:queue")


def book(course, dosing, therapist, at, status="scheduled"):
    return TherapySession.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        kind="integration",
        follows_dosing_id=dosing.pk,
        scheduled_at=at,
        therapist=therapist,
        created_by=therapist,
        status=status,
    )


def test_a_dosing_session_past_the_window_without_integration_is_overdue(signed_in, therapist, active):
    window = Protocol.active_for(active.clinic).rules["integration"]["within_hours"]["value"]
    late = make_dosing(active, hours_ago=window + 5, number=1)
    make_dosing(active, hours_ago=window - 5, number=2, state="discharged")
    page = signed_in(therapist).get(QUEUE).content.decode()
    assert "Session 1" in page and "Session 2" not in page and "5 h overdue" in page
    rows = seam.overdue(therapist)
    assert [row.dosing.id for row in rows] == [late.pk]


def test_the_window_is_the_protocols(signed_in, therapist, active, admin):
    rules = Protocol.active_for(active.clinic).rules
    rules["integration"]["within_hours"]["value"] = 72
    Protocol.revise(active.clinic, rules, by=admin, note="Longer integration window")
    make_dosing(active, hours_ago=60)
    assert seam.overdue(therapist) == []


def test_an_integration_booked_within_the_window_clears_it_but_one_booked_late_does_not(
    therapist, active, signed_in
):
    signed_in(therapist)
    dosing = make_dosing(active, hours_ago=60)
    late = book(active, dosing, therapist, dosing.dosed_at + timedelta(hours=50))
    assert len(seam.overdue(therapist)) == 1
    late.status = "cancelled"
    late.save()
    book(active, dosing, therapist, dosing.dosed_at + timedelta(hours=24), status="completed")
    assert seam.overdue(therapist) == []


def test_the_queue_shows_nothing_of_another_clinic(signed_in, outsider, active):
    make_dosing(active, hours_ago=100)
    page = signed_in(outsider).get(QUEUE).content.decode()
    assert "Quillfeather" not in page and "Nothing is overdue" in page


def test_the_queue_issues_the_same_queries_however_many_are_overdue(signed_in, therapist, active):
    client = signed_in(therapist)
    make_signed_plan(active)
    make_dosing(active, hours_ago=100, number=1)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as first:
        client.get(QUEUE)
    for n in range(2, 7):
        make_dosing(active, hours_ago=100 - n, number=n)
    with CaptureQueriesContext(connection) as later:
        response = client.get(QUEUE)
    assert response.content.decode().count("h overdue") == 6
    assert len(later) == len(first)


def make_signed_plan(course, **integration):
    """The course's signed plan, with these integration settings (written once: signed is frozen)."""
    return signed_plan(course, **integration)


def test_a_shorter_window_in_the_treatment_plan_makes_integration_overdue_sooner(
    signed_in, therapist, active
):
    window = Protocol.active_for(active.clinic).rules["integration"]["within_hours"]["value"]
    make_signed_plan(active, integration_within_hours=24)
    dosing = make_dosing(active, hours_ago=30)
    assert 30 < window  # within the protocol's window, past the plan's
    [row] = seam.overdue(therapist)
    assert row.dosing.id == dosing.pk and row.dosing.integration_within_hours == 24
    page = signed_in(therapist).get(QUEUE).content.decode()
    assert "24 h window, treatment plan" in page and "6 h overdue" in page


def test_a_plan_asking_for_two_integration_sessions_stays_overdue_until_both_are_booked_in_time(
    signed_in, therapist, active
):
    make_signed_plan(active, integration_sessions_after_each=2, integration_within_hours=48)
    dosing = make_dosing(active, hours_ago=60)
    book(active, dosing, therapist, dosing.dosed_at + timedelta(hours=20), status="completed")
    [row] = seam.overdue(therapist)
    assert row.in_time == 1
    assert "1 of 2 integration sessions booked in time" in signed_in(therapist).get(QUEUE).content.decode()
    book(active, dosing, therapist, dosing.dosed_at + timedelta(hours=44), status="completed")
    assert seam.overdue(therapist) == []


def test_a_plan_with_no_integration_after_dosing_leaves_nothing_overdue(therapist, active):
    make_signed_plan(active, integration_sessions_after_each=0)
    make_dosing(active, hours_ago=200)
    assert seam.overdue(therapist) == []


def test_the_window_a_patients_dosing_sessions_carry_is_the_plans(active):
    make_signed_plan(active, integration_within_hours=36)
    make_dosing(active, hours_ago=5)
    [dosing] = seam.dosings_for(active.patient)
    assert (dosing.integration_within_hours, dosing.window_from) == (36, "treatment plan")
