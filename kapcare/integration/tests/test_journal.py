"""The patient's integration journal in the portal: private by default, shared by choice, prompts
tied to the last dosing session, the line that it is not watched in real time."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.integration.journal import prompts_for
from kapcare.integration.models import JournalEntry
from kapcare.integration.tests.conftest import make_dosing

JOURNAL = "/portal/journal/"


def test_the_journal_says_it_is_not_watched_and_gives_crisis_lines(portal, patient):
    page = portal.get(JOURNAL).content.decode()
    assert "Your journal is not watched in real time" in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page


def test_prompts_are_tied_to_the_last_dosing_session(portal, patient, active):
    session = make_dosing(active, hours_ago=20)
    last, prompts = prompts_for(patient)
    assert last.id == session.pk
    day = timezone.localtime(session.dosed_at, patient.clinic.zone)
    assert f"your session on {day:%A} {day:%B} {day.day}" in prompts[0]
    assert prompts[0] in portal.get(JOURNAL).content.decode()


def test_without_a_dosing_session_the_prompts_are_general(patient):
    last, prompts = prompts_for(patient)
    assert last is None and "What is on your mind today?" in prompts


def test_a_new_entry_is_private_unless_the_patient_shares_it(portal, patient, active):
    dosing = make_dosing(active)
    portal.post(JOURNAL, {"text": "Only for me.", "mood": "2"})
    portal.post(JOURNAL, {"text": "For my therapist.", "share": "on"})
    private, shared = JournalEntry.objects.order_by("pk")
    assert private.shared_at is None and private.mood == 2 and private.after_dosing_id == dosing.pk
    assert shared.shared_at is not None and shared.mood is None
    assert (
        AuditEvent.objects.filter(
            object_type="JournalEntry", action="create", actor=f"patient {patient.pk}"
        ).count()
        == 2
    )


def test_an_empty_entry_is_refused_and_nothing_saved(portal):
    response = portal.post(JOURNAL, {"text": "   ", "mood": "9"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write something before saving." in page and "Select a valid choice" in page
    assert not JournalEntry.objects.exists()


def test_the_patient_shares_and_unshares_an_entry(portal, patient):
    entry = JournalEntry.objects.create(clinic=patient.clinic, patient=patient, text="Later maybe.")
    share = reverse("integration:journal_share", kwargs={"pk": entry.pk})
    portal.post(share, {"share": "yes"})
    entry.refresh_from_db()
    assert entry.is_shared
    portal.post(share, {"share": "no"})
    entry.refresh_from_db()
    assert not entry.is_shared


def test_another_patients_entry_is_not_found(portal, clinic):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ola",
        legal_last_name="Brandt",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    entry = JournalEntry.objects.create(clinic=clinic, patient=other, text="Not yours.")
    assert portal.get(reverse("integration:journal_entry", kwargs={"pk": entry.pk})).status_code == 404
    assert (
        portal.post(
            reverse("integration:journal_share", kwargs={"pk": entry.pk}), {"share": "yes"}
        ).status_code
        == 404
    )
    entry.refresh_from_db()
    assert entry.shared_at is None


def test_unshared_entries_never_reach_staff(signed_in, therapist, prescriber, patient, active, client):
    JournalEntry.objects.create(clinic=patient.clinic, patient=patient, text="Unshared dream about the sea.")
    JournalEntry.objects.create(
        clinic=patient.clinic, patient=patient, text="Shared note on sleep.", shared_at=timezone.now()
    )
    for user in (therapist, prescriber):
        signed_in(user)
        assert list(JournalEntry.objects.visible_to(user).values_list("text", flat=True)) == [
            "Shared note on sleep."
        ]
        page = client.get(reverse("integration:panel", kwargs={"pk": patient.pk})).content.decode()
        assert "Shared note on sleep." in page and "dream about the sea" not in page
        client.logout()


def test_the_journal_page_issues_the_same_queries_however_many_entries(portal, patient):
    portal.get(JOURNAL)
    with CaptureQueriesContext(connection) as first:
        portal.get(JOURNAL)
    for n in range(10):
        JournalEntry.objects.create(
            clinic=patient.clinic,
            patient=patient,
            text=f"Entry {n}",
            written_at=timezone.now() - timedelta(days=n),
        )
    with CaptureQueriesContext(connection) as later:
        portal.get(JOURNAL)
    assert len(later) == len(first)


def test_the_portal_home_loads_goals_and_journal_section(portal):
    assert b'hx-get="/portal/goals/"' in portal.get("/portal/").content


def test_choosing_a_prompt_keeps_it_with_the_entry(portal, patient, active):
    make_dosing(active, hours_ago=20)
    _, prompts = prompts_for(patient)
    page = portal.get(JOURNAL, {"prompt": prompts[1]}).content.decode()
    assert f'value="{prompts[1]}"' in page
    portal.post(JOURNAL, {"prompt": prompts[1], "text": "Tingling hands."})
    assert JournalEntry.objects.get().prompt == prompts[1]
