"""A patient answers a PHQ-9 by link on a phone, says yes to item 9 and sees crisis resources at
once; the prescriber finds the alert in the staff app and the new point on the chart."""

import re
from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.measures import links
from kapcare.measures.models import Assignment, Invitation, install_shipped, record_response
from kapcare.measures.tests.conftest import phq9_answers
from tests.e2e.conftest import screenshot
from tests.e2e.test_coverage import open_signed_in
from tests.e2e.test_staff_signin import current_code, sign_in_with_password

ITEM_9 = "Thoughts that you would be better off dead, or of hurting yourself in some way"


def test_a_positive_item_9_shows_crisis_resources_and_reaches_the_prescriber(
    phone, page, live_server, patient, course, prescriber
):
    phq9 = {i.name: i for i in install_shipped(patient.clinic)}["phq-9"]
    assignment = Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        instrument=phq9,
        schedule="once",
        channel="sms",
        created_by=prescriber,
    )
    invitation = Invitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        assignment=assignment,
        instrument=phq9,
        occasion="once",
        due_at=timezone.now(),
    )

    phone.goto(live_server.url + f"/q/{links.token_for(invitation)}/")
    phone.get_by_role("heading", name="Patient Health Questionnaire-9 (PHQ-9)").wait_for()
    assert phone.get_by_role("link", name="988").first.is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the questionnaire scrolls sideways on a phone ({width}px)"
    questions = phone.locator("fieldset.question")
    for index in range(9):
        questions.nth(index).get_by_label("Several days").check()
    screenshot(phone, "measures-questionnaire-phone")
    phone.get_by_role("button", name="Send my answers").click()

    phone.get_by_role("heading", name="Thank you for telling us. Please reach out now.").wait_for()
    assert phone.get_by_role("link", name="Call 988").is_visible()
    assert phone.get_by_role("link", name="Text 988").is_visible()
    assert phone.get_by_role("link", name="Call 911").is_visible()
    screenshot(phone, "measures-crisis-phone")
    assert phone.console_errors == []

    sign_in_with_password(page, live_server, prescriber.email)
    device = TOTPDevice.objects.get(user=prescriber)
    page.get_by_label("Six-digit code").fill(current_code(device.bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Alerts", exact=True).click()
    page.get_by_role("heading", name="Safety alerts").wait_for()
    row = page.get_by_role("row", name=re.compile("Daisy Quillfeather"))
    assert "Thoughts of death or self-harm" in row.inner_text()
    screenshot(page, "measures-alerts")

    row.get_by_role("link", name="Daisy Quillfeather").click()
    panel = page.locator("#measures")
    panel.get_by_text("Safety alert, open").wait_for()
    assert panel.locator("svg.trend circle.point-urgent").count() == 1
    assert panel.get_by_text("Latest results as a table").is_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "measures-chart")
    assert page.console_errors == []


def test_every_judgement_of_change_sits_beside_its_label_on_the_chart(
    page, live_server, patient, course, prescriber
):
    """Two reliable-change methods give two answers under one label. They used to fall into the
    label column, which then grew as wide as the sentence and squeezed the answers into a column
    one letter wide, past the edge of the panel."""
    phq9 = {i.name: i for i in install_shipped(patient.clinic)}["phq-9"]
    phq9.change_sd, phq9.change_sd_source = 5, "Baseline SD of the clinic's TRD cohort"
    phq9.save()
    start = timezone.now() - timedelta(weeks=2)
    for week, total in enumerate([20, 14]):
        scores = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        record_response(
            phq9, patient, phq9_answers(scores), via="link", completed_at=start + timedelta(weeks=week)
        )
    open_signed_in(page, live_server, prescriber, f"/staff/patients/{patient.pk}/")
    facts = page.locator("#measures dl.change")
    facts.get_by_text("Reliable change").wait_for()
    panel = page.locator("#measures").bounding_box()
    label_right = max(
        box["x"] + box["width"] for box in map(lambda n: n.bounding_box(), facts.locator("dt").all())
    )
    answers = [n.bounding_box() for n in facts.locator("dd").all()]
    assert facts.locator("dt:has-text('Reliable change') ~ dd").count() >= 2
    for box in answers:
        assert box["x"] >= label_right, "an answer sits in the label column"
        assert box["width"] > 100 and box["x"] + box["width"] <= panel["x"] + panel["width"]
    facts.scroll_into_view_if_needed()
    screenshot(page, "measures-change-facts")
    assert page.console_errors == []
