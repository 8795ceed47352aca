"""Sign-in links sent to patients, and failed sign-in attempts for the lockout."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapcare.clinics.models import Clinic


class LinkChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class SignInLink(models.Model):
    """A link that signs a patient into the portal: sent once, short-lived, usable once.

    The link itself carries only this row's id, signed with the site's secret key; the row says
    whether it has been used and when it expires.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=LinkChannel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "created_at"], name="portal_link_patient")]

    def __str__(self) -> str:
        return f"sign-in link {self.pk} ({self.channel})"

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = self.created_at + timedelta(minutes=settings.PORTAL_LINK_MINUTES)
        super().save(*args, **kwargs)


class SignInFailure(models.Model):
    """A sign-in attempt that named a patient's email or number with the wrong date of birth."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["patient", "at"], name="portal_failure_patient")]

    def __str__(self) -> str:
        return f"failed portal sign-in at {self.at}"
