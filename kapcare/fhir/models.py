"""What the FHIR API keeps of its own: client tokens, resource versions and bulk export jobs.

The clinical records stay in their apps' models; this app only maps them to FHIR. The version
table holds each version of a resource as the API served or took it (see versions.py).
"""

import hashlib
import secrets
import uuid

from django.db import models
from django.utils import timezone

from kapcare.clinics.models import Clinic, ClinicScopedQuerySet

TOKEN_PREFIX = "kap_"


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: nobody can guess their way back.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(ClinicScopedQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A credential another system uses to call the FHIR API for one clinic, within its scopes.

    Only a hash of the secret is stored; the secret is shown once, when the token is issued.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="The system that uses it, for example 'registry feed'.")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it in lists.")
    scopes = models.CharField(max_length=500, help_text="SMART scopes, separated by spaces.")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The patient that patient/ scopes are about.",
    )
    created_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def audit_actor(self) -> str:
        return f"api-token:{self.pk} {self.name}"[:254]

    @classmethod
    def issue(cls, *, clinic, scopes: str, name: str, created_by=None, patient=None):
        """A new token and its secret. The caller checks the scopes (scopes.parse_scopes) first."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            clinic=clinic,
            name=name,
            token_hash=hash_token(secret),
            prefix=secret[:12],
            scopes=" ".join(scopes.split()),
            patient=patient,
            created_by=created_by,
        )
        return token, secret

    def revoke(self, *, by=None) -> None:
        if self.revoked_at is None:
            self.revoked_at, self.revoked_by = timezone.now(), by
            ApiToken.objects.filter(pk=self.pk).update(revoked_at=self.revoked_at, revoked_by=by)


class ResourceVersion(models.Model):
    """One version of one FHIR resource, as the API served or took it: what vread and history show."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    resource = models.JSONField()
    at = models.DateTimeField()
    source = models.CharField(
        max_length=8,
        help_text="api: written through the API; app: a change made in kapcare, seen or recorded.",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_id", "version"], name="fhir_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="fhir_version_positive"),
        ]
        indexes = [models.Index(fields=["clinic", "resource_type", "-at"], name="fhir_version_recent")]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExportJob(models.Model):
    """One bulk data export ($export): what was asked for, how far it got, and the files it wrote."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    level = models.CharField(max_length=8, help_text="system, patient or group")
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    output = models.JSONField(default=list, help_text="[{type, file, count}]")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=["system", "patient", "group"]), name="fhir_export_level_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} export {self.id} ({self.status})"
