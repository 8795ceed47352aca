"""Safety alerts close only with a recorded action, by a role that may, and are audited."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.measures.models import AlertError, Invitation, SafetyAlert, record_response
from kapcare.measures.tests.conftest import phq9_answers


@pytest.fixture
def alert(phq9, patient, course):
    record_response(phq9, patient, phq9_answers([1] * 9), via="link")
    return SafetyAlert.objects.get()


def test_an_alert_cannot_be_closed_without_a_note_of_the_action(alert, prescriber):
    with pytest.raises(AlertError, match="note"):
        alert.close(by=prescriber, action="clinician_review", note="  ")
    alert.refresh_from_db()
    assert alert.is_open


def test_an_alert_cannot_be_closed_without_saying_what_was_done(alert, prescriber):
    with pytest.raises(AlertError, match="Choose what was done"):
        alert.close(by=prescriber, action="", note="Called her")
    assert SafetyAlert.objects.open().count() == 1


def test_the_database_refuses_a_closed_alert_with_no_action(alert, prescriber):
    with pytest.raises(IntegrityError):
        SafetyAlert.objects.filter(pk=alert.pk).update(closed_at=timezone.now(), closed_by=prescriber)


def test_closing_with_an_action_records_it_and_completes_the_follow_up(alert, prescriber):
    alert.close(by=prescriber, action="cssrs", note="C-SSRS screen: no recent ideation or behaviour.")
    alert.refresh_from_db()
    assert not alert.is_open
    assert alert.closed_by == prescriber and alert.follow_up_done_at is not None
    assert AuditEvent.objects.filter(
        object_type="SafetyAlert", action="update", actor_id=prescriber.pk
    ).exists()


def test_a_closed_alert_cannot_be_closed_again(alert, prescriber, nurse):
    alert.close(by=prescriber, action="cssrs", note="Done.")
    with pytest.raises(AlertError, match="already closed"):
        alert.close(by=nurse, action="clinician_review", note="Again.")


def test_the_alerts_list_shows_open_alerts_with_their_rule(signed_in, prescriber, alert):
    page = signed_in(prescriber).get(reverse("measures:alerts"))
    body = page.content.decode()
    assert "Thoughts of death or self-harm" in body
    assert "Quillfeather" in body
    assert 'badge-urgent">You<' in body


def test_the_alert_page_shows_the_rule_and_its_source(signed_in, nurse, alert):
    body = signed_in(nurse).get(reverse("measures:alert", args=[alert.pk])).content.decode()
    assert "item 9 above 0" in body
    assert "calcipedia.org" in body


def test_posting_a_close_without_a_note_shows_the_error_and_keeps_it_open(signed_in, prescriber, alert):
    page = signed_in(prescriber).post(
        reverse("measures:alert_close", args=[alert.pk]), {"action": "clinician_review", "note": ""}
    )
    assert "an alert cannot be closed without a note" in page.content.decode()
    assert SafetyAlert.objects.get().is_open


def test_posting_a_close_with_an_action_closes_it(signed_in, therapist, alert):
    page = signed_in(therapist).post(
        reverse("measures:alert_close", args=[alert.pk]),
        {"action": "safety_plan", "note": "Safety plan reviewed by phone."},
    )
    assert page.status_code == 302
    assert SafetyAlert.objects.get().action == "safety_plan"


def test_intake_sees_alerts_but_may_not_close_them(signed_in, intake, alert):
    client = signed_in(intake)
    assert "Close the alert" not in client.get(reverse("measures:alert", args=[alert.pk])).content.decode()
    page = client.post(reverse("measures:alert_close", args=[alert.pk]), {"action": "cssrs", "note": "x"})
    assert page.status_code == 403
    assert SafetyAlert.objects.get().is_open


def test_another_clinic_gets_not_found_for_an_alert(signed_in, outsider, alert):
    page = signed_in(outsider).get(reverse("measures:alert", args=[alert.pk]))
    assert page.status_code == 404


def test_a_cssrs_follow_up_waits_on_the_chart_and_is_done_when_the_screen_is_entered(
    settings, instruments, patient, course, prescriber, nurse
):
    settings.MEASURES_ALERT_FOLLOW_UP = "cssrs"
    record_response(instruments["phq-9"], patient, phq9_answers([0] * 8 + [1]), via="link")
    alert = SafetyAlert.objects.get()
    waiting = Invitation.objects.get(instrument__name="c-ssrs-screener")
    assert waiting.assignment.channel == "clinic" and waiting.patient == patient
    cssrs = instruments["c-ssrs-screener"]
    answers = {item.answer_key: "LA32-8" for item in cssrs.definition().items}
    record_response(cssrs, patient, answers, via="clinic", by=nurse, invitation=waiting)
    alert.refresh_from_db()
    assert alert.follow_up_done_at is not None
    assert alert.is_open  # closing still needs the recorded action


# Telling the care team ---------------------------------------------------------------------


def test_the_prescriber_and_therapist_are_emailed_that_a_result_needs_review(
    phq9, patient, course, therapist, mailoutbox, sms_outbox
):
    course.therapist = therapist
    course.save()
    record_response(phq9, patient, phq9_answers([2, 2, 1, 1, 1, 1, 1, 1, 1]), via="link")
    alert = SafetyAlert.objects.get()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "prescriber@riverside.example",
        "therapist@riverside.example",
    ]
    url = "http://127.0.0.1:8000" + reverse("measures:alert", args=[alert.pk])
    for message in mailoutbox:
        # Email is not private: a link to the alert, and nothing about the patient or the answer.
        assert message.subject == "A patient's result needs review"
        assert message.body == f"A patient's result needs review. Sign in to see it: {url}"
    alert.refresh_from_db()
    assert alert.notified_at is not None and len(alert.notified) == 2
    assert AuditEvent.objects.filter(object_type="SafetyAlert", detail__has_key="notified").count() == 1


def test_a_member_who_gave_a_mobile_number_is_texted_a_link_and_nothing_about_the_patient(
    phq9, patient, course, prescriber, therapist, mailoutbox, sms_outbox
):
    prescriber.alert_phone = "+16175550101"
    prescriber.save()
    course.therapist = therapist
    course.save()
    record_response(phq9, patient, phq9_answers([2, 2, 1, 1, 1, 1, 1, 1, 1]), via="link")
    alert = SafetyAlert.objects.get()
    url = "http://127.0.0.1:8000" + reverse("measures:alert", args=[alert.pk])
    [text] = sms_outbox
    assert text.to == "+16175550101"
    assert text.body == f"kapcare: a patient's result needs your review. Sign in to see it: {url}"
    assert patient.legal_last_name not in text.body
    assert len(mailoutbox) == 2  # both still emailed
    alert.refresh_from_db()
    assert {"to": prescriber.display_name, "by": "text"} in alert.notified


def test_a_text_that_cannot_be_sent_does_not_stop_the_emails_and_the_alert_page_says_so(
    phq9, patient, course, prescriber, mailoutbox, settings, signed_in, nurse
):
    settings.SMS_BACKEND = "kapcare.measures.tests.test_alerts.BrokenSMS"
    prescriber.alert_phone = "+16175550101"
    prescriber.save()
    record_response(phq9, patient, phq9_answers([2, 2, 1, 1, 1, 1, 1, 1, 1]), via="link")
    alert = SafetyAlert.objects.get()
    assert [m.to for m in mailoutbox] == [[prescriber.email]]
    page = signed_in(nurse).get(reverse("measures:alert", args=[alert.pk])).content.decode()
    assert f"{prescriber.email} by email" in page
    assert "by text <strong>(not sent: the carrier refused the number)</strong>" in page


class BrokenSMS:
    def send(self, to, body):
        from kapcare.lib.messaging import SMSError

        raise SMSError("the carrier refused the number")


def test_the_care_team_is_told_once(alert, mailoutbox):
    from kapcare.measures.tasks import notify_alert

    assert len(mailoutbox) == 1
    assert notify_alert.enqueue(alert.pk).return_value == 0
    assert len(mailoutbox) == 1


def test_without_a_course_the_clinics_prescribers_are_told(phq9, patient, prescriber, nurse, mailoutbox):
    record_response(phq9, patient, phq9_answers([1] * 9), via="link")
    assert [m.to for m in mailoutbox] == [["prescriber@riverside.example"]]


def test_the_alert_page_says_who_was_told(signed_in, nurse, alert):
    body = signed_in(nurse).get(reverse("measures:alert", args=[alert.pk])).content.decode()
    assert "prescriber@riverside.example by email" in body
