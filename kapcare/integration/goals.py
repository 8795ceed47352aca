"""The patient's goals: carried from the evaluation into the course, and their progress over time."""

import re

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from kapcare.integration.models import Goal, GoalRating, Progress

BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def evaluation_goals(course) -> list[str]:
    """The goals written in the course's evaluation, one per line (bullets and numbers dropped)."""
    if not apps.is_installed("kapcare.evaluation"):
        return []
    from kapcare.evaluation.models import Evaluation

    text = Evaluation.objects.filter(course=course).values_list("goals", flat=True).first() or ""
    lines = [BULLET.sub("", line).strip() for line in text.splitlines()]
    return [line[:300] for line in lines if line]


def carry_goals(course, *, by=None) -> list[Goal]:
    """Make a goal of each evaluation goal the course does not have yet; returns the new ones."""
    wanted = evaluation_goals(course)
    if not wanted:
        return []
    with transaction.atomic():
        have = set(Goal.objects.filter(course=course).values_list("text", flat=True))
        start = Goal.objects.filter(course=course).count()
        new = [
            Goal(
                clinic_id=course.clinic_id,
                patient_id=course.patient_id,
                course=course,
                text=text,
                source=Goal.Source.EVALUATION,
                position=start + n,
                created_by=by,
            )
            for n, text in enumerate(t for t in dict.fromkeys(wanted) if t not in have)
        ]
        return Goal.objects.bulk_create(new)


def progress_over_time(goals) -> list[dict]:
    """Each goal with its signed ratings, oldest first, and the latest in words. One query."""
    goals = list(goals)
    ratings: dict[int, list[GoalRating]] = {goal.pk: [] for goal in goals}
    for rating in (
        GoalRating.objects.filter(goal__in=goals, note__signed_at__isnull=False)
        .select_related("note__session")
        .order_by("rated_at", "pk")
    ):
        ratings[rating.goal_id].append(rating)
    rows = []
    for goal in goals:
        history = ratings[goal.pk]
        latest = history[-1] if history else None
        rows.append(
            {
                "goal": goal,
                "history": history,
                "latest": latest,
                "percent": round(100 * latest.progress / Progress.REACHED) if latest else 0,
                "plain": plain_words(history),
            }
        )
    return rows


def plain_words(history) -> str:
    """How the patient's progress on a goal reads to them."""
    if not history:
        return (
            "Your therapist has not rated this goal yet. "
            "You will talk about it at your next integration session."
        )
    latest = history[-1]
    day = timezone.localtime(latest.rated_at)
    text = f"At your session on {day:%B} {day.day}: {latest.get_progress_display().lower()}."
    if len(history) > 1:
        before = history[-2].progress
        if latest.progress > before:
            text += " That is further than the time before."
        elif latest.progress < before:
            text += " That is less than the time before; setbacks are part of the work."
        else:
            text += " The same as the time before."
    return text
