"""The preparation checklist the patient confirms the day before a dosing session.

The fasting and alcohol-free times are protocol values, not facts of nature: the sources in
../shared/reference/clinical.md disagree (4 hours from food and 2 from liquids in one clinic's
consent; 2 hours and 30 minutes in a county policy; at least 4 hours at an at-home service), so
each clinic sets them (settings.PREPARATION). A confirmation keeps the exact lines the patient
confirmed, so the nurse at check-in sees what was agreed even after the protocol changes.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet

# (key, what the patient confirms); {placeholders} are filled from the clinic's protocol values.
ITEMS = [
    (
        "no_alcohol_or_drugs",
        "No alcohol or recreational drugs in the {alcohol_free_hours} hours before my session.",
    ),
    (
        "fasting",
        "Nothing to eat for {food_fast_hours} hours and nothing to drink for {fluid_fast_hours} hours "
        "before my session.",
    ),
    ("ride_home", "A ride home is arranged. I will not drive until the next day, after a night's sleep."),
    ("comfortable_clothes", "I will wear comfortable clothes."),
    ("intentions", "I have set my intentions for the session."),
]


def protocol_values() -> dict:
    return dict(settings.PREPARATION)


def checklist_items() -> list[tuple[str, str]]:
    """The checklist as the patient reads it today, with the clinic's protocol values filled in."""
    values = protocol_values()
    return [(key, text.format(**values)) for key, text in ITEMS]


class PreparationConfirmation(models.Model):
    """The patient's confirmation, before one session day, that they have prepared as asked."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="preparation_confirmations"
    )
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, null=True, blank=True)
    session_date = models.DateField(help_text="The day of the session, in the clinic's time zone.")
    items = models.JSONField(help_text="The lines confirmed, as shown: [{key, text}].")
    confirmed_at = models.DateTimeField(default=timezone.now)
    address = models.GenericIPAddressField(null=True, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-session_date"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "session_date"], name="one_preparation_per_day")
        ]

    def __str__(self) -> str:
        return f"Preparation confirmed for {self.session_date}"

    @classmethod
    def confirm(cls, patient, session_date: date, *, course=None, request=None, actor=None):
        with transaction.atomic():
            confirmation = cls.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                course=course,
                session_date=session_date,
                items=[{"key": key, "text": text} for key, text in checklist_items()],
                address=request.META.get("REMOTE_ADDR") if request is not None else None,
            )
            record(
                request,
                "create",
                confirmation,
                patient=patient,
                clinic=patient.clinic_id,
                actor=actor,
                detail={"session_date": session_date.isoformat()},
            )
        return confirmation


@dataclass
class ChecklistStatus:
    """Whether the patient confirmed their preparation for a session day, and what they confirmed."""

    for_date: date
    confirmation: PreparationConfirmation | None

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None

    @property
    def items(self) -> list[dict]:
        if self.confirmation is not None:
            return self.confirmation.items
        return [{"key": key, "text": text} for key, text in checklist_items()]


def checklist_status(patient, for_date: date) -> ChecklistStatus:
    """The preparation checklist for the patient's session on `for_date` (a date in the clinic's zone)."""
    confirmation = PreparationConfirmation.objects.filter(patient=patient, session_date=for_date).first()
    return ChecklistStatus(for_date=for_date, confirmation=confirmation)
