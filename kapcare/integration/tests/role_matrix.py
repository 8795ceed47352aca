"""Staff URLs of the integration app. name -> (kwargs from the cast, method)."""

from datetime import timedelta

from django.utils import timezone

from kapcare.integration.models import PsychotherapyNote, TherapySession


def therapy_session(cast):
    existing = TherapySession.objects.filter(patient=cast["patient"]).first()
    if existing:
        return existing
    therapist = cast["users"]["therapist"]
    return TherapySession.objects.create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        course=cast["course"],
        kind="preparation",
        scheduled_at=timezone.now() + timedelta(days=1),
        therapist=therapist,
        created_by=therapist,
    )


def with_psychotherapy_note(cast):
    """The role matrix's therapist wrote it: they read it; every other role is refused first."""
    session = therapy_session(cast)
    author = cast["users"]["therapist"]
    PsychotherapyNote.objects.get_or_create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        session=session,
        author=author,
        defaults={"text": "Private."},
    )
    return {"pk": session.pk}


URLS = {
    "integration:queue": (lambda cast: {}, "get"),
    "integration:settings": (lambda cast: {}, "get"),
    "integration:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "integration:schedule": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "integration:goals": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "integration:session": (lambda cast: {"pk": therapy_session(cast).pk}, "get"),
    "integration:note": (lambda cast: {"pk": therapy_session(cast).pk}, "get"),
    "integration:amend": (lambda cast: {"pk": therapy_session(cast).pk}, "get"),
    "integration:session_status": (lambda cast: {"pk": therapy_session(cast).pk}, "post"),
    "integration:psychotherapy": (with_psychotherapy_note, "get"),
    "integration:psychotherapy_release": (with_psychotherapy_note, "post"),
}
