"""Preparation in the browser: a nurse's evaluation screens live as it is filled in. The whole phase,
from intake through the portal to an active course, is in test_preparation_phase.py."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.evaluation.models import Diagnosis
from tests.e2e.conftest import screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password


def sign_in(page, live_server, user):
    sign_in_with_password(page, live_server, user.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=user).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Patients", exact=True).wait_for()


def test_screening_findings_update_as_the_nurse_fills_in_the_evaluation(
    page, phone, live_server, nurse, course
):
    sign_in(page, live_server, nurse)
    page.goto(f"{live_server.url}/staff/evaluation/courses/{course.pk}/")
    findings = page.locator("#findings")
    assert "Findings appear here" in findings.inner_text()
    page.get_by_label("Psychotic symptoms").select_option("current")
    findings.get_by_text("Active psychosis or schizophrenia", exact=True).wait_for()
    page.get_by_label("Systolic blood pressure (mmHg)").fill("152")
    page.get_by_label("Diastolic blood pressure (mmHg)").fill("96")
    page.get_by_label("Diastolic blood pressure (mmHg)").blur()
    findings.get_by_text("Blood pressure above 140/90 at evaluation", exact=True).wait_for()
    code = page.locator("#id_diagnoses-0-code")
    code.fill("recurrent severe without")
    page.locator("#icd-options option").first.wait_for(state="attached")
    assert "F33.2" in page.locator("#icd-options").inner_html()
    code.fill("F33.2")
    page.get_by_label("Weight (kg)").fill("70")
    screenshot(page, "evaluation-live-findings")
    page.get_by_role("button", name="Save evaluation").click()
    page.get_by_text("Evaluation saved.").wait_for()
    assert Diagnosis.objects.get().code == "F33.2"
    assert page.console_errors == []

    # The same session on a phone (a second one-time code in the same 30 seconds would be refused).
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/staff/evaluation/courses/{course.pk}/")
    phone.get_by_text("Active psychosis or schizophrenia", exact=True).wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the evaluation scrolls sideways on a phone ({width}px)"
    screenshot(phone, "evaluation-phone")
