"""Patients sign in by a single-use, short-lived link sent by email or text; nothing on screen says
whether someone is a patient; wrong dates of birth lock sign-in for that patient."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.portal.models import SignInFailure, SignInLink

NOW = "2026-11-27 15:00:00+00:00"


def ask(client, contact, born="1984-03-09"):
    return client.post(reverse("portal:signin"), {"contact": contact, "date_of_birth": born})


def link_in(text):
    return re.search(r"http://testserver(/portal/sign-in/\S+/)", text).group(1)


def emailed_link():
    assert len(mail.outbox) == 1
    return link_in(mail.outbox[0].body)


def without_tokens(html):
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_a_patient_gets_a_link_by_email_and_it_opens_their_portal(client, patient):
    response = ask(client, "DAISY@example.com")
    assert "Check your email" in response.content.decode()
    url = emailed_link()
    assert "Continue to my portal" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("portal:home")
    home = client.get(reverse("portal:home")).content.decode()
    assert "Hello, Daisy" in home
    event = AuditEvent.objects.filter(action="sign_in").get()
    assert (event.patient_id, event.role, event.clinic_id) == (patient.pk, "patient", patient.clinic_id)
    assert event.actor == f"patient {patient.pk}"


def test_a_patient_gets_a_link_by_text_to_their_mobile_number(client, patient, sms_outbox):
    ask(client, "(617) 555-0123")
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "+16175550123"
    assert client.post(link_in(sms_outbox[0].body)).status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_the_link_message_carries_no_health_information(client, patient, course):
    ask(client, "daisy@example.com")
    body = mail.outbox[0].body
    assert "Quillfeather" not in body and "depression" not in body.lower()


def test_opening_the_link_does_not_spend_it_until_the_patient_continues(client, patient):
    ask(client, "daisy@example.com")
    url = emailed_link()
    client.get(url)
    client.get(url)  # a mail scanner, then the patient
    assert SignInLink.objects.get().used_at is None
    assert client.post(url).status_code == 302


def test_a_used_link_is_refused(client, patient):
    ask(client, "daisy@example.com")
    url = emailed_link()
    client.post(url)
    client.post(reverse("portal:signout"))
    response = client.post(url)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert client.get(reverse("portal:home")).status_code == 302


def test_an_expired_link_is_refused(client, patient, time_machine):
    time_machine.move_to(NOW, tick=False)
    ask(client, "daisy@example.com")
    url = emailed_link()
    time_machine.shift(settings.PORTAL_LINK_MINUTES * 60 + 1)
    response = client.post(url)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert client.get(reverse("portal:home")).status_code == 302


def test_a_link_still_works_just_before_it_expires(client, patient, time_machine):
    time_machine.move_to(NOW, tick=False)
    ask(client, "daisy@example.com")
    url = emailed_link()
    time_machine.shift(settings.PORTAL_LINK_MINUTES * 60 - 5)
    assert client.post(url).status_code == 302


@pytest.mark.parametrize("change", ["last character", "link id"])
def test_a_tampered_link_is_refused_and_audited(client, patient, change):
    ask(client, "daisy@example.com")
    url = emailed_link()
    token = url.split("/")[-2]
    if change == "last character":
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        from django.core import signing

        forged = signing.dumps({"link": 999}, salt="not the portal's salt", compress=True)
    response = client.post(reverse("portal:link", args=[forged]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="sign_in_failed", detail__reason="tampered or unknown link"
    ).exists()
    assert client.get(reverse("portal:home")).status_code == 302


def test_a_wrong_date_of_birth_sends_nothing_and_counts_against_the_patient(client, patient, sms_outbox):
    response = ask(client, "daisy@example.com", born="1984-09-03")
    assert "Check your email" in response.content.decode()
    assert mail.outbox == [] and sms_outbox == []
    assert SignInFailure.objects.filter(patient=patient).count() == 1
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.patient_id == patient.pk and event.detail["reason"] == "date of birth did not match"


def test_the_answer_is_the_same_whether_or_not_someone_is_a_patient(client, patient):
    pages = [
        ask(client, "daisy@example.com"),
        ask(client, "daisy@example.com", born="1990-01-01"),
        ask(client, "nobody@example.com"),
    ]
    assert {page.status_code for page in pages} == {200}
    assert len({without_tokens(page.content.decode()) for page in pages}) == 1


def test_after_repeated_failures_sign_in_locks_for_that_patient_and_they_are_told(
    client, patient, time_machine
):
    time_machine.move_to(NOW, tick=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        ask(client, "daisy@example.com", born="1990-01-01")
    assert len(mail.outbox) == 1 and "paused" in mail.outbox[0].body
    ask(client, "daisy@example.com")  # the right date of birth, but locked
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="sign_in_failed", detail__reason="locked: link not sent").exists()
    time_machine.shift(settings.AXES_COOLOFF_TIME * 3600 + 1)
    ask(client, "daisy@example.com")
    assert len(mail.outbox) == 2
    assert client.post(link_in(mail.outbox[1].body)).status_code == 302


def test_a_link_sent_before_the_lock_does_not_open_a_locked_portal(client, patient):
    ask(client, "daisy@example.com")
    url = emailed_link()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        ask(client, "daisy@example.com", born="1990-01-01")
    response = client.post(url)
    assert response.status_code == 400 and "paused" in response.content.decode()


def test_failures_for_one_patient_do_not_lock_another(client, patient, clinic):
    from datetime import date

    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ansel",
        legal_last_name="Brook",
        date_of_birth=date(1970, 1, 2),
        sex_at_birth="male",
        email="ansel@example.com",
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        ask(client, "daisy@example.com", born="1990-01-01")
    mail.outbox.clear()
    ask(client, "ansel@example.com", born="1970-01-02")
    assert len(mail.outbox) == 1 and SignInLink.objects.filter(patient=other).exists()


def test_something_that_is_not_an_email_or_a_number_gets_a_clear_error(client, patient, sms_outbox):
    response = client.post(reverse("portal:signin"), {"contact": "daisy", "date_of_birth": "1984-03-09"})
    assert "Enter your email address, or your mobile number" in response.content.decode()
    assert mail.outbox == [] and sms_outbox == [] and not SignInLink.objects.exists()


def test_a_date_of_birth_in_the_future_is_refused(client, patient):
    response = ask(client, "daisy@example.com", born="2999-01-01")
    assert "That date is in the future" in response.content.decode()
    assert mail.outbox == []


def test_the_portal_signs_an_idle_patient_out(client, patient, time_machine, settings):
    from kapcare.portal.tests.conftest import portal_sign_in

    # Shorter than the session cookie's own idle age, so the portal's check is what ends it.
    settings.PORTAL_IDLE_MINUTES = 5
    time_machine.move_to(NOW, tick=False)
    portal_sign_in(client, patient)
    assert client.get(reverse("portal:home")).status_code == 200
    time_machine.shift(settings.PORTAL_IDLE_MINUTES * 60 - 10)
    assert client.get(reverse("portal:home")).status_code == 200
    time_machine.shift(settings.PORTAL_IDLE_MINUTES * 60 + 1)
    response = client.get(reverse("portal:home"))
    assert response["Location"] == reverse("portal:signin")
    assert AuditEvent.objects.filter(action="sign_out", patient_id=patient.pk, detail__idle=True).exists()


def test_the_portal_session_ends_with_the_idle_session_by_default(client, patient, time_machine):
    from kapcare.portal.tests.conftest import portal_sign_in

    time_machine.move_to(NOW, tick=False)
    portal_sign_in(client, patient)
    time_machine.shift(settings.PORTAL_IDLE_MINUTES * 60 + 1)
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:signin")


def test_a_portal_sign_in_is_not_a_staff_sign_in(portal, patient):
    response = portal.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("clinics:signin"))


def test_a_staff_sign_in_does_not_open_the_portal(client, prescriber, patient, signed_in):
    signed_in(prescriber)
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:signin")


def test_signing_out_ends_the_portal_session(portal, patient):
    portal.post(reverse("portal:signout"))
    assert portal.get(reverse("portal:home")).status_code == 302
    assert AuditEvent.objects.filter(action="sign_out", patient_id=patient.pk).exists()


def test_a_patient_gets_at_most_a_few_unused_links_at_once(client, patient, sms_outbox, time_machine):
    time_machine.move_to(NOW, tick=False)
    for _ in range(settings.PORTAL_MAX_OPEN_LINKS + 2):
        response = ask(client, "(617) 555-0123")
    assert "Check your texts" in response.content.decode()
    assert len(sms_outbox) == settings.PORTAL_MAX_OPEN_LINKS
    assert AuditEvent.objects.filter(detail__reason="too many open links: link not sent").count() == 2
    time_machine.shift(settings.PORTAL_LINK_MINUTES * 60 + 1)
    ask(client, "(617) 555-0123")
    assert len(sms_outbox) == settings.PORTAL_MAX_OPEN_LINKS + 1
