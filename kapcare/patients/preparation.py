"""The preparation checklist the patient confirms the day before a dosing session.

The fasting and alcohol-free times are protocol values, not facts of nature: the sources in
../shared/reference/clinical.md disagree (4 hours from food and 2 from liquids in one clinic's
consent; 2 hours and 30 minutes in a county policy; at least 4 hours at an at-home service), so
each clinic sets them in its protocol (the `preparation` section of kapcare.clinics.protocol,
with sources). A confirmation keeps the exact lines the patient confirmed and the protocol
version, so the nurse at check-in sees what was agreed even after the protocol changes.
"""

from dataclasses import dataclass
from datetime import date

from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.trail import client_address, record
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


def protocol_values(clinic) -> dict:
    """The checklist's times from the clinic's protocol in force, and that protocol's version."""
    from kapcare.clinics.models import Protocol
    from kapcare.clinics.protocol import setting

    protocol = Protocol.active_for(clinic)
    return {
        "alcohol_free_hours": setting(protocol.rules, "preparation.no_alcohol_hours"),
        "food_fast_hours": setting(protocol.rules, "preparation.fasting_food_hours"),
        "fluid_fast_hours": setting(protocol.rules, "preparation.fasting_liquids_hours"),
        "protocol_version": protocol.version,
    }


def checklist_items(clinic, values=None) -> list[tuple[str, str]]:
    """The checklist as the patient reads it today, with the clinic's protocol values filled in."""
    values = values or protocol_values(clinic)
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
    protocol_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Of the clinic's protocol."
    )
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
            values = protocol_values(patient.clinic)
            confirmation = cls.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                course=course,
                session_date=session_date,
                items=[{"key": key, "text": text} for key, text in checklist_items(patient.clinic, values)],
                protocol_version=values["protocol_version"],
                address=client_address(request) if request is not None else None,
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
    clinic: object = None

    @property
    def confirmed(self) -> bool:
        return self.confirmation is not None

    @property
    def items(self) -> list[dict]:
        if self.confirmation is not None:
            return self.confirmation.items
        return [{"key": key, "text": text} for key, text in checklist_items(self.clinic)]


def checklist_status(patient, for_date: date) -> ChecklistStatus:
    """The preparation checklist for the patient's session on `for_date` (a date in the clinic's zone)."""
    confirmation = PreparationConfirmation.objects.filter(patient=patient, session_date=for_date).first()
    return ChecklistStatus(for_date=for_date, confirmation=confirmation, clinic=patient.clinic)
