"""Progress notes: the clinic's template, pulling in what the patient shared, rating goals,
signing (frozen) and amendments that keep the original; all audited."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.integration.models import (
    Amendment,
    Frozen,
    GoalRating,
    IntegrationSettings,
    JournalEntry,
    ProgressNote,
)

NOTE = {
    "dosing_experience": "Saw her grandmother's kitchen; felt held.",
    "insights": "Grief is not a failure.",
    "emotions": "Sadness, then relief.",
    "body_experience": "Warmth in the chest.",
    "themes": "Belonging",
    "assessment": "Engaged; processing grief.",
    "risk_review": "No suicidal thoughts since the session; safety plan unchanged.",
    "intentions": "Call her sister.",
    "next_steps": "Integration session after dosing session 2.",
}


def note_url(therapy):
    return reverse("integration:note", kwargs={"pk": therapy.pk})


def test_the_note_uses_the_clinics_template_with_soap_headings(signed_in, therapist, therapy):
    IntegrationSettings.objects.create(clinic=therapy.clinic, note_format="soap")
    page = signed_in(therapist).get(note_url(therapy)).content.decode()
    assert "Subjective" in page and "Objective" in page and "Data" not in page


def test_the_note_uses_dap_by_default(signed_in, therapist, therapy):
    page = signed_in(therapist).get(note_url(therapy)).content.decode()
    assert ">Data<" in page and "Subjective" not in page


def test_pulling_in_brings_shared_entries_and_never_private_ones(signed_in, therapist, therapy, patient):
    JournalEntry.objects.create(
        clinic=patient.clinic, patient=patient, text="Shared: the kitchen.", shared_at=timezone.now()
    )
    JournalEntry.objects.create(clinic=patient.clinic, patient=patient, text="Private: my secret fear.")
    client = signed_in(therapist)
    response = client.post(note_url(therapy), {**NOTE, "action": "pull"})
    assert response.status_code == 302
    note = ProgressNote.objects.get()
    assert [e["text"] for e in note.journal_entries] == ["Shared: the kitchen."]
    page = client.get(note_url(therapy)).content.decode()
    assert "Shared: the kitchen." in page and "secret fear" not in page
    assert AuditEvent.objects.filter(
        action="create", object_type="ProgressNote", detail__pulled__journal=1
    ).exists()


def test_pulling_in_brings_measures_since_the_last_session_only(
    signed_in, therapist, therapy, patient, active
):
    from kapcare.measures.models import install_shipped, record_response
    from kapcare.measures.tests.conftest import phq9_answers

    phq9 = next(i for i in install_shipped(patient.clinic) if i.name == "phq-9")
    before = therapy.scheduled_at - timedelta(days=3)
    TherapySessionFactory = type(therapy)
    TherapySessionFactory.objects.create(
        clinic=patient.clinic,
        patient=patient,
        course=active,
        kind="preparation",
        scheduled_at=before,
        therapist=therapist,
        created_by=therapist,
    )
    record_response(phq9, patient, phq9_answers([2] * 9), via="link", completed_at=before - timedelta(days=1))
    record_response(phq9, patient, phq9_answers([1] * 9), via="link", completed_at=before + timedelta(days=1))
    signed_in(therapist).post(note_url(therapy), {**NOTE, "action": "pull"})
    (measure,) = ProgressNote.objects.get().measures
    assert measure["total"].startswith("9") and "PHQ-9" in measure["instrument"]


def test_signing_freezes_the_note_and_completes_the_session(signed_in, therapist, therapy, goals):
    client = signed_in(therapist)
    data = {**NOTE, f"goal_{goals[0].pk}": "2", "action": "sign"}
    response = client.post(note_url(therapy), data)
    assert response.status_code == 302
    note = ProgressNote.objects.get()
    therapy.refresh_from_db()
    assert note.is_signed and note.signed_by == therapist
    assert therapy.status == "completed" and therapy.telehealth is True
    assert GoalRating.objects.get().progress == 2
    note.insights = "changed"
    with pytest.raises(Frozen):
        note.save()
    with pytest.raises(Frozen):
        GoalRating.objects.get().save()
    # The form no longer edits it: it sends the therapist to amend instead.
    again = client.post(note_url(therapy), {**NOTE, "insights": "rewritten", "action": "save"})
    assert again.status_code == 302
    assert ProgressNote.objects.get().insights == NOTE["insights"]
    assert AuditEvent.objects.filter(action="sign", object_type="ProgressNote").exists()


def test_signing_without_a_risk_review_is_refused_and_nothing_is_signed(signed_in, therapist, therapy):
    response = signed_in(therapist).post(note_url(therapy), {**NOTE, "risk_review": "", "action": "sign"})
    assert response.status_code == 400
    assert "Review risk before signing" in response.content.decode()
    assert not ProgressNote.objects.exists()
    therapy.refresh_from_db()
    assert therapy.status == "scheduled"


def test_an_amendment_keeps_the_original_and_is_signed(signed_in, therapist, therapy):
    client = signed_in(therapist)
    client.post(note_url(therapy), {**NOTE, "action": "sign"})
    url = reverse("integration:amend", kwargs={"pk": therapy.pk})
    assert client.post(url, {"text": "  "}).status_code == 200
    assert not Amendment.objects.exists()
    client.post(url, {"text": "The sister is her older sister."})
    note = ProgressNote.objects.get()
    assert note.insights == NOTE["insights"]
    (amendment,) = note.amendments.all()
    assert amendment.by == therapist
    with pytest.raises(Frozen):
        amendment.save()
    page = client.get(reverse("integration:session", kwargs={"pk": therapy.pk})).content.decode()
    assert "The sister is her older sister." in page and "Grief is not a failure." in page


def test_an_unsigned_note_cannot_be_amended(therapist, therapy, patient):
    note = ProgressNote.objects.create(
        clinic=patient.clinic, patient=patient, session=therapy, note_format="dap", author=therapist
    )
    with pytest.raises(ValidationError):
        Amendment.add(note, "A change", by=therapist)


def test_only_a_therapist_writes_notes(signed_in, prescriber, therapy):
    assert signed_in(prescriber).post(note_url(therapy), {**NOTE, "action": "save"}).status_code == 403
    assert not ProgressNote.objects.exists()


def test_the_prescriber_reads_the_signed_note(signed_in, therapist, prescriber, therapy, client):
    signed_in(therapist).post(note_url(therapy), {**NOTE, "action": "sign"})
    client.logout()
    page = signed_in(prescriber).get(reverse("integration:session", kwargs={"pk": therapy.pk}))
    assert "Grief is not a failure." in page.content.decode()
    assert AuditEvent.objects.filter(
        action="view", object_type="TherapySession", actor=prescriber.email
    ).exists()


def test_a_video_session_needs_its_link_and_records_telehealth(signed_in, therapist, active, dosing):
    url = reverse("integration:schedule", kwargs={"pk": active.patient.pk})
    when = (timezone.localtime(timezone.now() + timedelta(days=1))).strftime("%Y-%m-%dT%H:%M")
    data = {
        "kind": "integration",
        "follows_dosing": dosing.pk,
        "scheduled_at": when,
        "duration_minutes": 50,
        "therapist": therapist.pk,
        "mode": "video",
        "video_url": "",
    }
    client = signed_in(therapist)
    response = client.post(url, data)
    assert "A video session needs the link" in response.content.decode()
    from kapcare.integration.models import TherapySession

    assert not TherapySession.objects.exists()
    client.post(url, data | {"video_url": "https://video.example/r/1"})
    session = TherapySession.objects.get()
    assert session.follows_dosing_id == dosing.pk and session.mode == "video"


def test_the_session_page_issues_the_same_queries_however_long_the_note(
    signed_in, therapist, therapy, goals, client
):
    client = signed_in(therapist)
    client.post(
        note_url(therapy), {**NOTE, f"goal_{goals[0].pk}": "1", f"goal_{goals[1].pk}": "3", "action": "sign"}
    )
    url = reverse("integration:session", kwargs={"pk": therapy.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for n in range(4):
        client.post(reverse("integration:amend", kwargs={"pk": therapy.pk}), {"text": f"Addition {n}"})
    with CaptureQueriesContext(connection) as later:
        client.get(url)
    assert len(later) == len(first)
