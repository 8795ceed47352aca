"""Consent: the clinic's versioned consent documents and the patient's signatures on them.

A document is published once and never changed; a change is a new version, and a patient who
signed an older version is asked to sign again. A signature keeps the typed name, the time, the
address, the version and the SHA-256 of the exact text shown, with a PDF copy made at signing.
Signatures are frozen: nothing edits or deletes them.
"""

import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.audit.trail import client_address, record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.lib import clock
from kapcare.lib.pdf import html_to_pdf, sha256_text
from kapcare.lib.signed import Frozen, WrittenOnce  # noqa: F401 (Frozen re-exported)


class ConsentKind(models.TextChoices):
    KAP = "kap", "Informed consent for ketamine-assisted psychotherapy"
    AT_HOME = "at_home", "At-home sessions addendum"
    TELEHEALTH = "telehealth", "Consent to telehealth"
    PART2 = "part2", "Consent to disclose substance-use records (42 CFR Part 2)"


# When each document applies, in the patient's words.
WHEN_NEEDED = {
    ConsentKind.KAP: "Needed before your first dosing session.",
    ConsentKind.AT_HOME: "Only if your plan includes sessions at home.",
    ConsentKind.TELEHEALTH: "Needed if you meet your care team by video.",
    ConsentKind.PART2: "Your choice: your care does not depend on signing it.",
}


class ConsentDocumentQuerySet(ClinicScopedQuerySet):
    def current(self, clinic_id) -> dict[str, "ConsentDocument"]:
        """The newest version of each kind the clinic has published, by kind."""
        newest: dict[str, ConsentDocument] = {}
        for document in self.filter(clinic_id=clinic_id).order_by("kind", "version"):
            newest[document.kind] = document
        return {kind: newest[kind] for kind in ConsentKind.values if kind in newest}


