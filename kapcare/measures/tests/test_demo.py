"""The demo clinic's outcome measures fit its patients' courses."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.measures.models import Invitation, Response, SafetyAlert
from kapcare.measures.trends import trends_for
from kapcare.patients.models import CourseState


@pytest.fixture
def demo(db):
    call_command("demo")
    return Clinic.objects.get(slug="demo")


def test_the_demo_clinic_has_the_shipped_instruments(demo):
    assert demo.instruments.filter(is_shipped=True).count() == 13


def test_demo_histories_follow_the_course_states(demo):
    for course in demo.courses.select_related("patient"):
        phq9 = Response.objects.for_instrument("phq-9").filter(patient=course.patient)
        if course.state == CourseState.INELIGIBLE:
            assert not phq9.exists()
        elif course.state in (CourseState.ACTIVE, CourseState.COMPLETED):
            assert phq9.count() >= 2, course
            assert all(r.completed_at >= course.opened_at for r in phq9)
        else:
            assert phq9.exists()


def test_completed_courses_include_responders_and_non_responders(demo):
    verdicts = set()
    for course in demo.courses.filter(state=CourseState.COMPLETED):
        trend = next(t for t in trends_for(course.patient, course) if t.instrument.name == "phq-9")
        verdicts.add(trend.assessment.response.met)
    assert verdicts == {True, False}


def test_the_demo_opens_with_one_open_alert_from_a_recent_item_9(demo):
    alert = SafetyAlert.objects.get(clinic=demo)
    assert alert.is_open and alert.rule_code == "suicide-risk"
    assert alert.response == Response.objects.filter(patient=alert.patient).for_instrument("phq-9").last()
    assert Invitation.objects.filter(clinic=demo, used_at__isnull=True).count() == 1


def test_loading_the_demo_twice_adds_no_results(demo):
    count = Response.objects.count()
    call_command("demo")
    assert Response.objects.count() == count
