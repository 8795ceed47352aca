"""Conditions and medications recorded elsewhere: another clinic's problem list or medication
list, a record imported into kapcare."""

from django.db import models, transaction
from django.utils import timezone

from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.lib.partial_dates import span

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


class CodeSystem(models.TextChoices):
    SNOMED_CT = SNOMED, "SNOMED CT"
    ICD10CM = ICD10CM, "ICD-10-CM"


class ClinicalStatus(models.TextChoices):
    # http://terminology.hl7.org/CodeSystem/condition-clinical
    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


class VerificationStatus(models.TextChoices):
    # http://terminology.hl7.org/CodeSystem/condition-ver-status
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    PROVISIONAL = "provisional", "Provisional"
    DIFFERENTIAL = "differential", "Differential"
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Category(models.TextChoices):
    # http://terminology.hl7.org/CodeSystem/condition-category, and US Core's health-concern
    PROBLEM_LIST_ITEM = "problem-list-item", "Problem list item"
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", "Encounter diagnosis"
    HEALTH_CONCERN = "health-concern", "Health concern"


class KeptFromElsewhere(models.Model):
    """What a record of the patient's kept from elsewhere (a condition, a medication) has: the
    sender, when kapcare kept it, and, should the clinical team mark it entered in error (a wrong
    record, the wrong patient), who said so, when and why. It stays, and reads as such through the
    API. Each model says which field holds its FHIR status (`status_field`)."""

    status_field: str
    noun: str

    source = models.CharField(max_length=120, help_text="The API client that sent it, or the import")
    recorded_at = models.DateTimeField(default=timezone.now)
    error_reason = models.CharField("why it is in error", max_length=300, blank=True)
    error_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.display or self.text}".strip()

    @property
    def label(self) -> str:
        """What the sender called it: its text, else the coding's display."""
        return self.text or self.display

    @property
    def in_error(self) -> bool:
        """Marked so here, or sent so by the record it came from."""
        return getattr(self, self.status_field) == "entered-in-error"

    def mark_entered_in_error(self, *, by, reason: str, request=None) -> None:
        """Mark it entered in error, saying why: it stays on the record, apart, and its FHIR status
        becomes entered-in-error (a new version at the next read); a blank reason, one too long or
        a second mark changes nothing. Audited with the reason."""
        from kapcare.audit.trail import record
        from kapcare.evaluation.signing import PreparationError

        reason = reason.strip()
        if not reason:
            raise PreparationError(f"Say why this {self.noun} is in error.", "reason")
        limit = self._meta.get_field("error_reason").max_length
        if len(reason) > limit:
            raise PreparationError(f"Say why in at most {limit} characters; nothing was changed.", "reason")
        if self.in_error:
            raise PreparationError(f"This {self.noun} is already marked entered in error.")
        setattr(self, self.status_field, "entered-in-error")
        self.error_reason, self.error_by, self.error_at = reason, by, timezone.now()
        with transaction.atomic():
            self.save(update_fields=[self.status_field, "error_reason", "error_by", "error_at"])
            record(request, "update", self, actor=by, detail={"entered_in_error": reason})


class OutsideConditionQuerySet(ClinicScopedQuerySet):
    pass


