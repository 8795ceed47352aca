"""Starting treatment: a signed eligible decision and plan are not enough without the patient's
signature on the current informed consent for KAP."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kapcare.evaluation.signing import ConsentNeeded, sign_decision, start_course
from kapcare.evaluation.tests.factories import make_evaluation, signed_plan
from kapcare.patients.consent import ConsentDocument
from kapcare.patients.tests.factories import kap_document, sign_kap_consent


@pytest.fixture
def planned(prescriber, course):
    make_evaluation(course)
    sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    signed_plan(course)
    return course


def refused(course, prescriber, match):
    with pytest.raises(ConsentNeeded, match=match):
        start_course(course, by=prescriber)
    course.refresh_from_db()
    assert course.state == "eligible"
    assert not course.transitions.filter(to_state="active").exists()


def test_a_course_cannot_start_before_the_clinic_publishes_its_kap_consent(planned, prescriber):
    refused(planned, prescriber, "has not published its informed consent for ketamine")


def test_a_course_cannot_start_when_the_patient_has_not_signed_the_kap_consent(planned, prescriber):
    kap_document(planned.clinic)
    refused(planned, prescriber, r"Daisy Quillfeather has not signed the informed consent .* \(version 1\)")


def test_a_course_cannot_start_on_a_consent_signed_for_an_older_version(planned, prescriber, clinic):
    sign_kap_consent(planned.patient)
    ConsentDocument.publish(clinic, "kap", "Informed consent for KAP", "Revised: new risks explained.")
    refused(planned, prescriber, "signed version 1 .* version 2 is now current and not yet signed")


def test_a_course_cannot_start_on_a_withdrawn_consent(planned, prescriber):
    sign_kap_consent(planned.patient).withdraw(channel="clinic", note="Letter of 3 May")
    refused(planned, prescriber, "withdrew the informed consent")


def test_a_course_starts_once_the_current_kap_consent_is_signed(planned, prescriber):
    sign_kap_consent(planned.patient)
    start_course(planned, by=prescriber)
    planned.refresh_from_db()
    assert planned.state == "active"


def test_the_start_button_explains_the_missing_consent_and_links_to_signing_it(
    planned, prescriber, signed_in
):
    kap_document(planned.clinic)
    client = signed_in(prescriber)
    response = client.post(reverse("evaluation:start", kwargs={"pk": planned.pk}), follow=True)
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    page = response.content.decode()
    assert "has not signed the informed consent for ketamine-assisted psychotherapy" in page
    sign_url = reverse("patients:consent_sign", args=[planned.patient_id, "kap"])
    assert f'href="{sign_url}"' in page, shown
    planned.refresh_from_db()
    assert planned.state == "eligible"


def test_starting_puts_the_plans_measures_on_schedule_through_and_after_the_course(planned, prescriber):
    from kapcare.measures.models import Assignment, install_shipped
    from kapcare.measures.schedule import sync

    install_shipped(planned.clinic)
    sign_kap_consent(planned.patient)
    start_course(planned, by=prescriber)
    made = {(a.instrument.name, a.schedule) for a in Assignment.objects.filter(course=planned)}
    # The factory's plan measures PHQ-9 weekly.
    assert made == {
        ("phq-9", "weekly"),
        ("phq-9", "after_course_1m"),
        ("phq-9", "after_course_3m"),
        ("phq-9", "after_course_6m"),
    }
    assert {a.channel for a in Assignment.objects.filter(course=planned)} == {"sms"}
    weekly = Assignment.objects.get(course=planned, schedule="weekly")
    started = planned.transitions.get(to_state="active").at
    [week_1] = sync(weekly, now=started + timedelta(days=8))
    assert week_1.occasion == "week-1"


def test_a_plan_measured_before_each_session_asks_before_each_dosing_session(prescriber, course):
    from kapcare.measures.models import Assignment, install_shipped

    install_shipped(course.clinic)
    make_evaluation(course)
    sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    signed_plan(course, measures_schedule="each_session", target_measures=["phq-9", "gad-7"])
    sign_kap_consent(course.patient)
    start_course(course, by=prescriber)
    during = Assignment.objects.filter(course=course).exclude(schedule__startswith="after_course")
    assert sorted(during.values_list("instrument__name", "schedule")) == [
        ("gad-7", "before_dosing"),
        ("phq-9", "before_dosing"),
    ]
