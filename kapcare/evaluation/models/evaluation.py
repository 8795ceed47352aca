"""The structured evaluation of a course: history, medications, allergies, vitals and goals."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone

from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.clinics.protocol import (
    HeartDisease,
    History,
    Hypertension,
    MedicationClass,
    Recency,
    Severity,
    Thyroid,
)
from kapcare.evaluation import icd10
from kapcare.lib.signed import Frozen, FrozenOnceSigned


def in_range(low, high, what: str, unit: str, hint: str = ""):
    """Plausibility bounds for typed measurements: they catch slips, they are not clinical rules."""
    message = f"{what} must be between {low} and {high} {unit}.{(' ' + hint) if hint else ''}"
    return [MinValueValidator(low, message), MaxValueValidator(high, message)]


def choice(label: str, choices, **kwargs):
    # Blank means "not asked yet": a rule never fires on a question nobody answered.
    return models.CharField(label, max_length=16, choices=choices, blank=True, **kwargs)


def yes_no(label: str, **kwargs):
    return models.BooleanField(label, null=True, blank=True, **kwargs)


class EvaluationQuerySet(ClinicScopedQuerySet):
    pass


class Evaluation(FrozenOnceSigned):
    """The prescriber's structured evaluation before ketamine: the evidence a decision rests on.

    Staff fill it in clinic; the patient may fill the history part ahead of time in the portal,
    which then waits for a clinician to review and confirm it. Once a prescriber signs an
    eligibility decision on it, it is frozen as the decision's evidence; what changes later (a
    clearance, a new medication) goes into a re-evaluation, a new evaluation of the same course
    that starts as a copy of this one.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, related_name="evaluations")
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="re-evaluation of",
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="evaluations")
    evaluated_on = models.DateField(default=timezone.localdate)
    presenting_problems = models.TextField(blank=True, help_text="What brings the patient, in brief.")

    # Psychiatric history
    psychosis = choice("psychotic symptoms", History.choices)
    schizophrenia = yes_no("schizophrenia diagnosed")
    bipolar_disorder = yes_no("bipolar disorder diagnosed")
    mania = choice("manic episodes", History.choices)
    substance_use = choice("substance use disorder", History.choices)
    ketamine_misuse = choice("ketamine misuse", History.choices)
    suicide_attempt = yes_no("ever attempted suicide")
    last_suicide_attempt = models.DateField("most recent suicide attempt", null=True, blank=True)
    self_harm = choice("self-harm", History.choices)
    suicidal_thoughts_last_2_weeks = yes_no("suicidal thoughts in the last two weeks")

    # Medical history
    hypertension = choice("high blood pressure", Hypertension.choices)
    cardiovascular_disease = choice("heart disease", HeartDisease.choices)
    cerebrovascular_disease = choice("stroke or cerebrovascular disease", Recency.choices)
    aneurysm_or_avm = yes_no("aneurysm or arteriovenous malformation")
    intracerebral_haemorrhage = yes_no("bleeding in the brain (intracerebral haemorrhage)")
    raised_intracranial_pressure = yes_no("raised intracranial pressure")
    raised_intraocular_pressure = yes_no("glaucoma or raised eye pressure")
    hepatic_impairment = choice("liver impairment", Severity.choices)
    pregnant = yes_no("pregnant")
    lactating = yes_no("breastfeeding")
    interstitial_cystitis = yes_no("interstitial or ulcerative cystitis")
    seizures = choice("seizures or epilepsy", Recency.choices)
    hyperthyroidism = choice("overactive thyroid", Thyroid.choices)
    other_history = models.TextField("other history", blank=True)

    # Vital signs, weight and height on the day
    systolic_bp = models.PositiveSmallIntegerField(
        "systolic blood pressure (mmHg)",
        null=True,
        blank=True,
        validators=in_range(50, 300, "Systolic", "mmHg"),
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        "diastolic blood pressure (mmHg)",
        null=True,
        blank=True,
        validators=in_range(20, 200, "Diastolic", "mmHg"),
    )
    heart_rate = models.PositiveSmallIntegerField(
        "heart rate (/min)", null=True, blank=True, validators=in_range(20, 250, "Heart rate", "per minute")
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=in_range(20, 400, "Weight", "kg", "Check the unit: kilograms, not pounds."),
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=in_range(100, 250, "Height", "cm"),
    )

    goals = models.TextField("goals and expectations, in the patient's words", blank=True)
    prior_treatments = models.TextField("treatments tried before", blank=True)
    medications_reported = models.TextField(
        "medications as the patient listed them", blank=True, help_text="Reconcile into the medication list."
    )

    reported_by_patient_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    decided_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a signed decision froze it."
    )

    objects = EvaluationQuerySet.as_manager()
    signed_field = "decided_at"
    frozen_message = (
        "This evaluation is the evidence of a signed eligibility decision and cannot be changed; "
        "start a re-evaluation."
    )
    undeletable_message = "This evaluation is the evidence of a signed eligibility decision."

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One evaluation in progress per course; the others are frozen under decisions.
            models.UniqueConstraint(
                fields=["course"], condition=models.Q(decided_at__isnull=True), name="one_open_evaluation"
            )
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.evaluated_on:%Y-%m-%d}"

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None

    def freeze_for_decision(self, at) -> None:
        """A decision was signed on this evaluation: from now on it is that decision's evidence.
        Called by `sign_decision` inside its transaction; a later decision on the same evaluation
        (a clearance arrived, nothing else changed) leaves the first time in place."""
        if self.decided_at is None:
            self.decided_at = at
            super().save(update_fields=["decided_at"])

    def reevaluate(self, *, by, request=None) -> "Evaluation":
        """Start a re-evaluation of the course: a new evaluation in progress, a copy of this frozen
        one with its diagnoses, medications and allergies, to bring up to date."""
        from kapcare.audit.trail import record

        if not self.is_decided:
            raise ValidationError("This evaluation is still in progress: change it directly.")
        if not self.course.is_open:
            raise ValidationError("The course is closed; there is nothing to re-evaluate.")
        skipped = {"id", "previous", "decided_at", "reported_by_patient_at", "reviewed_by", "reviewed_at"}
        values = {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.name not in skipped and f.attname not in {"created_at", "updated_at", "updated_by_id"}
        }
        with transaction.atomic():
            if Evaluation.objects.filter(course_id=self.course_id, decided_at__isnull=True).exists():
                raise ValidationError("A re-evaluation of this course is already in progress.")
            copy = Evaluation.objects.create(
                **values | {"evaluated_on": timezone.localdate(), "previous": self, "updated_by": by}
            )
            for rows in (self.diagnoses.all(), self.medications.all(), self.allergies.all()):
                for row in rows:
                    row.pk, row.evaluation_id = None, copy.pk
                    row.save()
            detail = {"re-evaluation of": self.pk}
            record(request, "create", copy, patient=self.patient_id, actor=by, detail=detail)
        return copy

    @property
    def awaiting_review(self) -> bool:
        """The patient reported history that no clinician has confirmed since."""
        return self.reported_by_patient_at is not None and (
            self.reviewed_at is None or self.reviewed_at < self.reported_by_patient_at
        )

    def clean(self):
        if self.last_suicide_attempt and self.last_suicide_attempt > (self.evaluated_on or date.today()):
            raise ValidationError(
                {"last_suicide_attempt": "The date of the attempt is after the evaluation."}
            )
        if self.last_suicide_attempt and self.suicide_attempt is False:
            raise ValidationError(
                {"suicide_attempt": "A date of a suicide attempt is given: answer yes, or clear the date."}
            )
        if self.systolic_bp and self.diastolic_bp and self.diastolic_bp >= self.systolic_bp:
            raise ValidationError({"diastolic_bp": "The diastolic pressure must be lower than the systolic."})