class OutsideCondition(KeptFromElsewhere):
    """A condition of the patient recorded somewhere else (another clinic's problem list, an
    imported record), kept as it was sent for the prescriber to weigh at the evaluation.

    It is not a diagnosis of kapcare's evaluation (those are the prescriber's own, Diagnosis) and no
    screening rule reads it. Its coding is the sender's (SNOMED CT or ICD-10-CM), and its dates are
    kept as the FHIR dateTime the sender wrote, however partial ("2015", "2015-10-31"). The span
    each stands for (all of 2015) is derived from it for searching and sorting only: `onset_start`
    and `onset_end`, `recorded_start` and `recorded_end` (the moment after the last the value
    allows), and `recorded_on`, the day.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outside_conditions"
    )
    system = models.CharField("code system", max_length=40, choices=CodeSystem.choices)
    code = models.CharField(max_length=40)
    code_version = models.CharField(max_length=200, blank=True)
    display = models.CharField(max_length=300, blank=True)
    text = models.CharField(max_length=500, blank=True)
    clinical_status = models.CharField(max_length=16, choices=ClinicalStatus.choices, blank=True)
    verification_status = models.CharField(max_length=20, choices=VerificationStatus.choices, blank=True)
    category = models.CharField(max_length=24, choices=Category.choices, blank=True)
    onset = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent, maybe partial")
    onset_start = models.DateTimeField(null=True, blank=True, help_text="The earliest moment onset allows")
    onset_end = models.DateTimeField(
        null=True, blank=True, help_text="The moment after the last onset allows"
    )
    abatement = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    recorded_date = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    recorded_on = models.DateField(help_text="The recorded date's day, else the day kapcare kept it")
    recorded_start = models.DateTimeField(
        null=True, blank=True, help_text="The earliest moment the recorded date allows"
    )
    recorded_end = models.DateTimeField(
        null=True, blank=True, help_text="The moment after the last the recorded date allows"
    )
    status_field, noun = "verification_status", "condition"

    objects = OutsideConditionQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["clinic", "patient"], name="outside_condition_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(system__in=[SNOMED, ICD10CM]) & ~models.Q(code=""),
                name="outside_condition_is_coded",
            ),
            models.CheckConstraint(
                condition=models.Q(error_at__isnull=True)
                | (models.Q(error_by__isnull=False) & ~models.Q(error_reason="")),
                name="outside_condition_error_says_who_and_why",
            ),
        ]

    def save(self, *args, **kwargs):
        self.derive_spans()
        super().save(*args, **kwargs)

    def derive_spans(self) -> None:
        """Set the spans the onset and recorded date stand for, from the dates as sent (the day
        kapcare kept it when no recorded date was sent). A date that is not a FHIR dateTime raises
        ValueError; the API refuses one before it comes here."""
        self.onset_start, self.onset_end = span(self.onset) if self.onset else (None, None)
        if self.recorded_date:
            self.recorded_start, self.recorded_end = span(self.recorded_date)
        elif self.recorded_on:
            self.recorded_start, self.recorded_end = span(self.recorded_on.isoformat())

    @property
    def onset_day(self) -> str:
        """The onset to the day at most, as precise as the sender gave it: 2015, 2015-10, 2015-10-31."""
        return self.onset[:10]

    @property
    def abatement_day(self) -> str:
        return self.abatement[:10]

    @property
    def system_name(self) -> str:
        return CodeSystem(self.system).label


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


class MedicationStatus(models.TextChoices):
    # http://hl7.org/fhir/CodeSystem/medication-statement-status
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    INTENDED = "intended", "Intended"
    STOPPED = "stopped", "Stopped"
    ON_HOLD = "on-hold", "On hold"
    UNKNOWN = "unknown", "Unknown"
    NOT_TAKEN = "not-taken", "Not taken"


class SentAs(models.TextChoices):
    STATEMENT = "MedicationStatement", "a medication statement"
    REQUEST = "MedicationRequest", "a prescription"


# A prescription (MedicationRequest.status, http://hl7.org/fhir/CodeSystem/medicationrequest-status)
# as what it says the patient takes (MedicationStatement.status). FHIR R4 publishes no map between
# the two, so each is the statement status that claims no more than the prescription does:
# - active, on-hold, completed, stopped, entered-in-error and unknown mean the same in both;
# - cancelled ("withdrawn before any administrations occurred") is not-taken;
# - draft ("not yet actionable") is intended: it may be taken in the future.
# The prescription's own status is kept beside (`request_status`), so nothing is lost in the map.
REQUEST_STATUS = {
    "active": MedicationStatus.ACTIVE,
    "on-hold": MedicationStatus.ON_HOLD,
    "completed": MedicationStatus.COMPLETED,
    "stopped": MedicationStatus.STOPPED,
    "entered-in-error": MedicationStatus.ENTERED_IN_ERROR,
    "unknown": MedicationStatus.UNKNOWN,
    "cancelled": MedicationStatus.NOT_TAKEN,
    "draft": MedicationStatus.INTENDED,
}


class OutsideMedicationQuerySet(ClinicScopedQuerySet):
    pass


class OutsideMedication(KeptFromElsewhere):
    """A medication the patient takes or was prescribed, recorded somewhere else (another
    clinic's medication list, a prescription in an imported record), kept as it was sent for the
    prescriber to reconcile at the evaluation: ketamine's interactions (benzodiazepines,
    psychostimulants, MAOIs, lamotrigine) make what is prescribed elsewhere matter.

    It is not the evaluation's medication list (Medication, which the prescriber keeps and the
    screening rules read): no screening rule reads this one. Its coding is the sender's RxNorm
    code. A MedicationStatement is kept with its status; a prescription (MedicationRequest, as
    Synthea and most EHRs send a medication) with its status mapped to a statement's by
    REQUEST_STATUS, its own status kept beside it. Dates are kept as the FHIR dateTime the sender
    wrote, however partial: `effective_start`/`effective_end` (effectiveDateTime or
    effectivePeriod), `date_asserted`, and `authored_on` (when a prescription was written);
    `dated` is derived from them for sorting and searching only.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outside_medications"
    )
    system = models.CharField("code system", max_length=60, default=RXNORM)
    code = models.CharField(max_length=40)
    code_version = models.CharField(max_length=200, blank=True)
    display = models.CharField(max_length=300, blank=True)
    text = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=MedicationStatus.choices)
    sent_as = models.CharField(max_length=20, choices=SentAs.choices, default=SentAs.STATEMENT)
    request_status = models.CharField(
        max_length=20, blank=True, help_text="A prescription's own status, as sent"
    )
    dosage = models.CharField("dosage as written", max_length=500, blank=True)
    effective_start = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    effective_end = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    date_asserted = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    authored_on = models.CharField(max_length=40, blank=True, help_text="FHIR dateTime as sent")
    dated = models.DateTimeField(
        null=True, blank=True, help_text="The earliest moment of when it was taken, else prescribed"
    )
    status_field, noun = "status", "medication"

    objects = OutsideMedicationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["clinic", "patient"], name="outside_medication_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(system=RXNORM) & ~models.Q(code=""),
                name="outside_medication_is_coded",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MedicationStatus.values),
                name="outside_medication_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(sent_as=SentAs.REQUEST) | models.Q(request_status=""),
                name="outside_medication_request_status_of_a_request",
            ),
            models.CheckConstraint(
                condition=models.Q(error_at__isnull=True)
                | (models.Q(error_by__isnull=False) & ~models.Q(error_reason="")),
                name="outside_medication_error_says_who_and_why",
            ),
        ]

    @property
    def is_prescription(self) -> bool:
        return self.sent_as == SentAs.REQUEST

    @property
    def since_day(self) -> str:
        """When it was taken from, else prescribed, to the day at most, as precise as sent."""
        return (self.effective_start or self.authored_on)[:10]

    @property
    def until_day(self) -> str:
        return self.effective_end[:10]
