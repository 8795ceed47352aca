"""A visitor finds the clinic's site and asks it something; staff answer and convert the lead.

Walked as people would: a visitor goes from the home page to coverage verification and sends
photos of their card; an intake coordinator signs in, finds the lead, replies and converts it.
Another visitor takes the self-screen and asks for the free guide, confirming their address.
"""

import re
import struct
import zlib

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.leads.models import Lead
from kapcare.patients.models import Patient
from kapcare.website.guide_pdf import from_markdown
from kapcare.website.models import WebsiteSettings
from tests.e2e.conftest import screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password


def tiny_png() -> bytes:
    """A real 2x1 PNG, as a phone camera's photo would be (only smaller)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def public_site(clinic):
    clinic.phone = "+1 617 555 0100"
    clinic.save()
    website = WebsiteSettings.for_clinic(clinic)
    website.text_number = "+16175550149"
    website.guide_pdf.save("guide.pdf", ContentFile(from_markdown("A short guide", "## Before\n\nRest.")))
    return website


def test_a_visitor_asks_for_coverage_verification_and_staff_convert_the_lead(
    page, live_server, public_site, intake
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Verify my coverage").first.click()
    page.get_by_role("heading", name="Verify my coverage").wait_for()
    page.get_by_label("Your name").fill("Tobias Grell")
    page.get_by_label("Email").fill("tobias@example.com")
    page.get_by_label("Insurance company", exact=True).select_option("other")
    page.get_by_label("Insurance company, if not listed").fill("Harborview Health Plan")
    page.get_by_label("Member ID").fill("HHP448120937")
    page.get_by_label("Group number").fill("77120")
    page.get_by_label("Subscriber's name").fill("Tobias Grell")
    page.get_by_label("Subscriber's date of birth").fill("1986-10-14")
    page.get_by_label("Your relationship to the subscriber").select_option("self")
    photo = {"name": "IMG_0001.png", "mimeType": "image/png", "buffer": tiny_png()}
    page.get_by_label("Photo of the card's front").set_input_files(photo)
    page.get_by_label("Photo of the card's back").set_input_files({**photo, "name": "IMG_0002.png"})
    screenshot(page, "coverage-form")
    page.get_by_role("button", name="Send for verification").click()
    page.get_by_role("heading", name="Thank you: we will check your coverage").wait_for()
    screenshot(page, "coverage-thanks")

    lead = Lead.objects.get()
    assert lead.coverage.card_front.read() == tiny_png()

    sign_in_with_password(page, live_server, intake.email)
    page.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=intake).bin_key))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="Tobias Grell").click()
    page.get_by_role("heading", name="Coverage to verify").wait_for()
    assert page.get_by_text("HHP448120937").is_visible()
    assert page.get_by_role("link", name="Card front").is_visible()
    page.get_by_label("Message").fill(
        "Thank you, Tobias. We are checking your plan and will call you tomorrow."
    )
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply sent by email.").wait_for()
    assert mail.outbox[-1].to == ["tobias@example.com"]
    screenshot(page, "lead-detail")

    page.get_by_role("link", name="Convert to patient").click()
    assert page.get_by_label("Legal first name").input_value() == "Tobias"
    assert page.get_by_label("Date of birth").input_value() == "1986-10-14"
    page.get_by_label("Sex assigned at birth").select_option("male")
    page.get_by_label("Main condition for the course").select_option("ptsd")
    page.get_by_role("button", name="Add patient and open course").click()
    page.get_by_role("heading", name=re.compile("Tobias Grell")).wait_for()
    screenshot(page, "converted-chart")

    patient = Patient.objects.get()
    assert (patient.legal_name, patient.email, str(patient.date_of_birth)) == (
        "Tobias Grell",
        "tobias@example.com",
        "1986-10-14",
    )
    assert patient.courses.get().state == "evaluating"
    assert page.console_errors == []


def test_a_visitor_takes_the_self_screen_and_asks_for_the_guide(phone, live_server, public_site, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }  # the worker
    page = phone
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Am I a candidate?").first.click()
    for question, answer in [
        ("Little interest or pleasure in doing things", "More than half the days"),
        ("Feeling down, depressed, or hopeless", "Several days"),
        ("Feeling nervous, anxious, or on edge", "Several days"),
        ("Not being able to stop or control worrying", "Not at all"),
        ("Thoughts that you would be better off dead", "Not at all"),
    ]:
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(answer).check()
    for group in page.get_by_role("group").filter(has=page.get_by_label("No", exact=True)).all():
        group.get_by_label("No", exact=True).check()
    page.get_by_label(re.compile("Keep my answers")).check()
    screenshot(page, "self-screen-phone")
    page.get_by_role("button", name="See my answer").click()
    page.get_by_role("heading", name="It is worth a conversation").wait_for()
    page.get_by_label("Your name").fill("Marisol Ferreira")
    page.get_by_label("Phone").fill("617 555 0164")
    page.get_by_label("How should we reach you?").select_option("phone")
    screenshot(page, "self-screen-result-phone")
    page.get_by_role("button", name="Ask the clinic to contact me").click()
    page.get_by_role("heading", name="Thank you: your message is with us").wait_for()
    lead = Lead.objects.get(kind="self_screen")
    assert lead.details["self_screen"]["phq2"] == 3

    page.goto(live_server.url + "/guide/")
    page.get_by_label("Your email address").fill("reader@example.com")
    page.get_by_label(re.compile("Email me the guide")).check()
    page.get_by_role("button", name="Email me the guide").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    link = re.search(r"http://\S+/guide/confirm/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm and send the guide").click()
    page.get_by_role("heading", name="The guide is on its way").wait_for()
    assert mail.outbox[-1].attachments[0][0] == "guide.pdf"
    assert Lead.objects.filter(kind="guide", email="reader@example.com").exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
