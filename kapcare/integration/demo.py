"""Demo integration: for each active course with dosing sessions, the goals from its evaluation,
an integration session after each dosing session with a signed note and goal ratings, journal
entries (some shared, some private), and a few latest dosing sessions left without integration so
the overdue queue has something to show."""

from datetime import timedelta

from django.utils import timezone

from kapcare.clinics.models import User
from kapcare.integration import dosing as seam
from kapcare.integration.goals import carry_goals
from kapcare.integration.models import (
    GoalRating,
    JournalEntry,
    Kind,
    Mode,
    ProgressNote,
    Status,
    TherapySession,
)
from kapcare.lib import clock
from kapcare.patients.models import Course, CourseState

ENTRIES = [
    (
        "What stood out for you from your session?",
        "I saw the lake house again, and for once it felt safe there.",
        4,
    ),
    (
        "What did you feel in your body during or after the session?",
        "Heavy arms, then a warmth in my chest that stayed all evening.",
        3,
    ),
    (
        "What intention would you like to carry into this week?",
        "Walk every morning before checking my phone.",
        4,
    ),
    (
        "Which emotions came up, and where are they now?",
        "A lot of sadness about my father. Quieter today.",
        2,
    ),
]
NOTES = [
    {
        "dosing_experience": "Described returning to a childhood place and feeling safe there.",
        "insights": "Noticed how much of the day is spent bracing for criticism.",
        "emotions": "Grief, then relief; tearful when speaking of family.",
        "body_experience": "Warmth in the chest; heaviness in the limbs that eased by evening.",
        "themes": "Safety, belonging",
        "assessment": "Engaged and reflective; making meaning of the experience.",
        "risk_review": (
            "Denies suicidal thoughts or self-harm since the session. Safety plan reviewed, unchanged."
        ),
        "intentions": "Morning walks; one call a week with a friend.",
        "next_steps": "Continue the plan; integration session after the next dosing session.",
    },
    {
        "dosing_experience": "Less imagery this time; a sense of spaciousness.",
        "insights": "Connected the spaciousness with moments of calm at work.",
        "emotions": "Calm, some anxiety about the next session.",
        "body_experience": "Light, slightly nauseous at first.",
        "themes": "Agency",
        "assessment": "Mood brighter by the patient's account; practising intentions.",
        "risk_review": "No suicidal thoughts reported; no safety concerns.",
        "intentions": "Keep the walks; try journaling each evening.",
        "next_steps": "Review the journal together next time.",
    },
]


def load(demo) -> None:
    clinic = demo.clinic
    if TherapySession.objects.filter(clinic=clinic).exists():
        return
    therapists = list(User.objects.filter(memberships__clinic=clinic, memberships__role="therapist"))
    if not therapists:
        return
    rng, now = demo.rng, timezone.now()
    sessions = notes = entries = left_overdue = 0
    courses = Course.objects.filter(clinic=clinic, state=CourseState.ACTIVE).select_related("patient")
    for course in courses:
        dosings = sorted(
            (d for d in seam.dosings_for(course.patient) if d.course_id == course.pk), key=lambda d: d.at
        )
        if not dosings:
            continue
        therapist = course.therapist or rng.choice(therapists)
        goals = carry_goals(course, by=therapist)
        for n, dosing in enumerate(dosings):
            last = n == len(dosings) - 1
            if last and dosing.integration_due < now and left_overdue < 2:
                left_overdue += 1  # for the queue
                continue
            # The next day, in office hours: well within the protocol's window.
            day = timezone.localtime(dosing.at, clinic.zone) + timedelta(days=1)
            at = day.replace(hour=rng.choice([10, 13, 16]), minute=0, second=0, microsecond=0)
            video = rng.random() < 0.4
            session = TherapySession.objects.create(
                clinic=clinic,
                patient=course.patient,
                course=course,
                kind=Kind.INTEGRATION,
                follows_dosing_id=dosing.id,
                scheduled_at=at,
                therapist=therapist,
                mode=Mode.VIDEO if video else Mode.IN_PERSON,
                video_url="https://video.demo.kapcare.example/room/integration" if video else "",
                created_by=therapist,
            )
            sessions += 1
            if at > now:
                continue
            entry_text = ENTRIES[n % len(ENTRIES)]
            entry = JournalEntry.objects.create(
                clinic=clinic,
                patient=course.patient,
                after_dosing_id=dosing.id,
                prompt=entry_text[0],
                text=entry_text[1],
                mood=entry_text[2],
                written_at=dosing.at + timedelta(hours=6),
                shared_at=dosing.at + timedelta(hours=7) if rng.random() < 0.7 else None,
            )
            entries += 1
            note = ProgressNote.objects.create(
                clinic=clinic,
                patient=course.patient,
                session=session,
                created_at=at,
                note_format="dap",
                author=therapist,
                journal_entries=[entry.snapshot()] if entry.is_shared else [],
                **NOTES[n % len(NOTES)],
            )
            for goal in goals:
                GoalRating.objects.create(
                    clinic=clinic, goal=goal, note=note, progress=min(4, n + rng.choice([0, 1])), rated_at=at
                )
            # The session ends, and the therapist signs the note later that day: both through the
            # real methods (the same checks and audit), on a clock that reads those past moments.
            ended = at + timedelta(minutes=session.duration_minutes)
            if ended > now:
                continue  # under way: the note stays a draft
            with clock.at(ended):
                session.set_status(Status.COMPLETED, by=therapist)
            signed = ended + timedelta(minutes=rng.randint(10, 150))
            if signed > now:
                continue  # written but not yet signed, as a therapist would leave it
            with clock.at(signed):
                note.sign(by=therapist)
            notes += 1
    demo.say(
        f"Integration: {sessions} sessions, {notes} signed notes, {entries} journal entries, "
        f"{left_overdue} dosing sessions overdue for integration"
    )
