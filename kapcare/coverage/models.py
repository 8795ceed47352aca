"""Insurance: the clinic's payer directory, each patient's coverage, and eligibility checks (270/271)."""

import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.coverage.x12 import BEHAVIORAL_HEALTH_SERVICE_TYPES
from kapcare.coverage.x12.codes import SERVICE_TYPES
from kapcare.lib.npi import validate_npi


class PlanType(models.TextChoices):
    PPO = "ppo", "PPO"
    HMO = "hmo", "HMO"
    EPO = "epo", "EPO"
    POS = "pos", "POS"
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"


SERVICE_TYPE_CHOICES = [(code, f"{code}: {SERVICE_TYPES[code]}") for code in BEHAVIORAL_HEALTH_SERVICE_TYPES]


class CoverageSettings(models.Model):
    """How a clinic asks payers about coverage: the billing NPI and name a 270 carries, and when a
    result is too old to trust."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="coverage_settings")
    billing_npi = models.CharField(
        "billing NPI",
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text="The clinic's organisation (type 2) NPI, sent in every eligibility inquiry.",
    )
    billing_name = models.CharField(
        "name on inquiries",
        max_length=60,
        blank=True,
        help_text="As enrolled with the payers; the clinic's name if blank.",
    )
    recheck_after_days = models.PositiveSmallIntegerField(
        "re-check after (days)",
        default=30,
        validators=[MinValueValidator(1)],
        help_text="A result older than this shows a warning on the chart. A month is a common choice.",
    )
    service_type = models.CharField(
        "service type asked about",
        max_length=2,
        choices=SERVICE_TYPE_CHOICES,
        default="MH",
        help_text="One per inquiry; payers answer some service types better than others.",
    )

    class Meta:
        verbose_name_plural = "coverage settings"

    def __str__(self) -> str:
        return f"Coverage settings for {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic) -> "CoverageSettings":
        found, _ = cls.objects.get_or_create(clinic=clinic)
        return found

    @property
    def provider_name(self) -> str:
        return (self.billing_name or self.clinic.name)[:60]


class Payer(models.Model):
    """An insurance company the clinic deals with, and whether the clinic is in its network."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="payers")
    name = models.CharField(max_length=120)
    payer_id = models.CharField(
        "payer ID",
        max_length=80,
        blank=True,
        help_text="The ID the clearinghouse uses for electronic transactions (270/271, claims).",
    )
    in_network = models.BooleanField("the clinic is in network", default=False)
    network_plan_types = models.JSONField(
        "in network for", default=list, blank=True, help_text="The plan types the clinic's contract covers."
    )
    carve_out = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="behavioural-health carve-out",
        help_text="The company that manages this payer's mental-health benefits, if another one.",
    )
    notes = models.TextField(blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="payer_name_unique_per_clinic"),
            models.UniqueConstraint(
                fields=["clinic", "payer_id"],
                condition=~models.Q(payer_id=""),
                name="payer_id_unique_per_clinic",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def in_network_for(self, plan_type: str) -> bool:
        return self.in_network and plan_type in self.network_plan_types

    def plan_type_labels(self) -> list[str]:
        return [PlanType(value).label for value in self.network_plan_types if value in PlanType.values]


class Relationship(models.TextChoices):
    """The patient's relationship to the subscriber, with the X12 INS02 code it sends."""

    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse or partner"
    CHILD = "child", "Child"
    OTHER = "other", "Other adult dependant"


X12_RELATIONSHIPS = {Relationship.SPOUSE: "01", Relationship.CHILD: "19", Relationship.OTHER: "34"}


class Priority(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


def card_path(coverage, filename: str) -> str:
    # A random name: the file system never carries the patient's name or member ID.
    suffix = Path(filename).suffix.lower()[:5]
    return f"coverage/cards/{coverage.clinic_id}/{secrets.token_hex(16)}{suffix}"


class CoverageQuerySet(ClinicScopedQuerySet):
    def current(self):
        return self.filter(is_active=True)


class Coverage(models.Model):
    """A patient's health insurance with one payer, as printed on their card."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="coverages")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    plan_type = models.CharField(max_length=10, choices=PlanType.choices)
    member_id = models.CharField("member ID", max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.PRIMARY)
    relationship = models.CharField(
        "patient's relationship to the subscriber",
        max_length=8,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    subscriber_first_name = models.CharField(max_length=35, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    card_front = models.FileField(upload_to=card_path, blank=True)
    card_back = models.FileField(upload_to=card_path, blank=True)
    is_active = models.BooleanField("current", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now, help_text="Last change to what a check asks.")
    # An automatic check that could not be completed (the clearinghouse down, the payer not set up
    # for electronic checks): shown on the chart until a later check completes.
    failed_check_at = models.DateTimeField(null=True, blank=True)
    failed_check_reason = models.TextField(blank=True)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["-is_active", "priority", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "priority"],
                condition=models.Q(is_active=True),
                name="one_current_coverage_per_priority",
            ),
            models.CheckConstraint(
                condition=models.Q(relationship="self")
                | (~models.Q(subscriber_last_name="") & models.Q(subscriber_date_of_birth__isnull=False)),
                name="dependent_coverage_names_subscriber",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_to__gte=F("effective_from")),
                name="coverage_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer.name} {self.get_plan_type_display()} ({self.get_priority_display().lower()})"

    @property
    def in_network(self) -> bool:
        return self.payer.in_network_for(self.plan_type)

    @property
    def member_id_masked(self) -> str:
        return "•••" + self.member_id[-4:] if len(self.member_id) > 4 else self.member_id

    @property
    def is_dependent(self) -> bool:
        return self.relationship != Relationship.SELF


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Not active"
    REJECTED = "rejected", "Payer could not answer"
    UNKNOWN = "unknown", "Not stated"


class EligibilityCheckQuerySet(ClinicScopedQuerySet):
    def latest_first(self):
        return self.order_by("-ran_at", "-pk")


class EligibilityCheck(models.Model):
    """One 270 inquiry and the payer's 271 answer: kept whole, with what it means for
    behavioural health. Stored only once the answer has been read in full."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="eligibility_checks")
    coverage = models.ForeignKey(
        Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A lead's check: kept by number so the coverage app depends on nothing in the lead inbox.
    lead_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payer = models.ForeignKey(Payer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payer_name = models.CharField(max_length=120)
    payer_code = models.CharField("payer ID", max_length=80)
    service_type = models.CharField(max_length=2, choices=SERVICE_TYPE_CHOICES)
    service_date = models.DateField()
    control_number = models.PositiveIntegerField()
    trace_number = models.CharField(max_length=50)
    clearinghouse = models.CharField(max_length=40)
    request_270 = models.TextField()
    response_271 = models.TextField()
    result = models.JSONField(help_text="The parsed 271 and its behavioural-health summary.")
    status = models.CharField(max_length=10, choices=ServiceStatus.choices)
    in_network = models.BooleanField(null=True, help_text="From the payer directory when the check ran.")
    ran_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, null=True, related_name="+")
    ran_at = models.DateTimeField(default=timezone.now)
    automatic = models.BooleanField(default=False, help_text="Run in the background after a change.")

    objects = EligibilityCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-ran_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "control_number"], name="check_control_number_unique"),
            models.CheckConstraint(
                condition=models.Q(coverage__isnull=False) | models.Q(lead_id__isnull=False),
                name="check_is_for_a_coverage_or_a_lead",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ServiceStatus.values), name="check_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["coverage", "-ran_at"], name="check_latest")]

    def __str__(self) -> str:
        return f"Eligibility check #{self.control_number} ({self.get_status_display().lower()})"

    @property
    def summary(self) -> dict:
        return self.result.get("summary", {})

    @property
    def lines(self) -> list[str]:
        return self.summary.get("lines", [])

    def is_older_than(self, days: int, now=None) -> bool:
        return (now or timezone.now()) - self.ran_at > timedelta(days=days)


class ControlNumber(models.Model):
    """The last X12 control number a clinic used: each inquiry takes the next, never reused."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"control numbers for {self.clinic_id}: last {self.last}"

    @classmethod
    def next_for(cls, clinic_id: int) -> int:
        """Take the next number in its own transaction, so a failed check never hands it out twice."""
        with transaction.atomic():
            row, _ = cls.objects.select_for_update().get_or_create(clinic_id=clinic_id)
            row.last = row.last % 999_999_999 + 1
            row.save(update_fields=["last"])
        return row.last


def card_limit() -> int:
    return settings.COVERAGE_CARD_MAX_BYTES
