"""Booking dosing sessions from the course's signed treatment plan (evaluation app)."""

from django.apps import apps

from kapcare.sessions.models import DosingSession, Medication, SessionError, Setting


def plan_for(course):
    if not apps.is_installed("kapcare.evaluation"):
        return None
    from kapcare.evaluation.models import TreatmentPlan

    return TreatmentPlan.objects.filter(course=course).first()


def schedule_from_plan(
    plan,
    course,
    *,
    planned_start,
    site,
    by,
    room=None,
    setting=Setting.CLINIC,
    home_address: str = "",
    medication=None,
    request=None,
) -> DosingSession:
    """A session with the plan's medication, route and dose: mg/kg plans are dosed on the day's
    weight. A medication asked for that is not the plan's is refused, not quietly replaced."""
    refusal = medication_refusal(plan, medication)
    if refusal:
        raise SessionError(refusal)
    medication = Medication(plan.medication)
    per_kg = plan.dose_amount if plan.dose_unit == "mg/kg" else None
    return DosingSession.schedule(
        course,
        site=site,
        room=room,
        setting=setting,
        home_address=home_address,
        planned_start=planned_start,
        route=plan.route,
        medication=medication,
        planned_dose_mg=None if per_kg is not None else plan.dose_mg,
        planned_mg_per_kg=per_kg,
        plan_ref=plan.pk,
        by=by,
        request=request,
    )


def medication_refusal(plan, medication) -> str:
    """Why a session of `medication` cannot be booked from this plan, or "" if it can: the signed
    plan names the drug, and a different one would be given without a prescriber's plan for it."""
    if medication in (None, "") or medication == plan.medication:
        return ""
    asked = Medication(medication).label if medication in Medication.values else repr(medication)
    return (
        f"The course's signed treatment plan is for {plan.get_medication_display()}, so its sessions "
        f"give {plan.get_medication_display()}, not {asked}. Book {asked} only on a course whose "
        "signed plan names it."
    )


def address_on_file(patient) -> str:
    """The patient's address as the chart holds it, one line per part; "" when none is on file."""
    place = " ".join(part for part in (patient.state, patient.postal_code) if part)
    last = ", ".join(part for part in (patient.city, place) if part)
    return "\n".join(line for line in (patient.address_line.strip(), last.strip()) if line)
