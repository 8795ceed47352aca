"""A dosing session from check-in to signed summary, as the nurse and prescriber click through it,
with readings arriving from the simulated monitor and an alert on the live board."""

import re
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.sessions.models import Administration, DosingSession, VitalSign, dose
from kapcare.sessions.tests.conftest import (  # noqa: F401  (fixtures)
    active_course,
    nurse2,
    quick_consent_pdf,
    ready_patient,
    session,
)
from tests.e2e.conftest import DESKTOP, PHONE, new_page, screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password

PRODUCT = "Ketamine HCl 50 mg/mL"


def sign_in(page, live_server, user):
    sign_in_with_password(page, live_server, user.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=user).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Live board").wait_for()


def assert_fits(field):
    box, cell = field.bounding_box(), field.locator("..").bounding_box()
    assert box["x"] >= cell["x"] and box["x"] + box["width"] <= cell["x"] + cell["width"] + 0.5, (box, cell)


def simulate(clinic, **options):
    call_command("simulate-monitor", clinic=clinic.slug, rounds=1, interval=0, seed=7, **options)


def test_a_session_from_check_in_to_a_signed_summary(
    browser, page, live_server, session, nurse, nurse2, prescriber
):
    clinic = session.clinic
    type(clinic).objects.filter(pk=clinic.pk).update(is_demo=True)  # the simulator writes only into demo data
    dose.receive(session.site, PRODUCT, 500, by=nurse, lot="K2026A")
    url = f"{live_server.url}/staff/sessions/{session.pk}/"

    # The nurse checks the patient in; every pre-check passes.
    sign_in(page, live_server, nurse)
    page.goto(url)
    page.get_by_role("link", name="Check in and run the pre-checks").click()
    page.get_by_label("Identity confirmed").check()
    page.get_by_label("Pregnancy status").select_option("test_negative")
    for label, value in [
        ("Systolic", "122"),
        ("Diastolic", "78"),
        ("Heart rate", "70"),
        ("SpO2", "98"),
        ("Respiratory rate", "14"),
        ("Weight today", "70"),
    ]:
        page.get_by_label(re.compile(label)).first.fill(value)
    screenshot(page, "dosing-check-in")
    page.get_by_role("button", name="Check in and run the pre-checks").click()
    page.get_by_text("All pre-checks passed; cleared to dose.").wait_for()
    assert page.get_by_text("Cleared to dose").first.is_visible()
    # The time a reading was taken fits its box, on a desktop and on a phone.
    assert_fits(page.get_by_label("Taken at"))
    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(url)
    assert_fits(phone.get_by_label("Taken at"))
    screenshot(phone, "dosing-record-phone")
    phone.context.close()

    # The prescriber orders 0.5 mg/kg IV and sees the IV-equivalent.
    prescriber_page = new_page(browser, DESKTOP)
    sign_in(prescriber_page, live_server, prescriber)
    prescriber_page.goto(url)
    prescriber_page.get_by_role("link", name="Order the dose").click()
    prescriber_page.get_by_text("Maximum today by this route").wait_for()
    prescriber_page.get_by_label("Route").select_option("iv")
    prescriber_page.get_by_label("Unit").select_option("mg/kg")
    prescriber_page.get_by_label("Amount").fill("0.5")
    prescriber_page.get_by_role("button", name="Order").click()
    prescriber_page.get_by_text("Ordered 35.00 mg Intravenous (IV) (IV-equivalent 35.00 mg)").wait_for()
    prescriber_page.context.close()

    # The nurse records the administration, verified by a second nurse.
    page.goto(url)
    page.get_by_role("link", name="Record the administration").click()
    page.get_by_label("Product").fill(PRODUCT)
    page.get_by_label("Lot number").fill("K2026A")
    page.get_by_label(re.compile("Verified by")).select_option(str(nurse2.pk))
    page.get_by_role("button", name="Record administration").click()
    page.get_by_text("Dose recorded and verified").wait_for()

    # Readings arrive from the simulated monitor; a spike raises an alert that the board shows
    # by itself on its next refresh.
    simulate(clinic, spike_chance=0)
    page.goto(f"{live_server.url}/staff/sessions/board/{session.site_id}/")
    page.get_by_text("min since dose").wait_for()
    assert page.locator(".tile-alert").count() == 0
    simulate(clinic, spike_now=True)
    page.get_by_text(re.compile(r"ALERT Blood pressure 2\d\d/1\d\d is above 200/120")).wait_for(
        timeout=15_000
    )
    assert page.locator(".tile-alert .flag", has_text="HIGH").first.is_visible()
    screenshot(page, "dosing-board-alert")
    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    phone.get_by_text("ALERT").first.wait_for()
    screenshot(phone, "dosing-board-alert-phone")
    phone.context.close()

    # The nurse acknowledges it with the action taken.
    page.get_by_role("link", name="Acknowledge…").click()
    page.get_by_label("Action taken").first.fill(
        "Rechecked manually 176/102; prescriber informed; dimmed lights"
    )
    page.get_by_role("button", name="Acknowledge").first.click()
    page.get_by_text("Alert acknowledged.").wait_for()
    simulate(clinic, spike_chance=0)

    # Dissociation on the protocol's CADSS-6, item by item; kapcare adds them up.
    page.goto(url)
    for item, score in zip((1, 2, 6, 7, 15, 22), (2, 1, 0, 1, 3, 0), strict=True):
        page.get_by_label(f"Item {item}:", exact=True).fill(str(score))
    page.get_by_role("button", name="Save dissociation rating").click()
    page.get_by_text("Rating saved.").wait_for()
    assert page.get_by_text("CADSS-6 7").first.is_visible()

    # Two hours later (moved on in the record), the patient is ready, then discharged and signed.
    earlier = timedelta(minutes=125)
    given = Administration.objects.get(session=session)
    Administration.objects.filter(pk=given.pk).update(given_at=given.given_at - earlier)
    DosingSession.objects.filter(pk=session.pk).update(dosed_at=given.given_at - earlier)
    VitalSign.objects.filter(session=session, taken_at__lt=timezone.now() - timedelta(seconds=30)).update(
        taken_at=timezone.now() - earlier
    )
    page.goto(url)
    screenshot(page, "dosing-monitoring")
    # Column headings read as written: SpO2, not "SPO2" (headings were once upper-cased).
    assert page.locator("#vitals-h + .table-wrap th").all_inner_texts()[:4] == [
        "Time",
        "Min after dose",
        "BP",
        "HR",
    ]
    assert "SpO2" in page.locator("#vitals-h + .table-wrap th").all_inner_texts()
    for item in ["Activity", "Respiration", "Circulation", "Consciousness", "SpO2"]:
        page.get_by_role("group", name=re.compile(item)).get_by_label(re.compile(r"^\s*2 · ")).check()
    page.get_by_role("button", name="Record ready to leave now").click()
    page.get_by_text(re.compile("Ready to leave at")).first.wait_for()
    page.get_by_label("A responsible adult is here").check()
    page.get_by_label("Escort's name").fill("Sam (partner)")
    page.get_by_label(re.compile("Discharge instructions given")).check()
    page.get_by_role("button", name="Discharge").click()
    page.get_by_text("Discharged.").first.wait_for()
    page.get_by_role("button", name="Sign and freeze the record").click()
    page.get_by_text("Signed. The record is now frozen.").wait_for()

    # The summary shows everything.
    page.get_by_role("link", name="Summary").click()
    page.get_by_role("heading", name="Dosing session summary").wait_for()
    body = page.locator("article.summary").inner_text()
    for expected in [
        "Identity confirmed",
        "Ordered 35.00 mg Intravenous (IV)",
        "lot K2026A",
        "verified by Jo Marsh",
        "Blood pressure",
        "Rechecked manually 176/102",
        "Modified Aldrete 10/10",
        "Discharged at",
        "Sam (partner)",
        "signed",
        "CADSS-6 7",
    ]:
        assert expected in body, expected
    assert page.locator("svg.trend").count() >= 3
    screenshot(page, "dosing-summary")
    session.refresh_from_db()
    assert session.is_signed and session.state == "discharged"
    assert page.console_errors == []
