"""Goals: carried from the evaluation, rated at each session, shown over time to staff and, in
plain words, to the patient."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kapcare.integration.goals import carry_goals, progress_over_time
from kapcare.integration.models import Goal, GoalRating, ProgressNote, TherapySession


def make_evaluation(course, goals_text):
    from kapcare.evaluation.models import Evaluation

    return Evaluation.objects.create(
        clinic=course.clinic, course=course, patient=course.patient, goals=goals_text
    )


def test_goals_come_from_the_evaluation_one_per_line_once(active, therapist):
    make_evaluation(active, "- Sleep through the night\n\n2) Go back to work\n- Sleep through the night")
    made = carry_goals(active, by=therapist)
    assert [g.text for g in made] == ["Sleep through the night", "Go back to work"]
    assert carry_goals(active, by=therapist) == []
    assert set(Goal.objects.values_list("source", flat=True)) == {"evaluation"}


def test_booking_the_first_session_carries_the_goals(signed_in, therapist, active, dosing):
    make_evaluation(active, "Feel at home in my body")
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    signed_in(therapist).post(
        reverse("integration:schedule", kwargs={"pk": active.patient.pk}),
        {
            "kind": "integration",
            "follows_dosing": dosing.pk,
            "scheduled_at": when,
            "duration_minutes": 50,
            "therapist": therapist.pk,
            "mode": "in_person",
        },
    )
    assert list(Goal.objects.values_list("text", flat=True)) == ["Feel at home in my body"]


def test_a_duplicate_goal_is_refused(signed_in, therapist, goals):
    url = reverse("integration:goals", kwargs={"pk": goals[0].patient_id})
    response = signed_in(therapist).post(url, {"text": "Sleep through the night"})
    assert response.status_code == 400 and "already on the list" in response.content.decode()
    assert Goal.objects.count() == 2


def rate(session, therapist, goal, progress, signed=True):
    note = ProgressNote.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        session=session,
        note_format="dap",
        author=therapist,
        risk_review="Reviewed.",
    )
    GoalRating.objects.create(
        clinic=session.clinic, goal=goal, note=note, progress=progress, rated_at=session.scheduled_at
    )
    if signed:
        note.sign(by=therapist)
    return note


def test_progress_over_time_counts_only_signed_ratings(active, therapist, goals, therapy):
    later = TherapySession.objects.create(
        clinic=active.clinic,
        patient=active.patient,
        course=active,
        kind="integration",
        scheduled_at=therapy.scheduled_at + timedelta(days=7),
        therapist=therapist,
        created_by=therapist,
    )
    draft_session = TherapySession.objects.create(
        clinic=active.clinic,
        patient=active.patient,
        course=active,
        kind="integration",
        scheduled_at=therapy.scheduled_at + timedelta(days=14),
        therapist=therapist,
        created_by=therapist,
    )
    rate(therapy, therapist, goals[0], 1)
    rate(later, therapist, goals[0], 3)
    rate(draft_session, therapist, goals[0], 0, signed=False)
    row = progress_over_time([goals[0]])[0]
    assert [r.progress for r in row["history"]] == [1, 3]
    assert "a lot of progress" in row["plain"] and "further than the time before" in row["plain"]


def test_the_patient_sees_their_goal_progress_in_plain_words(portal, therapist, goals, therapy):
    page = portal.get("/portal/goals/").content.decode()
    assert "Your therapist has not rated this goal yet" in page
    rate(therapy, therapist, goals[1], 2)
    page = portal.get("/portal/goals/").content.decode()
    assert "Call my sister again" in page and "some progress." in page


def test_staff_see_goal_progress_on_the_chart_panel(signed_in, prescriber, therapist, goals, therapy):
    rate(therapy, therapist, goals[0], 4)
    page = (
        signed_in(prescriber)
        .get(reverse("integration:panel", kwargs={"pk": goals[0].patient_id}))
        .content.decode()
    )
    assert "Sleep through the night" in page and "Goal reached" in page


def test_the_chart_panel_shows_the_front_office_when_sessions_are_but_no_goals_or_journal(
    signed_in, intake, goals, therapy
):
    from kapcare.integration.models import JournalEntry

    JournalEntry.objects.create(
        clinic=therapy.clinic, patient=therapy.patient, text="Shared words.", shared_at=timezone.now()
    )
    response = signed_in(intake).get(reverse("integration:panel", kwargs={"pk": therapy.patient_id}))
    page = response.content.decode()
    assert response.status_code == 200 and "Integration session" in page
    assert "Sleep through the night" not in page and "Shared words." not in page