class ConsentDocument(WrittenOnce):
    """One version of a consent form a clinic asks its patients to sign. Published, never edited."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_documents")
    kind = models.CharField(max_length=16, choices=ConsentKind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; a blank line starts a new paragraph.")
    sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ConsentDocumentQuerySet.as_manager()
    frozen_message = "A published consent document cannot be changed; publish a new version."
    undeletable_message = "A published consent document cannot be deleted."

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind", "version"], name="consent_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="consent_version_positive"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ConsentKind.values), name="consent_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, version {self.version}"

    def save(self, *args, **kwargs):
        if self.pk is None:
            self.body = self.body.replace("\r\n", "\n").strip()
            self.sha256 = sha256_text(self.shown_text)
        super().save(*args, **kwargs)

    @property
    def shown_text(self) -> str:
        """Exactly what the patient reads: the title, a blank line, the body."""
        return f"{self.title}\n\n{self.body}"

    @property
    def paragraphs(self) -> list[str]:
        return [part.strip() for part in re.split(r"\n\s*\n", self.body) if part.strip()]

    @property
    def when_needed(self) -> str:
        return WHEN_NEEDED[self.kind]

    @classmethod
    def publish(cls, clinic, kind: str, title: str, body: str, *, by=None, request=None):
        """The next version of this kind of document for the clinic."""
        with transaction.atomic():
            last = (
                cls.objects.select_for_update()
                .filter(clinic=clinic, kind=kind)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            document = cls.objects.create(
                clinic=clinic,
                kind=kind,
                version=(last or 0) + 1,
                title=title,
                body=body,
                published_by=by,
                published_at=clock.now(),
            )
            record(
                request,
                "create",
                document,
                clinic=clinic,
                actor=by,
                detail={"kind": kind, "version": document.version},
            )
        return document

    def sign(
        self,
        patient,
        *,
        typed_name: str,
        shown_version: int,
        shown_sha256: str,
        channel: str,
        request=None,
        actor=None,
        witnessed_by=None,
    ) -> "ConsentSignature":
        """The patient signs this version. Refused, with a message per field, if the version shown is
        not the current one, the text differs, the name does not match, or it is already signed."""
        if patient.clinic_id != self.clinic_id:
            raise ValidationError("This document belongs to another clinic.")
        with transaction.atomic():
            current = (
                ConsentDocument.objects.select_for_update()
                .filter(clinic_id=self.clinic_id, kind=self.kind)
                .order_by("-version")
                .first()
            )
            check_signable(self, current, patient, typed_name, shown_version, shown_sha256)
            signature = ConsentSignature(
                clinic_id=self.clinic_id,
                patient=patient,
                document=self,
                kind=self.kind,
                version=self.version,
                typed_name=" ".join(typed_name.split()),
                signed_at=clock.now(),
                address=client_address(request) if request is not None else None,
                text_sha256=self.sha256,
                channel=channel,
                witnessed_by=witnessed_by,
            )
            signature.pdf = signature.render_pdf()
            signature.pdf_sha256 = sha256_bytes(signature.pdf)
            signature.save()
            if self.kind == ConsentKind.PART2 and not patient.part2_consent:
                type(patient).objects.filter(pk=patient.pk).update(part2_consent=True)
                patient.part2_consent = True
            record(
                request,
                "sign",
                signature,
                patient=patient,
                clinic=self.clinic_id,
                actor=actor,
                detail={
                    "kind": self.kind,
                    "version": self.version,
                    "sha256": self.sha256,
                    "channel": channel,
                },
            )
        return signature


def sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def same_name(typed: str, legal: str) -> bool:
    return " ".join(typed.split()).casefold() == " ".join(legal.split()).casefold()


def check_signable(document, current, patient, typed_name, shown_version, shown_sha256) -> None:
    if current is None or current.pk != document.pk or shown_version != current.version:
        newest = current.version if current else document.version
        raise ValidationError(
            f"This document has changed: you were shown version {shown_version}, and version {newest} "
            "is now the one to sign. Please read the new version before signing."
        )
    if shown_sha256 != document.sha256:
        raise ValidationError(
            "The text you were shown is not the text of this version. Reload and read it again."
        )
    if not same_name(typed_name, patient.legal_name):
        raise ValidationError(
            {"typed_name": "The name does not match the record. Type the full legal name, first and last."}
        )
    if ConsentSignature.objects.filter(patient=patient, document=document, withdrawal__isnull=True).exists():
        raise ValidationError(f"Version {document.version} of this document is already signed.")


class Channel(models.TextChoices):
    PORTAL = "portal", "In the patient portal"
    CLINIC = "clinic", "In clinic"


class ConsentSignature(WrittenOnce):
    """A patient's signature on one version of a consent document, with a PDF copy. Frozen."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    kind = models.CharField(max_length=16, choices=ConsentKind.choices)
    version = models.PositiveIntegerField()
    typed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)
    text_sha256 = models.CharField("SHA-256 of the text shown", max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    witnessed_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kept with the signature so the copy and the signature are written in one transaction.
    pdf = models.BinaryField(editable=False)
    pdf_sha256 = models.CharField(max_length=64, editable=False)

    objects = ClinicScopedQuerySet.as_manager()
    frozen_message = "A signed consent cannot be changed."
    undeletable_message = "A signed consent cannot be deleted."

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="consent_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} signed {self.signed_at:%Y-%m-%d}"

    def render_pdf(self) -> bytes:
        context = {
            "document": self.document,
            "signature": self,
            "patient": self.patient,
            "clinic": self.document.clinic,
            "signed_local": timezone.localtime(self.signed_at, self.document.clinic.zone),
        }
        return html_to_pdf(render_to_string("patients/consent_pdf.html", context))

    @property
    def in_force(self) -> bool:
        return getattr(self, "withdrawal", None) is None

    def withdraw(self, *, channel: str, request=None, actor=None, recorded_by=None, note: str = ""):
        """The patient takes this consent back (in writing: the portal, or a letter staff record).
        Disclosures and care already given stand; nothing further relies on it."""
        with transaction.atomic():
            if ConsentWithdrawal.objects.filter(signature=self).exists():
                raise ValidationError("This consent has already been withdrawn.")
            withdrawal = ConsentWithdrawal.objects.create(
                clinic_id=self.clinic_id, signature=self, channel=channel, recorded_by=recorded_by, note=note
            )
            self.withdrawal = withdrawal
            if self.kind == ConsentKind.PART2:
                still = (
                    ConsentSignature.objects.filter(patient_id=self.patient_id, kind=ConsentKind.PART2)
                    .exclude(pk=self.pk)
                    .filter(withdrawal__isnull=True)
                    .exists()
                )
                if not still:
                    type(self.patient).objects.filter(pk=self.patient_id).update(part2_consent=False)
                    self.patient.part2_consent = False
            record(
                request,
                "update",
                withdrawal,
                patient=self.patient_id,
                clinic=self.clinic_id,
                actor=actor,
                detail={"withdrawn": self.kind, "version": self.version, "channel": channel},
            )
        return withdrawal


class ConsentWithdrawal(WrittenOnce):
    """A patient's withdrawal of a consent they signed: when, how it reached the clinic, who recorded it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    signature = models.OneToOneField(ConsentSignature, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(
        blank=True, help_text="How the withdrawal reached the clinic, for example a letter."
    )

    objects = ClinicScopedQuerySet.as_manager()
    frozen_message = "A recorded withdrawal cannot be changed."
    undeletable_message = "A recorded withdrawal cannot be deleted."

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="withdrawal_channel_valid"
            )
        ]

    def __str__(self) -> str:
        return f"withdrawn {self.withdrawn_at:%Y-%m-%d}"


def consent_status(patient) -> list[dict]:
    """For each document the clinic has published: its current version and what the patient signed.

    `due` is true when the current version is not signed, including when an older one was.
    """
    current = ConsentDocument.objects.defer("body").current(patient.clinic_id)
    signed = {}
    signatures = ConsentSignature.objects.filter(patient=patient).select_related("withdrawal").defer("pdf")
    for signature in signatures.order_by("signed_at"):
        signed[signature.kind] = signature
    rows = []
    for kind, document in current.items():
        last = signed.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": ConsentKind(kind).label,
                "document": document,
                "signature": last,
                "due": last is None or last.version != document.version or not last.in_force,
                "withdrawn": last is not None and not last.in_force,
                "outdated": last is not None and last.version != document.version,
                "when_needed": WHEN_NEEDED[kind],
            }
        )
    return rows


def kap_consent_missing(patient) -> str | None:
    """Why treatment may not start (or resume) for want of the patient's signature on the current
    informed consent for KAP, or None when it is signed and in force. Informed consent comes
    before any dosing (design.md, the preparation phase)."""
    title = ConsentKind.KAP.label.lower()
    row = next((r for r in consent_status(patient) if r["kind"] == ConsentKind.KAP), None)
    if row is None:
        return f"The clinic has not published its {title}; publish it, then ask the patient to sign it."
    version = row["document"].version
    if row["signature"] is None:
        return f"{patient.name} has not signed the {title} (version {version})."
    if row["withdrawn"]:
        return f"{patient.name} withdrew the {title}; version {version} must be signed again."
    if row["outdated"]:
        return (
            f"{patient.name} signed version {row['signature'].version} of the {title}; "
            f"version {version} is now current and not yet signed."
        )
    return None


TEMPLATES_DIR = Path(__file__).with_name("data") / "consents"


def consent_templates() -> list[tuple[str, str, str]]:
    """The shipped templates as (kind, title, body): a starting point each clinic must review."""
    templates = []
    for kind in ConsentKind.values:
        title, _, body = (TEMPLATES_DIR / f"{kind}.txt").read_text().partition("\n")
        templates.append((kind, title.strip(), body.strip()))
    return templates
