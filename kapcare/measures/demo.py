"""Demo outcome measures: the shipped instruments for the demo clinic, and PHQ-9 and GAD-7
histories for the demo patients that fit their courses.

Everyone who reached a course of treatment answered at baseline; active, paused, completed and
withdrawn courses have results before each dosing session (twice a week) while active, and
completed ones a month after. Some
patients respond, some improve a little, some do not. One active patient's latest PHQ-9 has a
positive item 9, so the demo opens with a safety alert to work.
"""

from datetime import timedelta

from django.utils import timezone

from kapcare.measures import links, schedule
from kapcare.measures.models import Assignment, Invitation, Response, install_shipped, record_response
from kapcare.measures.scoring import shipped_definition
from kapcare.patients.models import Course, CourseState

TREATED = {CourseState.ACTIVE, CourseState.PAUSED, CourseState.COMPLETED, CourseState.WITHDRAWN}
# How much of the baseline score is gone by the end, for each kind of course.
TRAJECTORIES = {"responder": (0.55, 0.8), "partial": (0.2, 0.45), "non-responder": (-0.1, 0.15)}


def load(demo) -> None:
    install_shipped(demo.clinic)
    if Response.objects.filter(clinic=demo.clinic).exists():
        return
    courses = list(
        Course.objects.filter(clinic=demo.clinic)
        .exclude(state__in=[CourseState.INELIGIBLE])
        .select_related("patient__clinic")
        .prefetch_related("transitions")
        .order_by("pk")
    )
    instruments = {i.name: i for i in demo.clinic.instruments.filter(name__in=["phq-9", "gad-7"])}
    made, at_risk = 0, _first_active(courses)
    for course in courses:
        made += _history(demo, course, instruments, flag_item_9=course is at_risk)
    _waiting_questionnaire(demo, courses, instruments["phq-9"])
    demo.say(f"{made} PHQ-9 and GAD-7 results; 1 open safety alert (PHQ-9 item 9)")


def _first_active(courses):
    return next((c for c in courses if c.state == CourseState.ACTIVE), None)


def _history(demo, course, instruments, *, flag_item_9: bool) -> int:
    rng, now = demo.rng, timezone.now()
    dates = schedule.course_dates(course)
    baseline = {"phq-9": rng.randint(13, 23), "gad-7": rng.randint(9, 18)}
    kind = rng.choice(["responder", "responder", "partial", "non-responder"])
    if course.state == CourseState.COMPLETED:
        kind = rng.choice(["responder", "responder", "responder", "partial", "non-responder"])
    drop = rng.uniform(*TRAJECTORIES[kind])
    occasions = [dates["opened"] + timedelta(days=1)]
    if course.state in TREATED and dates["active"]:
        # Before each dosing session, twice a week, while the course was active.
        end = dates["ended"] or (course.state_changed_at if course.state == CourseState.PAUSED else now)
        at = dates["active"] + timedelta(hours=2)
        while at <= end - timedelta(hours=1):
            occasions.append(at)
            at += timedelta(days=rng.choice([3, 4]))
    steps = max(3, len(occasions) - 1) if course.state == CourseState.COMPLETED else 6
    if dates["completed"] and dates["completed"] + timedelta(days=30) <= now:
        occasions.append(dates["completed"] + timedelta(days=30))  # a month after the course
    made = 0
    for n, at in enumerate(occasions):
        progress = min(1.0, n / steps)
        for name, instrument in instruments.items():
            total = baseline[name] * (1 - drop * progress) + rng.uniform(-1.5, 1.5)
            last = n == len(occasions) - 1
            item_9 = 1 if (flag_item_9 and last and name == "phq-9") else 0
            answers = _answers(name, max(0, round(total)), item_9, rng)
            record_response(instrument, course.patient, answers, via="link", completed_at=at)
            made += 1
    return made


def _answers(name: str, total: int, item_9: int, rng) -> dict:
    """Answers whose item scores add up to the total (item 9 of PHQ-9 set on its own)."""
    definition = shipped_definition(name)
    items = list(definition.items)
    spread = items[:-1] if name == "phq-9" else items
    total = min(total - item_9, 3 * len(spread))
    scores = [0] * len(spread)
    for _ in range(max(0, total)):
        open_items = [i for i, s in enumerate(scores) if s < 3]
        scores[rng.choice(open_items)] += 1
    if name == "phq-9":
        scores.append(item_9)
    return {item.answer_key: _code_for(item, score) for item, score in zip(items, scores, strict=True)}


def _code_for(item, wanted):
    return next(o.key for o in item.options if o.weight == wanted)


def _waiting_questionnaire(demo, courses, phq9) -> None:
    """An evaluating patient asked for a baseline PHQ-9 by text: its link is in the summary."""
    course = next((c for c in courses if c.state == CourseState.EVALUATING and c.patient.phone), None)
    if course is None:
        return
    assignment = Assignment.objects.create(
        clinic=demo.clinic,
        patient=course.patient,
        course=course,
        instrument=phq9,
        schedule="baseline",
        channel="sms",
        created_by=demo.staff["intake"],
    )
    invitation = schedule.sync(assignment)[0]
    invitation = Invitation.objects.get(pk=invitation.pk)
    demo.say(f"A PHQ-9 link waiting for {course.patient.name}: {links.url_for(invitation)}")
