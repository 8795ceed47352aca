"""The patient fills the history part of the evaluation in the portal; it waits for review."""

from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Evaluation
from kapcare.portal.tests.conftest import portal_sign_in


def test_a_patient_sends_their_history_and_it_awaits_clinician_review(client, patient, course):
    portal_sign_in(client, patient)
    page = client.get(reverse("evaluation_portal:history")).content.decode()
    assert "In the last two weeks, have you had thoughts of ending your life?" in page
    assert "Not asked yet" not in page
    assert "Are you pregnant, or could you be?" in page
    response = client.post(
        reverse("evaluation_portal:history"),
        {"psychosis": "none", "suicidal_thoughts_last_2_weeks": "false", "goals": "Feel calm at work."},
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(course=course)
    assert evaluation.awaiting_review
    assert evaluation.goals == "Feel calm at work."
    event = AuditEvent.objects.filter(object_type="Evaluation", action="update").get()
    assert (event.actor, event.role) == (f"patient {patient.pk}", "patient")


def test_the_portal_home_invites_the_patient_to_fill_in_their_history(client, patient, course):
    portal_sign_in(client, patient)
    panel = client.get(reverse("evaluation_portal:panel"), headers={"HX-Request": "true"}).content.decode()
    assert "Fill in my history" in panel


def test_an_answer_that_cannot_be_right_is_refused_and_nothing_is_saved(client, patient, course):
    portal_sign_in(client, patient)
    response = client.post(
        reverse("evaluation_portal:history"),
        {"suicide_attempt": "true", "last_suicide_attempt": "2999-01-01"},
    )
    assert "The date of the attempt is after the evaluation." in response.content.decode()
    assert not Evaluation.objects.exists()


def test_after_the_decision_there_is_no_history_form(client, patient, course, prescriber):
    course.decide("eligible", by=prescriber)
    portal_sign_in(client, patient)
    assert client.get(reverse("evaluation_portal:history")).status_code == 302
    assert not Evaluation.objects.exists()


def test_the_history_form_needs_a_signed_in_patient(client, course):
    response = client.get(reverse("evaluation_portal:history"))
    assert response.status_code == 302
    assert "/portal/" in response["Location"]
