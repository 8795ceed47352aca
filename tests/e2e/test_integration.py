"""On phones: after a dosing session the patient signs in by link, writes a journal entry and shares
it; the therapist opens the integration note, pulls the entry in, rates goal progress and signs; the
patient then sees their goal's progress in plain words."""

import re
from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.integration.models import Goal, JournalEntry, Kind, Mode, ProgressNote, TherapySession
from kapcare.integration.tests.conftest import make_dosing
from tests.e2e.conftest import PHONE, new_page, screenshot
from tests.e2e.test_staff_signin import current_code, sign_in_with_password


def fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"


def test_journal_shared_after_dosing_reaches_the_signed_note_and_goal_progress_reaches_the_patient(
    browser, phone, live_server, patient, course, prescriber, therapist, sms_outbox
):
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    dosing = make_dosing(course, hours_ago=20)
    Goal.objects.create(clinic=course.clinic, patient=patient, course=course, text="Sleep through the night")
    session = TherapySession.objects.create(
        clinic=course.clinic,
        patient=patient,
        course=course,
        kind=Kind.INTEGRATION,
        follows_dosing_id=dosing.pk,
        scheduled_at=timezone.now() - timedelta(minutes=30),
        therapist=therapist,
        mode=Mode.VIDEO,
        video_url="https://video.example/room/3",
        created_by=therapist,
    )

    # The machine running the suite may be busy: give each step room.
    phone.set_default_timeout(30_000)
    # The patient signs in by a texted link and writes in the journal.
    phone.goto(live_server.url + "/portal/")
    phone.get_by_label("Email or mobile number").fill("617 555 0123")
    phone.get_by_label("Date of birth").fill("1984-03-09")
    phone.get_by_role("button", name="Send me a sign-in link").click()
    phone.get_by_role("heading", name="Check your texts").wait_for()
    (text,) = sms_outbox
    phone.goto(re.search(r"https?://\S+/portal/sign-in/\S+/", text.body).group(0))
    phone.get_by_role("button", name="Continue to my portal").click()
    phone.get_by_role("heading", name="Hello, Daisy").wait_for()
    phone.get_by_role("heading", name="Your goals and progress").wait_for()
    assert phone.get_by_text("Your therapist has not rated this goal yet").is_visible()
    phone.get_by_role("link", name="Open my journal").click()
    phone.get_by_role("heading", name="Your integration journal").wait_for()
    assert phone.get_by_text("Your journal is not watched in real time").is_visible()
    assert phone.get_by_text("What stood out for you from your session on").is_visible()
    phone.get_by_label("Your entry").fill("I slept seven hours for the first time in months.")
    phone.get_by_label("Good", exact=True).check()
    phone.get_by_label("Share this entry with my therapist").check()
    fits_the_phone(phone)
    screenshot(phone, "portal-journal-phone")
    phone.get_by_role("button", name="Save entry").click()
    phone.get_by_text("Saved and shared with your therapist").wait_for()
    entry = JournalEntry.objects.get()
    assert entry.is_shared and entry.mood == 4 and entry.after_dosing_id == dosing.pk

    # The therapist, on their phone, writes and signs the integration note.
    staff = new_page(browser, PHONE)
    staff.set_default_timeout(30_000)
    sign_in_with_password(staff, live_server, therapist.email)
    staff.get_by_label("Six-digit code").fill(current_code(TOTPDevice.objects.get(user=therapist).bin_key))
    staff.get_by_role("button", name="Continue").click()
    staff.goto(f"{live_server.url}/staff/integration/sessions/{session.pk}/")
    staff.get_by_role("link", name="Write the progress note").click()
    staff.get_by_role("button", name="Pull in shared journal entries and measures").click()
    staff.get_by_text("I slept seven hours for the first time in months.").wait_for()
    staff.get_by_label("What came up in the dosing session").fill(
        "A calm, open space; memories of the coast."
    )
    staff.get_by_label("Insights").fill("Rest is allowed.")
    staff.get_by_label("Risk review").fill("No suicidal thoughts since the session; safety plan unchanged.")
    staff.get_by_label("Intentions").fill("Keep the evening wind-down.")
    staff.get_by_label("Sleep through the night").select_option(label="Some progress")
    fits_the_phone(staff)
    screenshot(staff, "integration-note-phone")
    staff.get_by_role("button", name="Sign the note").click()
    staff.get_by_text("Note signed").wait_for()
    screenshot(staff, "integration-session-signed-phone")
    note = ProgressNote.objects.get()
    assert note.is_signed and note.journal_entries[0]["text"].startswith("I slept seven hours")
    assert staff.console_errors == []
    staff.context.close()

    # The patient sees the new progress.
    phone.goto(live_server.url + "/portal/")
    phone.get_by_text("some progress.").wait_for()
    fits_the_phone(phone)
    screenshot(phone, "portal-goal-progress-phone")
    assert phone.console_errors == []
