"""The demo's integration records tell a plausible story: notes signed after their session ended and
before the demo was loaded, sessions completed when they ended, journal entries written before the
session that pulled them in; and the demo's consents signed by the real rules, after publication."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from kapcare.integration.models import ProgressNote, TherapySession
from kapcare.patients.consent import ConsentDocument, ConsentSignature


@pytest.mark.django_db
def test_demo_notes_and_consents_are_signed_at_plausible_past_times():
    started = timezone.now()
    call_command("demo")
    notes = list(ProgressNote.objects.filter(signed_at__isnull=False).select_related("session"))
    assert len(notes) >= 20
    for note in notes:
        session = note.session
        ended = session.scheduled_at + timezone.timedelta(minutes=session.duration_minutes)
        assert ended <= note.signed_at < started, note
        assert session.status == "completed" and session.completed_at == ended
        assert session.follows_dosing.dosed_at < session.scheduled_at
        for entry in note.journal_entries:
            assert entry["written_at"] < session.scheduled_at.isoformat()
    assert len({note.signed_at.date() for note in notes}) > 5
    # Sessions later today or ahead are booked, not completed, and have no signed note.
    for session in TherapySession.objects.filter(scheduled_at__gt=started):
        assert (
            session.status == "scheduled"
            and not ProgressNote.objects.filter(session=session, signed_at__isnull=False).exists()
        )

    published = {d.pk: d.published_at for d in ConsentDocument.objects.all()}
    signatures = list(ConsentSignature.objects.defer("pdf"))
    assert signatures
    for signature in signatures:
        assert published[signature.document_id] < signature.signed_at < started
        assert signature.text_sha256 == ConsentDocument.objects.get(pk=signature.document_id).sha256
