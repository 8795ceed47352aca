"""A nurse finds a home cuff's wrong reading on the patient's chart and marks it entered in error,
saying why; it leaves the readings in force and stays on the chart, apart and struck through."""

from datetime import timedelta

from django.utils import timezone

from kapcare.sessions.models import VitalSign
from tests.e2e.conftest import PHONE, new_page, screenshot
from tests.e2e.test_dosing_session import sign_in

WHY = "Cuff worn over a sleeve; the patient re-took it ten minutes later."


def home(patient, days_ago, systolic, diastolic):
    return VitalSign.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        taken_at=timezone.now() - timedelta(days=days_ago),
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=74,
        source="device",
        device="Home blood pressure monitor",
    )


def test_a_nurse_marks_a_home_reading_entered_in_error_from_the_chart(
    browser, page, live_server, nurse, patient
):
    home(patient, 9, 128, 82)
    wrong = home(patient, 8, 186, 119)
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/staff/patients/{patient.pk}/")
    readings = page.get_by_role("table", name="Readings outside a session")
    row = readings.get_by_role("row").filter(has_text="186/119")
    row.get_by_text("Entered in error?").click()
    reason = row.get_by_label("Why it is in error (kept with the record)")
    # The browser asks for a reason before anything is sent.
    row.get_by_role("button", name="Mark entered in error").click()
    assert reason.evaluate("field => field.validity.valueMissing")
    reason.fill(WHY)
    screenshot(page, "outside-reading-marking")
    row.get_by_role("button", name="Mark entered in error").click()
    page.get_by_text("is marked entered in error").wait_for()

    readings = page.get_by_role("table", name="Readings outside a session")
    readings.wait_for()
    assert "186/119" not in readings.inner_text() and "128/82" in readings.inner_text()
    apart = page.get_by_role("list", name="Entered in error, kept apart")
    assert apart.locator("s").inner_text().count("BP 186/119") == 1
    assert f"by {nurse.display_name}" in apart.inner_text() and WHY in apart.inner_text()
    screenshot(page, "outside-reading-in-error")
    wrong.refresh_from_db()
    assert wrong.status == "entered-in-error" and wrong.error_reason == WHY

    # On a phone the list and the table still fit the screen.
    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/staff/patients/{patient.pk}/")
    phone.get_by_role("list", name="Entered in error, kept apart").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "outside-reading-in-error-phone")
    phone.context.close()
    assert not page.console_errors
