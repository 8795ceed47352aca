"""Signed records of the preparation phase: the eligibility decision, the treatment plan, and the
addenda that correct them. Once signed they are frozen; an addendum keeps the original."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet, Protocol
from kapcare.clinics.protocol import Level
from kapcare.lib import spravato
from kapcare.lib.signed import Frozen, RefusesBulkChange, WrittenOnce  # noqa: F401 (Frozen re-exported)


class SignedQuerySet(RefusesBulkChange, ClinicScopedQuerySet):
    pass


class SignedRecord(WrittenOnce):
    """Shared shape: who signed, when, under which protocol version; never saved twice."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.PositiveIntegerField()
    signed_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    objects = SignedQuerySet.as_manager()
    frozen_message = "This {name} is signed and cannot be changed; add an addendum."
    undeletable_message = "This {name} is signed and cannot be deleted."

    class Meta:
        abstract = True
        ordering = ["-signed_at", "-pk"]


class Outcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NEEDS_CLEARANCE = "needs_clearance", "Needs medical clearance"
    INELIGIBLE = "ineligible", "Ineligible"


class EligibilityDecision(SignedRecord):
    """The prescriber's signed decision whether ketamine is safe and suitable, on the findings of
    the protocol's screening at the time. Overriding an exclusion needs a written reason."""

    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField()
    findings = models.JSONField(default=list, help_text="The screening findings when signed.")
    overrides_exclusion = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)

    class Meta(SignedRecord.Meta):
        verbose_name = "eligibility decision"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="decision_outcome_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(overrides_exclusion=False) | ~models.Q(override_reason=""),
                name="decision_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (signed {self.signed_at:%Y-%m-%d})"

    @property
    def exclusions(self) -> list[dict]:
        return [f for f in self.findings if f["level"] == Level.EXCLUSION]


class Route(models.TextChoices):
    LOZENGE = "lozenge", "Lozenge or sublingual"
    INTRANASAL = "intranasal", "Intranasal"
    IV = "iv", "Intravenous (IV)"
    IM = "im", "Intramuscular (IM)"


class PlanMedication(models.TextChoices):
    """What the plan gives. Racemic ketamine is dosed by the clinic's protocol, by any route, with
    an IV-equivalent; esketamine (Spravato) is another molecule, dosed by its label in 28 mg nasal
    devices (reference/clinical.md §3, §4.4). The values are those of a dosing session's medication."""

    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"


class PlanDoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MG_PER_KG = "mg/kg", "mg/kg"


class MeasuresSchedule(models.TextChoices):
    """During the course; the measures engine also asks 1, 3 and 6 months after it. Only the
    schedules the measures engine keeps are offered, so a plan never promises one nobody runs."""

    EACH_SESSION = "each_session", "Before each dosing session"
    WEEKLY = "weekly", "Weekly"


