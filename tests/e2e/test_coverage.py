"""Insurance in the browser: an intake coordinator adds a patient's coverage on the chart, runs an
eligibility check and reads the plain-language summary, on a desktop and on a phone."""

import re
from datetime import date

import pytest

from conftest import sign_in
from kapcare.coverage.models import CoverageSettings, Payer, PlanType
from kapcare.patients.models import Patient
from tests.e2e.conftest import screenshot


@pytest.fixture
def insured(clinic, settings):
    settings.COVERAGE_CLEARINGHOUSE = "sandbox"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    options = CoverageSettings.for_clinic(clinic)
    options.billing_npi = "1234567893"
    options.save()
    carelon = Payer.objects.create(
        clinic=clinic,
        name="Carelon Behavioral Health",
        payer_id="SBX-CARELON",
        in_network=True,
        network_plan_types=[PlanType.PPO],
    )
    Payer.objects.create(
        clinic=clinic,
        name="Aetna",
        payer_id="SBX-AETNA",
        in_network=True,
        network_plan_types=[PlanType.PPO],
        carve_out=None,
    )
    Payer.objects.create(
        clinic=clinic,
        name="Anthem",
        payer_id="SBX-ANTHEM",
        in_network=True,
        network_plan_types=[PlanType.PPO],
        carve_out=carelon,
    )
    return Patient.objects.create(
        clinic=clinic,
        legal_first_name="Avery",
        legal_last_name="Sample",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth="female",
    )


def watch_coverage_responses(page) -> list[str]:
    """Pages of the coverage app that failed. Other apps' chart panels may refuse a role (403),
    which the browser logs as a console error; this app's own pages must never fail."""
    failed = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if "/coverage/" in r.url and r.status >= 400 else None,
    )
    return failed


def open_signed_in(page, live_server, user, path):
    """Carry a test client's session (password and second factor given) into the browser."""
    from django.test import Client

    client = sign_in(Client(), user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page.goto(live_server.url + path)


def test_intake_adds_coverage_runs_a_check_and_reads_the_summary(page, live_server, intake, insured):
    failed = watch_coverage_responses(page)
    open_signed_in(page, live_server, intake, f"/staff/patients/{insured.pk}/")
    page.get_by_role("heading", name="Insurance").wait_for()
    assert page.get_by_text("No insurance on file.").is_visible()
    page.get_by_role("link", name="Add coverage").click()

    page.get_by_label("Payer").select_option(label="Aetna")
    page.get_by_label("Plan type").select_option(label="PPO")
    page.get_by_label("Member ID").fill("KCA100001")
    page.get_by_label("Group number").fill("0012345")
    screenshot(page, "coverage-form")
    page.get_by_role("button", name="Save coverage").click()

    # Saving ran a check in the background (the immediate backend in tests).
    page.get_by_role("heading", name=re.compile("Aetna PPO")).wait_for()
    page.get_by_text("Yes, since 1 January").wait_for()
    page.get_by_role("button", name="Run check").click()
    page.get_by_text("Eligibility checked: active.").wait_for()
    assert page.get_by_text("Yes: the clinic is in network with Aetna PPO plans.").first.is_visible()
    assert page.get_by_text("$30.00 copay in network (office)").first.is_visible()
    assert page.get_by_text("$300.00 of $1,500.00 met").first.is_visible()
    screenshot(page, "coverage-panel")
    page.get_by_role("link", name="full response").first.click()
    page.get_by_text("270 inquiry sent").click()
    assert page.get_by_text(re.compile(r"ST\*270\*")).is_visible()
    screenshot(page, "coverage-check-detail")
    assert failed == []


def test_the_coverage_panel_fits_a_phone(phone, live_server, intake, insured, settings):
    from kapcare.coverage.eligibility import check_coverage
    from kapcare.coverage.models import Coverage

    anthem = Payer.objects.get(name="Anthem")
    coverage = Coverage.objects.create(
        clinic=insured.clinic, patient=insured, payer=anthem, plan_type="ppo", member_id="KCA100001"
    )
    check_coverage(coverage, by=intake)
    failed = watch_coverage_responses(phone)
    open_signed_in(phone, live_server, intake, f"/staff/patients/{insured.pk}/")
    phone.get_by_text("Is the clinic in network?").first.wait_for()
    assert phone.get_by_text(re.compile("managed by Carelon Behavioral Health")).first.is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the chart scrolls sideways on a phone ({width}px)"
    screenshot(phone, "coverage-panel-phone")
    assert failed == []


def test_a_coverage_lead_from_the_public_form_is_checked_and_the_summary_shown(
    page, phone, live_server, intake, insured
):
    from kapcare.leads.models import Lead

    phone.goto(live_server.url + "/verify-coverage/")
    phone.get_by_label("Your name").fill("Avery Sample")
    phone.get_by_label("Email").fill("avery@example.com")
    phone.get_by_label("Insurance company", exact=True).select_option(label="Aetna")
    phone.get_by_label("Member ID").fill("KCA100001")
    phone.get_by_label("Subscriber's name").fill("Avery Sample")
    phone.get_by_label("Subscriber's date of birth").fill("1985-04-12")
    phone.get_by_label("Your relationship to the subscriber").select_option(value="self")
    screenshot(phone, "coverage-public-form-phone")
    phone.get_by_role("button", name="Send for verification").click()
    phone.get_by_role("heading", name=re.compile("check your coverage")).wait_for()
    lead = Lead.objects.get(kind="coverage")

    failed = watch_coverage_responses(page)
    open_signed_in(page, live_server, intake, "/staff/")
    page.get_by_role("link", name="Coverage", exact=True).click()
    page.get_by_role("heading", name="Verify coverage", exact=True).wait_for()
    screenshot(page, "coverage-lead-list")
    page.get_by_role("link", name="Run check for Avery Sample").click()
    page.get_by_role("heading", name="Verify coverage for Avery Sample").wait_for()
    assert page.url.endswith(f"/staff/coverage/leads/{lead.pk}/check/")
    assert page.get_by_text("No check yet.").is_visible()
    page.get_by_role("button", name="Run check").click()
    page.get_by_text("Eligibility checked.").wait_for()
    result = page.locator("dl.answers")
    assert result.get_by_text("Yes: the clinic is in network with Aetna PPO plans.").is_visible()
    assert result.get_by_text(re.compile(r"\$30\.00 copay in network \(office\)")).is_visible()
    message = page.get_by_role("textbox", name="Email")
    assert "not a promise of payment" in message.input_value()
    screenshot(page, "coverage-lead-check")
    page.get_by_role("button", name="Send summary").click()
    page.get_by_text("Summary sent by email.").wait_for()
    assert lead.messages.filter(direction="out").exists()
    assert failed == []
