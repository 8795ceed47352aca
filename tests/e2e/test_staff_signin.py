"""A prescriber signs in with password and code, finds a patient and opens the chart;
a new member of staff enrols an authenticator app as they would with a phone."""

import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from tests.e2e.conftest import screenshot


def current_code(key: bytes) -> str:
    return f"{totp(key):06d}"


def sign_in_with_password(page, live_server, email):
    page.goto(live_server.url + "/staff/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_prescriber_signs_in_and_opens_a_chart(page, live_server, prescriber, course):
    sign_in_with_password(page, live_server, prescriber.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    device = TOTPDevice.objects.get(user=prescriber)
    page.get_by_label("Six-digit code").fill(current_code(device.bin_key))
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Find a patient").fill("Quill")
    row = page.get_by_role("link", name="Quillfeather, Marguerite")
    row.wait_for()
    screenshot(page, "patient-list")
    row.click()
    page.get_by_role("heading", name=re.compile("Daisy Quillfeather")).wait_for()
    assert page.get_by_text("Treatment-resistant depression").is_visible()
    assert page.get_by_role("button", name="Withdraw").is_visible()
    screenshot(page, "chart")
    assert page.console_errors == []


def test_a_new_member_enrols_an_authenticator_app(page, live_server, nurse):
    TOTPDevice.objects.filter(user=nurse).delete()
    sign_in_with_password(page, live_server, nurse.email)
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    assert page.locator(".qr svg").is_visible()
    screenshot(page, "two-factor-setup")
    # Type the key as a person without a camera would.
    from base64 import b32decode

    key = b32decode(page.locator(".secret").inner_text().replace(" ", ""))
    page.get_by_label("Six-digit code").fill(current_code(key))
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("heading", name="Riverside KAP").wait_for()
    assert TOTPDevice.objects.get(user=nurse).confirmed
    assert page.console_errors == []


def test_the_public_home_page_fits_a_phone_and_shows_crisis_resources(phone, live_server, clinic):
    phone.goto(live_server.url + "/")
    assert phone.get_by_role("link", name="988").first.is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    screenshot(phone, "home-phone")
    assert phone.console_errors == []


def test_the_chart_fits_a_phone_with_a_long_email_address(phone, live_server, prescriber, course):
    patient = course.patient
    patient.email = "marguerite.quillfeather.longaddress@example-health-mail.com"
    patient.address_line = "1846 Commonwealth Avenue, Apartment 12B"
    patient.save()
    sign_in_with_password(phone, live_server, prescriber.email)
    device = TOTPDevice.objects.get(user=prescriber)
    phone.get_by_label("Six-digit code").fill(current_code(device.bin_key))
    phone.get_by_role("button", name="Continue").click()
    phone.goto(f"{live_server.url}/staff/patients/{patient.pk}/")
    phone.get_by_text(patient.email).wait_for()
    phone.wait_for_load_state("networkidle")  # every panel in
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the chart scrolls sideways on a phone ({width}px)"
    screenshot(phone, "chart-phone")