class EvaluationRow(models.Model):
    """A row of an evaluation (diagnosis, medication, allergy): frozen with its evaluation."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refuse_if_decided()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_if_decided()
        return super().delete(*args, **kwargs)

    def refuse_if_decided(self):
        if Evaluation._base_manager.filter(pk=self.evaluation_id, decided_at__isnull=False).exists():
            raise Frozen(Evaluation.frozen_message)


class Diagnosis(EvaluationRow):
    """A presenting problem as an ICD-10-CM code from the current code set."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField("ICD-10-CM code", max_length=10)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="diagnosis_once_per_evaluation")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def clean(self):
        try:
            self.code = icd10.billable(self.code)
        except icd10.UnknownCode as error:
            raise ValidationError({"code": str(error)}) from None
        self.description = icd10.describe(self.code)


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MCG = "ug", "microgram"
    G = "g", "g"
    ML = "mL", "mL"
    UNIT = "[iU]", "units"


class Medication(EvaluationRow):
    """A medication the patient takes now, with its dose; its class drives interaction rules."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=120)
    drug_class = models.CharField("class", max_length=20, choices=MedicationClass.choices)
    dose = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.001, "A dose must be more than zero.")],
    )
    unit = models.CharField(max_length=8, choices=DoseUnit.choices, blank=True, help_text="UCUM unit")
    frequency = models.CharField(max_length=60, blank=True, help_text="For example: twice a day")

    class Meta:
        ordering = ["pk"]
        constraints = [
            # A dose means nothing without its unit, and a unit nothing without a dose.
            models.CheckConstraint(
                condition=models.Q(dose__isnull=True, unit="")
                | (models.Q(dose__isnull=False) & ~models.Q(unit="")),
                name="medication_dose_has_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose or ''} {self.unit}".strip()

    def clean(self):
        if self.dose is not None and not self.unit:
            raise ValidationError({"unit": "Give the unit of the dose (for example mg)."})
        if self.unit and self.dose is None:
            raise ValidationError({"dose": "Give the dose for this unit, or clear the unit."})


class Allergy(EvaluationRow):
    """A substance the patient is allergic to, and what happens."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance
