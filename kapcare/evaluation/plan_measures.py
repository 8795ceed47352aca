"""The treatment plan's measures, put on the measures engine's schedule when the course starts: each
target instrument before each dosing session or weekly, as the plan says, and 1, 3 and 6 months
after the course, so outcomes are measured through the course and after it (design.md)."""

from kapcare.audit.trail import record
from kapcare.evaluation.models import MeasuresSchedule, TreatmentPlan
from kapcare.measures.models import Assignment, Channel, Instrument, Schedule

DURING = {MeasuresSchedule.EACH_SESSION: Schedule.BEFORE_DOSING, MeasuresSchedule.WEEKLY: Schedule.WEEKLY}
AFTER = [Schedule.AFTER_COURSE_1M, Schedule.AFTER_COURSE_3M, Schedule.AFTER_COURSE_6M]


def channel_for(patient) -> str:
    """Texts first (what patients answer most), then email, else staff enter answers in clinic."""
    if patient.phone:
        return Channel.SMS
    return Channel.EMAIL if patient.email else Channel.CLINIC


def assign_plan_measures(course, plan: TreatmentPlan, *, by, request=None) -> list[Assignment]:
    """Assign the plan's target measures for the course; an assignment already there is kept.
    Call inside the transaction that starts the course."""
    instruments = Instrument.objects.filter(clinic_id=course.clinic_id, name__in=plan.target_measures)
    existing = set(
        Assignment.objects.filter(course=course, is_active=True).values_list("instrument_id", "schedule")
    )
    schedules = [DURING[plan.measures_schedule], *AFTER]
    made = [
        Assignment(
            clinic_id=course.clinic_id,
            patient_id=course.patient_id,
            course=course,
            instrument=instrument,
            schedule=schedule,
            channel=channel_for(course.patient),
            created_by=by,
        )
        for instrument in instruments.assignable()
        for schedule in schedules
        if (instrument.pk, schedule) not in existing
    ]
    Assignment.objects.bulk_create(made)
    if made:
        record(
            request,
            "create",
            course,
            patient=course.patient_id,
            actor=by,
            detail={
                "measures from the treatment plan": sorted({a.instrument.name for a in made}),
                "schedules": schedules,
            },
        )
    return made
