"""Demo consent documents, signatures and preparation checklists, consistent with the demo courses:
every course past evaluation has a signed consent for KAP; a course whose treatment plan allows
sessions at home also has the signed at-home addendum; some patients also signed telehealth or
Part 2 consents; some patients with an active course confirmed tomorrow's preparation checklist."""

from datetime import timedelta

from django.utils import timezone

from kapcare.lib import clock
from kapcare.patients.consent import (
    Channel,
    ConsentDocument,
    ConsentSignature,
    consent_templates,
)
from kapcare.patients.models import Condition, Course, CourseState
from kapcare.patients.preparation import PreparationConfirmation, checklist_items

PAST_EVALUATION = [
    CourseState.ELIGIBLE,
    CourseState.ACTIVE,
    CourseState.PAUSED,
    CourseState.COMPLETED,
    CourseState.WITHDRAWN,
]


def load(demo) -> None:
    clinic = demo.clinic
    if ConsentDocument.objects.filter(clinic=clinic).exists():
        return
    first_course = Course.objects.filter(clinic=clinic).order_by("opened_at").first()
    published = (first_course.opened_at if first_course else timezone.now()) - timedelta(days=30)
    with clock.at(published):
        documents = {
            kind: ConsentDocument.publish(clinic, kind, title, body, by=demo.staff.get("admin"))
            for kind, title, body in consent_templates()
        }
    rng, signed = demo.rng, 0
    goes_home = at_home_courses(clinic)
    courses = (
        Course.objects.filter(clinic=clinic, state__in=PAST_EVALUATION)
        .select_related("patient")
        .prefetch_related("transitions")
        .order_by("pk")
    )
    for course in courses:
        decided = course.transitions.all()[0].at if course.transitions.all() else course.opened_at
        at = course.opened_at + (decided - course.opened_at) * rng.uniform(0.3, 0.9)
        witness = rng.choice([demo.staff["nurse"], demo.staff["intake"], None])
        sign_as_of(documents["kap"], course.patient, at, witness)
        signed += 1
        if course.pk in goes_home:
            sign_as_of(documents["at_home"], course.patient, at + timedelta(minutes=2), witness)
            signed += 1
        if rng.random() < 0.5:
            sign_as_of(documents["telehealth"], course.patient, at + timedelta(minutes=4), witness)
            signed += 1
        if course.condition == Condition.SUD and rng.random() < 0.7:
            sign_as_of(documents["part2"], course.patient, at + timedelta(minutes=6), witness)
            signed += 1
    # Patients whose next dosing session is tomorrow have confirmed its checklist; the portal's
    # example patient is one with a session booked, so the portal shows its dates.
    tomorrow = timezone.localdate(timezone.now(), clinic.zone) + timedelta(days=1)
    booked = booked_sessions(clinic)
    for course in courses:
        if course.state == CourseState.ACTIVE and booked.get(course.pk) == tomorrow:
            PreparationConfirmation.objects.create(
                clinic=clinic,
                patient=course.patient,
                course=course,
                session_date=tomorrow,
                items=[{"key": key, "text": text} for key, text in checklist_items(clinic)],
                confirmed_at=timezone.now() - timedelta(hours=rng.randint(1, 6)),
            )
    demo.say(f"{len(documents)} consent templates, {signed} signed consents with PDF copies")
    active = [course for course in courses if course.state == CourseState.ACTIVE]
    example = next((c.patient for c in active if c.pk in booked), active[0].patient if active else None)
    if example is not None:
        demo.say(
            f"portal: /portal/ with {example.email} and date of birth {example.date_of_birth:%Y-%m-%d} "
            "(the link lands in var/outbox)"
        )


def booked_sessions(clinic) -> dict:
    """Each course's next booked dosing session: its day, where the course is treated."""
    from kapcare.sessions.models import DosingSession

    found = {}
    ahead = DosingSession.objects.filter(clinic=clinic, state="scheduled", planned_start__gt=timezone.now())
    for session in ahead.select_related("site").order_by("planned_start"):
        found.setdefault(session.course_id, timezone.localdate(session.planned_start, session.site_zone))
    return found


def at_home_courses(clinic) -> set[int]:
    """Courses whose signed treatment plan allows sessions at home."""
    from kapcare.evaluation.models import TreatmentPlan

    return set(
        TreatmentPlan.objects.filter(clinic=clinic, at_home_allowed=True).values_list("course", flat=True)
    )


def sign_as_of(document, patient, at, witness) -> ConsentSignature:
    """A signature made on an earlier day of the demo's history: through `sign`, with its checks
    and PDF copy, on a clock that reads that day."""
    with clock.at(at):
        return document.sign(
            patient,
            typed_name=patient.legal_name,
            shown_version=document.version,
            shown_sha256=document.sha256,
            channel=Channel.CLINIC if witness else Channel.PORTAL,
            actor=witness or f"patient {patient.pk}",
            witnessed_by=witness,
        )
