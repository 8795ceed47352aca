"""Preparation in the browser: a nurse's evaluation screens live as it is filled in; a prescriber
reviews the findings, signs an eligible decision, creates the plan, and the course becomes active.

(The portal steps before these, the patient's history and consent, extend this journey.)"""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.evaluation.models import Diagnosis, EligibilityDecision, TreatmentPlan
from kapcare.evaluation.tests.factories import make_evaluation
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


def test_a_prescriber_reviews_findings_signs_eligible_plans_and_starts_the_course(
    page, live_server, prescriber, course
):
    evaluation = make_evaluation(course, hypertension="controlled")
    Diagnosis.objects.create(evaluation=evaluation, code="F33.2", description="Major depressive disorder")
    sign_in(page, live_server, prescriber)
    page.goto(f"{live_server.url}/staff/patients/{course.patient_id}/")
    panel = page.locator("#preparation")
    panel.get_by_text("Treated hypertension", exact=True).wait_for()
    panel.get_by_role("link", name="Review findings and decide").click()

    page.get_by_role("heading", name=re.compile("Eligibility decision")).wait_for()
    assert page.get_by_text("Severe blood pressure rises").is_visible()
    page.get_by_label("Eligible", exact=True).check()
    page.get_by_label("Reasoning").fill("Treated hypertension well controlled; no exclusions.")
    screenshot(page, "decision")
    page.get_by_role("button", name="Sign decision").click()
    page.get_by_text("Decision signed; the course is now eligible.").wait_for()
    assert EligibilityDecision.objects.get().protocol_version == 1

    page.locator("#preparation").get_by_role("link", name="Create the treatment plan").click()
    page.get_by_label("PHQ-9").check()
    page.get_by_label("Measures schedule").select_option("weekly")
    page.get_by_label("Route").select_option("im")
    page.locator("#id_dose_amount").fill("0.5")
    page.get_by_label("Dose unit").select_option("mg/kg")
    page.get_by_label("Today's weight (kg)").fill("70")
    page.get_by_label("Today's weight (kg)").blur()
    page.locator("#dose").get_by_text("32.6 mg · 0.465 mg/kg").wait_for()
    page.get_by_label("Number of dosing sessions").fill("6")
    page.get_by_label("Days between dosing sessions").fill("7")
    page.get_by_label("Integration sessions after each dosing session").fill("1")
    screenshot(page, "plan")
    page.get_by_role("button", name="Sign treatment plan").click()
    page.get_by_text("Treatment plan signed.").wait_for()
    assert TreatmentPlan.objects.get().dose_mg == 35

    page.locator("#preparation").get_by_role("button", name="Start the course").click()
    page.get_by_text("The course is active.").wait_for()
    course.refresh_from_db()
    assert course.state == "active"
    page.locator("#preparation").get_by_text("32.6 mg · 0.465 mg/kg").wait_for()
    screenshot(page, "chart-preparation")
    assert page.console_errors == []