class TreatmentPlan(SignedRecord):
    """The signed plan for the administration and integration phases: what is treated and
    measured, how ketamine is given and how much, how often, and the integration that follows."""

    target_conditions = models.JSONField(help_text="ICD-10-CM codes from the evaluation.")
    target_measures = models.JSONField(help_text="Instrument names, for example phq-9.")
    measures_schedule = models.CharField(max_length=16, choices=MeasuresSchedule.choices)
    medication = models.CharField(
        max_length=12, choices=PlanMedication.choices, default=PlanMedication.KETAMINE
    )
    route = models.CharField(max_length=12, choices=Route.choices)
    dose_amount = models.DecimalField(max_digits=7, decimal_places=2)
    dose_unit = models.CharField(max_length=6, choices=PlanDoseUnit.choices)
    # Racemic ketamine's dose is checked against the weight; esketamine's is not weight-based.
    weight_kg = models.DecimalField(
        "today's weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1)
    # Racemic ketamine's only: an esketamine plan has none (why: signing.EsketamineDose).
    bioavailability = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    iv_equivalent_mg = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    iv_equivalent_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    dosing_sessions = models.PositiveSmallIntegerField()
    cadence_days = models.PositiveSmallIntegerField("days between dosing sessions")
    integration_sessions_after_each = models.PositiveSmallIntegerField()
    integration_within_hours = models.PositiveSmallIntegerField()
    at_home_allowed = models.BooleanField(default=False)
    at_home_after_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta(SignedRecord.Meta):
        verbose_name = "treatment plan"
        constraints = [
            models.UniqueConstraint(fields=["course"], name="one_plan_per_course"),
            models.CheckConstraint(condition=models.Q(route__in=Route.values), name="plan_route_valid"),
            models.CheckConstraint(
                condition=models.Q(medication__in=PlanMedication.values), name="plan_medication_valid"
            ),
            # Spravato's label and REMS (reference/clinical.md §3): intranasal, in mg, never at home.
            models.CheckConstraint(
                condition=models.Q(medication=PlanMedication.KETAMINE)
                | models.Q(route=spravato.ROUTE, dose_unit=PlanDoseUnit.MG, at_home_allowed=False),
                name="plan_esketamine_by_its_label",
            ),
            # The IV-equivalent is racemic ketamine's; an esketamine plan records none.
            models.CheckConstraint(
                condition=models.Q(
                    medication=PlanMedication.KETAMINE,
                    bioavailability__isnull=False,
                    iv_equivalent_mg__isnull=False,
                    iv_equivalent_mg_per_kg__isnull=False,
                )
                | models.Q(
                    medication=PlanMedication.ESKETAMINE,
                    bioavailability__isnull=True,
                    iv_equivalent_mg__isnull=True,
                    iv_equivalent_mg_per_kg__isnull=True,
                ),
                name="plan_iv_equivalent_for_racemic_ketamine_only",
            ),
            models.CheckConstraint(
                condition=models.Q(medication=PlanMedication.ESKETAMINE) | models.Q(weight_kg__isnull=False),
                name="plan_racemic_ketamine_has_weight",
            ),
            models.CheckConstraint(condition=models.Q(dosing_sessions__gte=1), name="plan_has_sessions"),
            models.CheckConstraint(
                condition=models.Q(at_home_allowed=False) | models.Q(at_home_after_sessions__isnull=False),
                name="plan_at_home_says_when",
            ),
        ]

    def __str__(self) -> str:
        if self.is_esketamine:
            return f"{self.get_medication_display()} {self.dose_mg.normalize():f} mg × {self.dosing_sessions}"
        return f"{self.get_route_display()} {self.dose_mg} mg × {self.dosing_sessions}"

    @property
    def is_esketamine(self) -> bool:
        return self.medication == PlanMedication.ESKETAMINE

    @property
    def devices(self) -> int | None:
        """For esketamine, the number of 28 mg nasal devices per session."""
        return spravato.devices(self.dose_mg) if self.is_esketamine else None

    @property
    def dose_label(self) -> str:
        """The medication, route and dose in words, the same on every page that shows the plan.
        Esketamine is said in devices and mg: that is how it is dosed and given."""
        if self.is_esketamine:
            count = self.devices
            devices = (
                f"{count} device{'s' if count != 1 else ''} of {spravato.DEVICE_MG} mg"
                if count
                else f"not a whole number of {spravato.DEVICE_MG} mg devices"
            )
            return f"{self.get_medication_display()}, intranasal, {self.dose_mg.normalize():f} mg ({devices})"
        per_kg = (
            f" ({self.dose_amount} mg/kg × {self.weight_kg} kg)"
            if self.dose_unit == PlanDoseUnit.MG_PER_KG
            else ""
        )
        return f"{self.get_medication_display()}, {self.get_route_display()}, {self.dose_mg} mg{per_kg}"


def esketamine_refusals(route: str, dose_unit: str, dose_amount, at_home_allowed: bool) -> dict[str, str]:
    """Why a plan for esketamine (Spravato) cannot be signed so, by form field; empty if it can.
    These are the label's and the REMS's rules, not the clinic's protocol (reference/clinical.md §3)."""
    refusals = {}
    label_doses = " or ".join(str(mg) for mg in spravato.LABEL_DOSES_MG)
    if route and route != spravato.ROUTE:
        label = Route(route).label if route in Route.values else repr(route)
        refusals["route"] = (
            f"Esketamine (Spravato) is a nasal spray; it cannot be planned as {label} "
            f"({spravato.SOURCE}). Choose Intranasal, or plan racemic ketamine."
        )
    if dose_unit and dose_unit != PlanDoseUnit.MG:
        refusals["dose_unit"] = (
            f"An esketamine dose is given in mg, by devices of {spravato.DEVICE_MG} mg each, not by "
            f"weight ({spravato.SOURCE}): choose mg."
        )
    elif dose_unit and dose_amount is not None and spravato.devices(dose_amount) is None:
        refusals["dose_amount"] = (
            f"An esketamine dose is a whole number of {spravato.DEVICE_MG} mg devices, {label_doses} mg "
            f"per session on the label ({spravato.SOURCE}); {Decimal(dose_amount).normalize():f} mg is not."
        )
    elif dose_unit and spravato.above_label(dose_amount):
        refusals["dose_amount"] = spravato.above_label(dose_amount)
    if at_home_allowed:
        refusals["at_home_allowed"] = (
            f"{spravato.NOT_AT_HOME} ({spravato.SOURCE}). Leave at-home sessions off."
        )
    return refusals


class Addendum(WrittenOnce):
    """A signed correction or addition to a signed decision or plan; the original stays as it was."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(
        EligibilityDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    text = models.TextField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = SignedQuerySet.as_manager()
    frozen_message = "An addendum is signed and cannot be changed; add another."
    undeletable_message = "An addendum is signed and cannot be deleted."

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(decision__isnull=False) & models.Q(plan__isnull=True))
                | (models.Q(decision__isnull=True) & models.Q(plan__isnull=False)),
                name="addendum_amends_one_record",
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="addendum_has_text"),
        ]

    def __str__(self) -> str:
        return f"Addendum of {self.at:%Y-%m-%d}"

    @classmethod
    def add(cls, original, text: str, *, by, request=None) -> "Addendum":
        text = text.strip()
        if not text:
            raise ValidationError({"text": "Write the correction or addition."})
        target = {"decision": original} if isinstance(original, EligibilityDecision) else {"plan": original}
        with transaction.atomic():
            addendum = cls.objects.create(
                clinic_id=original.clinic_id, patient_id=original.patient_id, text=text, by=by, **target
            )
            record(
                request,
                "sign",
                addendum,
                patient=original.patient_id,
                actor=by,
                detail={"amends": type(original).__name__, "id": original.pk},
            )
        return addendum
