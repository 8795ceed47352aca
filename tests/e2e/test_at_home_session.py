"""A nurse books a dosing session at home from the chart, with the address where the patient will
be (prefilled from the address on file), and finds it on the session page and the live board."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.evaluation.tests.factories import signed_plan
from kapcare.patients.models import Patient
from kapcare.sessions.models import DosingSession
from kapcare.sessions.tests.conftest import (  # noqa: F401  (fixtures)
    GOOD_ANSWERS,
    active_course,
    quick_consent_pdf,
    ready_patient,
)
from kapcare.sessions.tests.test_setting import sign_at_home_consent
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password


def sign_in(page, live_server, user):
    sign_in_with_password(page, live_server, user.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=user).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Live board").wait_for()


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_nurse_books_an_at_home_session_with_its_address(
    page, live_server, ready_patient, active_course, nurse, prescriber
):
    Patient.objects.filter(pk=ready_patient.pk).update(
        address_line="14 Alder Street", city="Somerville", state="MA", postal_code="02144"
    )
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    sign_at_home_consent(ready_patient, prescriber)

    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/staff/patients/{ready_patient.pk}/")
    page.get_by_role("link", name="Schedule a session").click()
    address = page.get_by_label("Address for an at-home session")
    assert address.input_value() == "14 Alder Street\nSomerville, MA 02144"

    # Booked at home without an address: refused, and nothing is booked.
    page.get_by_label("Planned start").fill("2031-05-06T10:00")
    page.get_by_label("Setting").select_option("home")
    address.fill("")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("An at-home session needs the address where the patient will be").wait_for()
    assert not DosingSession.objects.exists()

    # The patient will be at their sister's this time.
    page.get_by_label("Address for an at-home session").fill("Flat 2, 30 Elm Road\nMedford, MA 02155")
    screenshot(page, "at-home-schedule")
    page.get_by_role("button", name="Schedule").click()
    page.get_by_text("Dosing session 1 scheduled.").wait_for()
    session = DosingSession.objects.get()
    assert (session.setting, session.home_address) == ("home", "Flat 2, 30 Elm Road\nMedford, MA 02155")

    page.get_by_role("link", name=re.compile("Session 1 ·")).click()
    page.get_by_text("The patient's address for this session:").wait_for()
    assert page.get_by_text("Flat 2, 30 Elm Road, Medford, MA 02155").is_visible()
    screenshot(page, "at-home-session")

    # Checked in, it is on the live board with the address on its tile.
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    page.goto(f"{live_server.url}/staff/sessions/board/{session.site_id}/")
    tile = page.locator(".tile", has_text=ready_patient.name)
    assert tile.locator(".tile-room").inner_text() == "At home"
    assert "Flat 2, 30 Elm Road, Medford, MA 02155" in tile.locator(".tile-address").inner_text()
    screenshot(page, "at-home-board")

    # On a phone, the same pages fit the screen.
    page.set_viewport_size(PHONE)
    for url, name in [
        (f"/staff/sessions/{session.pk}/", "at-home-session-phone"),
        (f"/staff/sessions/board/{session.site_id}/", "at-home-board-phone"),
        (f"/staff/sessions/courses/{active_course.pk}/schedule/", "at-home-schedule-phone"),
    ]:
        page.goto(live_server.url + url)
        assert fits_the_screen(page), name
        screenshot(page, name)
    assert page.get_by_label("Address for an at-home session").is_visible()
    assert not page.console_errors
