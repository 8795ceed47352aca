"""Converting a lead into a patient: one workflow across leads and patients, in one transaction."""

from django.db import transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.leads.models import Channel, Direction, Lead, LeadError, Status
from kapcare.patients.models import Condition, Course, CourseState, Patient


def split_name(name: str) -> tuple[str, str]:
    """'Ana María López' -> ('Ana María', 'López'): a best guess staff can correct before saving."""
    parts = name.split()
    if len(parts) < 2:
        return name.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


def initial_patient_fields(lead: Lead) -> dict:
    """What the lead already told us, ready for the conversion form, so nobody types it again."""
    first, last = split_name(lead.name)
    date_of_birth = lead.date_of_birth
    coverage = getattr(lead, "coverage", None)
    if date_of_birth is None and coverage is not None and coverage.relationship == "self":
        date_of_birth = coverage.subscriber_date_of_birth
    return {
        "legal_first_name": first,
        "legal_last_name": last,
        "date_of_birth": date_of_birth,
        "phone": lead.phone,
        "email": lead.email,
        "condition": lead.condition,
    }


def convert_lead(lead: Lead, by, request=None, *, condition: str, **patient_fields) -> Patient:
    """Create the patient and a course in evaluation from the lead, and mark the lead converted."""
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        if not current.is_open:
            raise LeadError(
                f"This lead is {current.get_status_display().lower()}; only an open lead converts."
            )
        if condition not in Condition.values:
            raise LeadError(f"{condition!r} is not a condition a course can be opened for.")
        fields = {"email": lead.email, "phone": lead.phone, **patient_fields}
        patient = Patient(clinic_id=lead.clinic_id, **fields)
        patient.full_clean(exclude=["mrn"])
        patient.save()
        course = Course.objects.create(
            clinic_id=lead.clinic_id,
            patient=patient,
            condition=condition,
            state=CourseState.EVALUATING,
            opened_by=by,
        )
        lead.status, lead.patient, lead.close_reason = Status.CONVERTED, patient, ""
        lead.last_activity_at = timezone.now()
        lead.save(update_fields=["status", "patient", "close_reason", "last_activity_at"])
        lead.messages.create(
            channel=Channel.NOTE,
            direction=Direction.INTERNAL,
            body=f"Converted to patient {patient.mrn}; course opened in evaluation.",
            by=by,
        )
        record(request, "create", patient, patient=patient, actor=by, detail={"from_lead": lead.pk})
        record(request, "create", course, patient=patient, actor=by, detail={"from_lead": lead.pk})
        record(request, "transition", lead, patient=patient, actor=by, detail={"to": "converted"})
    return patient
