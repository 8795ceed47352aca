"""On a phone: a patient asks for a sign-in link, opens it from their texts, signs the KAP consent,
and confirms the preparation checklist for tomorrow's session."""

import re
from datetime import timedelta

from django.utils import timezone

from kapcare.patients.consent import ConsentDocument, ConsentSignature, consent_templates
from kapcare.patients.preparation import checklist_status
from kapcare.portal.tests.conftest import book
from tests.e2e.conftest import screenshot


def fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_a_patient_signs_in_by_text_signs_consent_and_confirms_preparation(
    phone, live_server, patient, course, prescriber, sms_outbox
):
    for kind, title, body in consent_templates():
        ConsentDocument.publish(patient.clinic, kind, title, body)
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    book(course, timezone.localdate(timezone.now(), patient.clinic.zone) + timedelta(days=1), prescriber)

    phone.goto(live_server.url + "/portal/")
    phone.get_by_role("heading", name="Sign in to your patient portal").wait_for()
    assert phone.get_by_role("link", name="988").first.is_visible()
    fits_the_phone(phone)
    screenshot(phone, "portal-signin-phone")
    phone.get_by_label("Email or mobile number").fill("617 555 0123")
    phone.get_by_label("Date of birth").fill("1984-03-09")
    phone.get_by_role("button", name="Send me a sign-in link").click()
    phone.get_by_role("heading", name="Check your texts").wait_for()

    (text,) = sms_outbox
    link = re.search(r"https?://\S+/portal/sign-in/\S+/", text.body).group(0)
    phone.goto(link)
    phone.get_by_role("button", name="Continue to my portal").click()
    phone.get_by_role("heading", name="Hello, Daisy").wait_for()
    assert phone.get_by_text("not watched in real time").is_visible()
    fits_the_phone(phone)
    screenshot(phone, "portal-home-phone")

    phone.get_by_role("link", name="Read and sign").first.click()
    phone.get_by_role("heading", name="Informed consent for ketamine-assisted psychotherapy").wait_for()
    phone.get_by_label("I have read this document").check()
    phone.get_by_label("Type your full legal name to sign").fill("Daisy Quillfeather")
    phone.get_by_role("button", name="Sign version 1").click()
    phone.get_by_text("The name does not match the record").wait_for()
    screenshot(phone, "portal-consent-error-phone")
    assert not ConsentSignature.objects.exists()
    phone.get_by_label("Type your full legal name to sign").fill("Marguerite Quillfeather")
    phone.get_by_role("button", name="Sign version 1").click()
    phone.get_by_text("Thank you. You signed").wait_for()
    signature = ConsentSignature.objects.get()
    assert signature.kind == "kap" and bytes(signature.pdf).startswith(b"%PDF")

    phone.get_by_role("link", name="Preparation checklist", exact=True).click()
    phone.get_by_role("heading", name="Preparation checklist").wait_for()
    fits_the_phone(phone)
    for box in phone.locator("input[type=checkbox]").all():
        box.check()
    screenshot(phone, "portal-preparation-phone")
    phone.get_by_role("button", name="Confirm my preparation").click()
    phone.get_by_text("Your preparation for").wait_for()
    assert phone.get_by_text("Confirmed").first.is_visible()
    tomorrow = timezone.localdate(timezone.now(), patient.clinic.zone) + timedelta(days=1)
    assert checklist_status(patient, tomorrow).confirmed
    screenshot(phone, "portal-home-after-phone")
    assert phone.console_errors == [], phone.console_errors


def test_the_prescriber_sees_the_signed_consent_and_the_checklist_on_the_chart(
    page, live_server, prescriber, patient, course
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kapcare.patients.preparation import PreparationConfirmation
    from tests.e2e.test_staff_signin import current_code, sign_in_with_password

    (kind, title, body), *_ = consent_templates()
    document = ConsentDocument.publish(patient.clinic, kind, title, body)
    document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=document.sha256,
        channel="portal",
    )
    today = timezone.localdate(timezone.now(), patient.clinic.zone)
    PreparationConfirmation.confirm(patient, today + timedelta(days=1), course=course)

    sign_in_with_password(page, live_server, prescriber.email)
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=prescriber).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.url}/staff/patients/{patient.pk}/")
    consent = page.get_by_role("region", name="Consent")
    consent.get_by_role("link", name="PDF").wait_for()
    assert consent.get_by_text("Newer version not signed").count() == 0
    checklist = page.get_by_role("region", name="Preparation checklist")
    checklist.get_by_text("Confirmed", exact=True).wait_for()
    screenshot(page, "chart-consent-and-preparation")
    assert page.console_errors == [], page.console_errors
