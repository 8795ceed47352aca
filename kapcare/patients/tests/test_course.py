"""The course of treatment's state machine: each move checks where it may go and records who, when, why."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.patients.models import CourseState, TransitionError
from kapcare.patients.tests.factories import sign_kap_consent


def test_an_eligibility_decision_moves_an_evaluating_course(course, prescriber):
    transition = course.decide("eligible", by=prescriber)
    course.refresh_from_db()
    assert course.state == CourseState.ELIGIBLE
    assert (transition.from_state, transition.to_state, transition.by) == (
        "evaluating",
        "eligible",
        prescriber,
    )
    assert course.state_changed_at == transition.at


def test_a_course_cannot_start_before_it_is_found_eligible(course, prescriber):
    with pytest.raises(TransitionError, match="evaluating cannot become active"):
        course.start(by=prescriber)
    course.refresh_from_db()
    assert course.state == CourseState.EVALUATING
    assert not course.transitions.exists()


def test_a_course_needing_clearance_can_then_be_found_eligible_and_started(course, prescriber):
    course.decide("needs_clearance", by=prescriber)
    course.decide("eligible", by=prescriber, reason="Cleared by primary care")
    course.start(by=prescriber)
    assert [t.to_state for t in course.transitions.all()] == ["needs_clearance", "eligible", "active"]


@pytest.mark.parametrize("move", ["pause", "withdraw"])
def test_pausing_or_withdrawing_needs_a_reason(course, prescriber, move):
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    with pytest.raises(TransitionError, match="Give a reason"):
        getattr(course, move)(by=prescriber, reason="  ")
    getattr(course, move)(by=prescriber, reason="Patient request")
    assert course.transitions.last().reason == "Patient request"


def test_finished_courses_do_not_move_again(course, prescriber):
    course.decide("ineligible", by=prescriber, reason="Active psychosis")
    for to in CourseState.values:
        with pytest.raises(TransitionError):
            course.move(to, by=prescriber, reason="x")


def test_only_a_paused_course_resumes(course, prescriber):
    with pytest.raises(TransitionError, match="Only a paused course"):
        course.resume(by=prescriber)


def test_a_state_that_does_not_exist_is_refused(course, prescriber):
    with pytest.raises(TransitionError, match="not a course state"):
        course.move("teleported", by=prescriber)


def test_the_prescriber_moves_the_course_from_the_chart_and_it_is_audited(
    client, course, prescriber, signed_in
):
    signed_in(prescriber)
    client.post(
        reverse("patients:course_transition", args=[course.pk]),
        {"to_state": "withdrawn", "reason": "Moved away"},
    )
    course.refresh_from_db()
    assert course.state == "withdrawn"
    event = AuditEvent.objects.get(action="transition")
    assert event.detail == {"from": "evaluating", "to": "withdrawn", "reason": "Moved away"}
    assert (event.actor, event.role, event.patient_id) == (prescriber.email, "prescriber", course.patient_id)


def test_an_illegal_move_from_the_chart_explains_itself_and_changes_nothing(
    client, course, prescriber, signed_in
):
    signed_in(prescriber)
    response = client.post(
        reverse("patients:course_transition", args=[course.pk]), {"to_state": "completed"}, follow=True
    )
    assert "cannot become completed" in response.content.decode()
    course.refresh_from_db()
    assert course.state == "evaluating"
    assert not AuditEvent.objects.filter(action="transition").exists()


def test_a_nurse_may_not_move_a_course(client, course, nurse, signed_in):
    signed_in(nurse)
    response = client.post(reverse("patients:course_transition", args=[course.pk]), {"to_state": "eligible"})
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.state == "evaluating"


@pytest.mark.parametrize("to", ["eligible", "ineligible", "needs_clearance"])
def test_the_chart_cannot_decide_eligibility_without_a_signed_decision(
    client, course, prescriber, signed_in, to
):
    signed_in(prescriber)
    response = client.post(
        reverse("patients:course_transition", args=[course.pk]), {"to_state": to, "reason": "x"}, follow=True
    )
    assert "by signing the decision and the plan" in response.content.decode()
    course.refresh_from_db()
    assert course.state == "evaluating"
    assert (
        "Mark eligible"
        not in client.get(reverse("patients:chart", args=[course.patient_id])).content.decode()
    )


def test_the_chart_cannot_start_treatment_without_a_signed_plan_but_resumes_a_paused_course(
    client, course, prescriber, signed_in
):
    course.decide("eligible", by=prescriber)
    signed_in(prescriber)
    url = reverse("patients:course_transition", args=[course.pk])
    client.post(url, {"to_state": "active"})
    course.refresh_from_db()
    assert course.state == "eligible"
    course.start(by=prescriber)
    course.pause(by=prescriber, reason="Travel")
    sign_kap_consent(course.patient)
    client.post(url, {"to_state": "active"})
    course.refresh_from_db()
    assert course.state == "active"


def test_a_paused_course_does_not_resume_once_the_kap_consent_is_withdrawn(
    client, course, prescriber, signed_in
):
    signature = sign_kap_consent(course.patient)
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    course.pause(by=prescriber, reason="Travel")
    signature.withdraw(channel="clinic", note="Letter received")
    signed_in(prescriber)
    response = client.post(
        reverse("patients:course_transition", args=[course.pk]), {"to_state": "active"}, follow=True
    )
    course.refresh_from_db()
    assert course.state == "paused"
    page = response.content.decode()
    assert "withdrew the informed consent for ketamine-assisted psychotherapy" in page
    assert reverse("patients:consent_sign", args=[course.patient_id, "kap"]) in page
