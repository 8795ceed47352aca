"""The patient's questionnaire link: signed, single use, expiring; progress saved as a draft;
every answer checked with a clear message; crisis resources on the spot for a positive item 9."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.measures import links
from kapcare.measures.models import Assignment, Invitation, Response, SafetyAlert
from kapcare.measures.tests.conftest import phq9_answers


@pytest.fixture
def invitation(phq9, patient, course, prescriber):
    assignment = Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        instrument=phq9,
        schedule="once",
        channel="sms",
        created_by=prescriber,
    )
    return Invitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        assignment=assignment,
        instrument=phq9,
        occasion="once",
        due_at=timezone.now(),
    )


def url(invitation):
    return reverse("measures:answer", args=[links.token_for(invitation)])


def test_the_link_opens_the_questionnaire_without_signing_in(client, invitation):
    page = client.get(url(invitation))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Little interest or pleasure in doing things" in body
    assert 'href="tel:988"' in body
    assert "Quillfeather" not in body  # the page needs no name; a forwarded link shows none
    assert "PHQ-9 total score" not in body  # a calculated item is worked out, not asked


def test_a_tampered_link_is_refused(client, invitation):
    token = links.token_for(invitation)
    page = client.get(reverse("measures:answer", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")]))
    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()


def test_a_link_signed_for_another_nonce_is_refused(client, invitation):
    forged = signing.dumps({"i": invitation.pk, "n": "0" * 32}, salt=links.SALT, compress=True)
    assert client.get(reverse("measures:answer", args=[forged])).status_code == 404


def test_an_expired_link_is_refused(client, invitation):
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        page = client.get(url(invitation))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


def test_a_link_works_once(client, invitation):
    answers = {k: v for k, v in phq9_answers([1] * 8 + [0]).items()}
    assert client.post(url(invitation), answers).status_code == 200
    again = client.get(url(invitation))
    assert again.status_code == 410
    assert "Already answered" in again.content.decode()
    assert client.post(url(invitation), answers).status_code == 410
    assert Response.objects.count() == 1


def test_answers_so_far_are_saved_as_a_draft_and_shown_again(client, invitation):
    first_two = dict(list(phq9_answers([2] * 9).items())[:2])
    client.post(url(invitation), {**first_two, "save": "1"})
    invitation.refresh_from_db()
    assert invitation.draft == first_two
    assert Response.objects.count() == 0
    body = client.get(url(invitation)).content.decode()
    assert body.count(" checked>") == 2


def test_an_htmx_autosave_answers_with_the_time_saved(client, invitation):
    page = client.post(url(invitation), {"/44250-9": "LA6570-1", "save": "1"}, headers={"HX-Request": "true"})
    assert page.content.decode().startswith("Progress saved at")
    assert Invitation.objects.get().draft == {"/44250-9": "LA6570-1"}


def test_a_missing_answer_is_named_on_its_question_and_nothing_is_stored(client, invitation):
    answers = phq9_answers([1] * 9)
    del answers["/44253-3"]
    answers["/44250-9"] = "LA9999-9"
    body = client.post(url(invitation), answers).content.decode()
    assert "Some answers need another look" in body
    assert body.count("Please answer this question.") == 1
    assert "Choose one of the answers shown." in body
    assert Response.objects.count() == 0 and SafetyAlert.objects.count() == 0
    assert Invitation.objects.get().used_at is None


def test_a_positive_item_9_shows_crisis_resources_and_raises_the_alert(client, invitation):
    page = client.post(url(invitation), phq9_answers([0, 1, 0, 0, 0, 0, 0, 0, 1]))
    body = page.content.decode()
    assert "Please reach out now" in body
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and 'href="tel:911"' in body
    alert = SafetyAlert.objects.get()
    assert alert.response.entered_via == "link"


def test_a_completed_questionnaire_without_flags_just_thanks_the_patient(client, invitation):
    body = client.post(url(invitation), phq9_answers([1] * 8 + [0])).content.decode()
    assert "Thank you" in body and "Please reach out now" not in body
    assert "score" not in body.lower()  # the patient is not shown a severity judgement on their own


def test_opening_and_answering_are_audited_as_the_patient(client, invitation):
    client.get(url(invitation))
    client.post(url(invitation), phq9_answers([1] * 8 + [0]))
    events = AuditEvent.objects.filter(patient_id=invitation.patient_id).order_by("seq")
    assert [e.action for e in events][:2] == ["view", "create"]
    assert events.first().role == "patient"
