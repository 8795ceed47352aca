"""The whole preparation phase in the browser, as the people who do it: the intake coordinator adds
the patient and opens a course; the patient, on a phone, fills in their history and signs the KAP
consent in the portal; the prescriber reviews the history, sees the screening findings, signs an
eligible decision (which freezes the evaluation) and the treatment plan, and starts the course."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.evaluation.models import EligibilityDecision, Evaluation, TreatmentPlan
from kapcare.patients.consent import ConsentDocument, ConsentSignature, consent_templates
from kapcare.patients.models import Course, Patient
from tests.e2e.conftest import DESKTOP, new_page, screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password


def staff_sign_in(page, live_server, user):
    sign_in_with_password(page, live_server, user.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=user).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Patients", exact=True).wait_for()


def intake_adds_the_patient_and_opens_a_course(page, live_server, intake, prescriber, therapist):
    staff_sign_in(page, live_server, intake)
    page.goto(f"{live_server.url}/staff/patients/new/")
    page.get_by_label("Legal first name").fill("Marguerite")
    page.get_by_label("Legal last name").fill("Quillfeather")
    page.get_by_label("Preferred name").fill("Daisy")
    page.get_by_label("Date of birth").fill("1984-03-09")
    page.get_by_label("Sex assigned at birth").select_option("female")
    page.get_by_label("Phone").first.fill("+1 617 555 0123")
    page.get_by_label("Email").fill("daisy@example.com")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open a course").click()
    page.get_by_role("heading", name="Open a course of treatment for Daisy Quillfeather").wait_for()
    page.get_by_label("Main condition").select_option("trd")
    page.get_by_label("Prescriber").select_option(str(prescriber.pk))
    page.get_by_label("Therapist").select_option(str(therapist.pk))
    page.get_by_role("button", name="Open course").click()
    page.get_by_text("Course opened; it starts in evaluation.").wait_for()
    screenshot(page, "phase-1-intake-course-opened")
    course = Course.objects.get()
    assert course.state == "evaluating" and course.opened_by == intake
    return course


def patient_fills_history_and_signs_consent(phone, live_server, sms_outbox):
    phone.goto(live_server.url + "/portal/")
    phone.get_by_label("Email or mobile number").fill("617 555 0123")
    phone.get_by_label("Date of birth").fill("1984-03-09")
    phone.get_by_role("button", name="Send me a sign-in link").click()
    phone.get_by_role("heading", name="Check your texts").wait_for()
    link = re.search(r"https?://\S+/portal/sign-in/\S+/", sms_outbox[-1].body).group(0)
    phone.goto(link)
    phone.get_by_role("button", name="Continue to my portal").click()
    phone.get_by_role("heading", name="Hello, Daisy").wait_for()

    phone.get_by_role("link", name="Fill in my history").click()
    phone.get_by_label("Have you had psychotic symptoms").select_option("none")
    phone.get_by_label("Have you been diagnosed with schizophrenia?").select_option("false")
    phone.get_by_label("Have you ever tried to end your life?").select_option("false")
    phone.get_by_label("In the last two weeks, have you had thoughts of ending your life?").select_option(
        "false"
    )
    phone.get_by_label("Do you have high blood pressure?").select_option("controlled")
    phone.get_by_label("Which medicines do you take now").fill(
        "Sertraline 100 mg once a day\nAmlodipine 5 mg"
    )
    phone.get_by_label("What do you hope to get from this treatment?").fill("Enjoy time with my kids again.")
    screenshot(phone, "phase-2-portal-history-phone")
    phone.get_by_role("button", name="Send my history").click()
    phone.get_by_text("Your clinician will go through your answers with you.").wait_for()

    phone.get_by_role("link", name="Read and sign").first.click()
    phone.get_by_role("heading", name="Informed consent for ketamine-assisted psychotherapy").wait_for()
    phone.get_by_label("I have read this document").check()
    phone.get_by_label("Type your full legal name to sign").fill("Marguerite Quillfeather")
    phone.get_by_role("button", name="Sign version 1").click()
    phone.get_by_text("Thank you. You signed").wait_for()
    screenshot(phone, "phase-3-portal-consent-signed-phone")
    assert phone.console_errors == [], phone.console_errors


def prescriber_reviews_and_completes_the_evaluation(page, course):
    page.goto(page.url.split("/staff/")[0] + f"/staff/patients/{course.patient_id}/")
    panel = page.locator("#preparation")
    panel.get_by_text("Awaiting clinician review").wait_for()
    panel.get_by_role("link", name="Open").click()
    page.get_by_text("Reported by the patient on").wait_for()
    assert page.get_by_label("High blood pressure").input_value() == "controlled"
    page.get_by_label("Systolic blood pressure (mmHg)").fill("132")
    page.get_by_label("Diastolic blood pressure (mmHg)").fill("84")
    page.get_by_label("Weight (kg)").fill("70")
    page.locator("#id_diagnoses-0-code").fill("F33.2")
    page.locator("#id_medications-0-name").fill("sertraline")
    page.locator("#id_medications-0-drug_class").select_option("ssri")
    page.locator("#id_medications-0-dose").fill("100")
    page.locator("#id_medications-0-unit").select_option("mg")
    page.locator("#id_medications-0-dose").blur()
    page.locator("#findings").get_by_text("Treated hypertension", exact=True).wait_for()
    page.get_by_role("button", name="Save evaluation").click()
    page.get_by_text("Evaluation saved.").wait_for()
    page.get_by_role("button", name="Confirm I reviewed the patient's history").click()
    page.get_by_text("Patient-reported history confirmed.").wait_for()
    screenshot(page, "phase-4-evaluation-reviewed")


def test_intake_to_an_active_course_through_the_portal_and_the_prescribers_signatures(
    browser, page, phone, live_server, clinic, intake, prescriber, therapist, sms_outbox
):
    for kind, title, body in consent_templates():
        ConsentDocument.publish(clinic, kind, title, body)
    course = intake_adds_the_patient_and_opens_a_course(page, live_server, intake, prescriber, therapist)
    patient_fills_history_and_signs_consent(phone, live_server, sms_outbox)
    assert Evaluation.objects.get().awaiting_review
    assert ConsentSignature.objects.get().patient == Patient.objects.get()

    prescriber_page = new_page(browser, DESKTOP)
    try:
        staff_sign_in(prescriber_page, live_server, prescriber)
        prescriber_reviews_and_completes_the_evaluation(prescriber_page, course)
        decide_plan_and_start(prescriber_page, course)
    finally:
        prescriber_page.context.close()


def decide_plan_and_start(page, course):
    page.goto(page.url.split("/staff/")[0] + f"/staff/evaluation/courses/{course.pk}/decision/")
    page.get_by_role("heading", name=re.compile("Eligibility decision")).wait_for()
    assert page.get_by_text("Treated hypertension", exact=True).first.is_visible()
    page.get_by_label("Eligible", exact=True).check()
    page.get_by_label("Reasoning").fill("Treated hypertension, controlled today; no exclusions.")
    screenshot(page, "phase-5-decision")
    page.get_by_role("button", name="Sign decision").click()
    page.get_by_text("Decision signed; the course is now eligible.").wait_for()
    decision = EligibilityDecision.objects.get()
    assert [f["rule"] for f in decision.findings] == ["controlled-hypertension"]

    # Signed means frozen: the evaluation is now the decision's evidence, read only.
    page.goto(page.url.split("/staff/")[0] + f"/staff/evaluation/courses/{course.pk}/")
    page.get_by_text("Read only: this evaluation is the evidence of the eligibility decision").wait_for()
    assert page.get_by_role("button", name="Save evaluation").count() == 0
    assert page.get_by_label("Weight (kg)").is_disabled()
    screenshot(page, "phase-6-evaluation-read-only")

    page.goto(page.url.split("/staff/")[0] + f"/staff/patients/{course.patient_id}/")
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
    screenshot(page, "phase-7-plan")
    page.get_by_role("button", name="Sign treatment plan").click()
    page.get_by_text("Treatment plan signed.").wait_for()
    assert TreatmentPlan.objects.get().dose_mg == 35

    page.locator("#preparation").get_by_role("button", name="Start the course").click()
    page.get_by_text("The course is active.").wait_for()
    course.refresh_from_db()
    assert course.state == "active"
    page.locator("#preparation").get_by_text("32.6 mg · 0.465 mg/kg").wait_for()
    page.wait_for_load_state("networkidle")
    screenshot(page, "phase-8-course-active")
    assert page.console_errors == [], page.console_errors
