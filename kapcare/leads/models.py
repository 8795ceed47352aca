"""Leads: every question a prospective patient asks the clinic, until it becomes a patient or is closed.

A lead holds health information (what someone is struggling with, their insurance, their answers to
a self-screen), so it belongs to a clinic, is read through `visible_to`, and every read and write is
audited.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.leads.storage import private_storage
from kapcare.patients.models import Condition


class LeadSettings(models.Model):
    """How a clinic works its inbox: the response-time target and where texts arrive."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="lead_settings")
    response_target_hours = models.PositiveSmallIntegerField(
        "response-time target (hours)",
        default=24,
        help_text="A new lead older than this shows as overdue in the inbox.",
    )
    sms_number = PhoneNumberField(
        "number for texts",
        blank=True,
        help_text="The clinic's texting number at the SMS provider; inbound texts to it become leads.",
    )
    notify_staff = models.BooleanField(
        "email staff about new leads",
        default=True,
        help_text="An email with only a link (no name, no message) to everyone who works the inbox.",
    )

    class Meta:
        verbose_name_plural = "lead settings"

    def __str__(self) -> str:
        return f"Lead settings for {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic) -> "LeadSettings":
        settings, _ = cls.objects.get_or_create(clinic=clinic)
        return settings


class Kind(models.TextChoices):
    MESSAGE = "message", "Message"
    TEXT = "text", "Text"
    COVERAGE = "coverage", "Coverage verification"
    GUIDE = "guide", "Free guide"
    SELF_SCREEN = "self_screen", "Self-screen"
    CALL = "call", "Call"


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    CONVERTED = "converted", "Converted"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.SCHEDULED)


class CloseReason(models.TextChoices):
    SPAM = "spam", "Spam"
    DUPLICATE = "duplicate", "Duplicate"
    NOT_SUITABLE = "not_suitable", "Not suitable"
    NO_RESPONSE = "no_response", "No response"
    DECLINED = "declined", "Chose not to go ahead"
    OTHER = "other", "Other"


class ContactMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"


class LeadError(Exception):
    """A lead cannot do what was asked; the message says why, for staff."""


class LeadQuerySet(ClinicScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Lead(models.Model):
    """A person who asked the clinic something, and everything they told us, until converted or closed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="leads")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    preferred_contact = models.CharField(max_length=8, choices=ContactMethod.choices, blank=True)
    preferred_time = models.CharField("best time to reach", max_length=100, blank=True)
    condition = models.CharField(
        "looking for help with", max_length=20, choices=Condition.choices, blank=True
    )
    date_of_birth = models.DateField(null=True, blank=True)
    text_consent_at = models.DateTimeField(
        "agreed to texts", null=True, blank=True, help_text="When the person agreed to be texted."
    )
    text_consent_source = models.CharField(max_length=60, blank=True)
    assignee = models.ForeignKey(
        "clinics.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_leads"
    )
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="leads"
    )
    details = models.JSONField(default=dict, blank=True, help_text="What a form asked beyond the basics.")
    address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="lead_status_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="lead_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="converted") | models.Q(patient__isnull=False),
                name="converted_lead_has_patient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(close_reason=""),
                name="closed_lead_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "-last_activity_at"], name="lead_inbox"),
            models.Index(fields=["clinic", "phone"], name="lead_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} lead #{self.pk}"

    @property
    def display_name(self) -> str:
        return self.name or (self.phone.as_national if self.phone else "") or self.email or f"Lead #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def age(self, now=None) -> timedelta:
        return (now or timezone.now()) - self.created_at

    def is_overdue(self, target_hours: int, now=None) -> bool:
        """New and unanswered for longer than the clinic's response-time target."""
        return self.status == Status.NEW and self.age(now) > timedelta(hours=target_hours)

    def can_text(self) -> bool:
        return (
            bool(self.phone)
            and self.text_consent_at is not None
            and not SmsOptOut.is_opted_out(self.clinic_id, self.phone)
        )

    # Actions on one lead: each checks, changes, and audits in one transaction.
    def assign(self, assignee, *, by, request=None):
        with transaction.atomic():
            self.assignee = assignee
            self.last_activity_at = timezone.now()
            self.save(update_fields=["assignee", "last_activity_at"])
            record(request, "update", self, actor=by, detail={"assignee": getattr(assignee, "pk", None)})

    def set_status(self, status: str, *, by, request=None, reason: str = ""):
        if status not in (Status.NEW, Status.CONTACTED, Status.SCHEDULED, Status.CLOSED):
            raise LeadError("A lead becomes converted only by converting it to a patient.")
        if self.status in (Status.CONVERTED,):
            raise LeadError("This lead is already a patient; it cannot change status.")
        if status == Status.CLOSED and reason not in CloseReason.values:
            raise LeadError("Say why the lead is closed.")
        with transaction.atomic():
            before = self.status
            self.status = status
            self.close_reason = reason if status == Status.CLOSED else ""
            self.last_activity_at = timezone.now()
            self.save(update_fields=["status", "close_reason", "last_activity_at"])
            record(
                request,
                "transition",
                self,
                actor=by,
                detail={"from": before, "to": status, "reason": self.close_reason},
            )

    def add_note(self, text: str, *, by, request=None) -> "LeadMessage":
        text = text.strip()
        if not text:
            raise LeadError("Write the note first.")
        with transaction.atomic():
            note = self.messages.create(channel=Channel.NOTE, direction=Direction.INTERNAL, body=text, by=by)
            self.touch()
            record(request, "create", note, clinic=self.clinic_id, actor=by, detail={"lead": self.pk})
        return note

    def touch(self, *, responded: bool = False):
        now = timezone.now()
        self.last_activity_at = now
        fields = ["last_activity_at"]
        if responded and self.first_response_at is None:
            self.first_response_at = now
            fields.append("first_response_at")
        if responded and self.status == Status.NEW:
            self.status = Status.CONTACTED
            fields.append("status")
        self.save(update_fields=fields)


class Channel(models.TextChoices):
    WEB = "web", "Website"
    EMAIL = "email", "Email"
    SMS = "sms", "Text"
    CALL = "call", "Call"
    NOTE = "note", "Staff note"


class Direction(models.TextChoices):
    INBOUND = "in", "From them"
    OUTBOUND = "out", "To them"
    INTERNAL = "internal", "Staff only"


class LeadMessageQuerySet(ClinicScopedQuerySet):
    clinic_field = "lead__clinic_id"


class LeadMessage(models.Model):
    """One entry in a lead's thread: what they wrote, what we answered, a call, or a staff note."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    body = models.TextField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    provider_id = models.CharField(max_length=64, blank=True)

    objects = LeadMessageQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display().lower()}"


class Relationship(models.TextChoices):
    SELF = "self", "I am the subscriber"
    SPOUSE = "spouse", "Spouse or partner"
    CHILD = "child", "Child"
    OTHER = "other", "Other dependant"


class CoverageRequest(models.Model):
    """What a visitor told us to verify their insurance, kept as fields for the eligibility check."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="coverage")
    payer_name = models.CharField("insurance company", max_length=200)
    payer_ref = models.CharField(
        max_length=64, blank=True, help_text="The clinic's payer it was chosen from, if any."
    )
    member_id = models.CharField("member ID", max_length=80)
    group_number = models.CharField(max_length=80, blank=True)
    subscriber_name = models.CharField(max_length=200)
    subscriber_date_of_birth = models.DateField()
    relationship = models.CharField(max_length=8, choices=Relationship.choices)
    card_front = models.FileField(upload_to="leads/cards/", storage=private_storage, blank=True)
    card_back = models.FileField(upload_to="leads/cards/", storage=private_storage, blank=True)

    def __str__(self) -> str:
        return f"Coverage request for lead #{self.lead_id}"

    def clean(self):
        if self.subscriber_date_of_birth and self.subscriber_date_of_birth > timezone.localdate():
            raise ValidationError({"subscriber_date_of_birth": "The date of birth is in the future."})


class SmsOptOut(models.Model):
    """A phone number that texted STOP: the clinic sends it nothing more until it texts START."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    phone = PhoneNumberField()
    at = models.DateTimeField(default=timezone.now)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "phone"], name="one_opt_out_per_number")]

    def __str__(self) -> str:
        return f"{self.phone} opted out"

    @classmethod
    def is_opted_out(cls, clinic_id, phone) -> bool:
        return cls.objects.filter(clinic_id=clinic_id, phone=phone).exists()


def reply(lead: Lead, channel: str, body: str, *, by, request=None, subject: str = "") -> LeadMessage:
    """Answer a lead by email or text through the messaging adapters, and keep the answer in its thread."""
    from kapcare.lib import messaging

    body = body.strip()
    if not body:
        raise LeadError("Write the reply first.")
    if channel == Channel.EMAIL:
        if not lead.email:
            raise LeadError("This lead gave no email address.")
        messaging.send_email(lead.email, subject or f"Your enquiry to {lead.clinic.name}", body)
        provider_id = ""
    elif channel == Channel.SMS:
        if not lead.phone:
            raise LeadError("This lead gave no phone number.")
        if SmsOptOut.is_opted_out(lead.clinic_id, lead.phone):
            raise LeadError("This number texted STOP; the clinic may not text it until it texts START.")
        if lead.text_consent_at is None:
            raise LeadError("This person has not agreed to texts; reply by email or call.")
        try:
            provider_id = messaging.send_sms(str(lead.phone), body).provider_id
        except messaging.SMSError as error:
            raise LeadError(f"The text was not sent: {error}") from error
    else:
        raise LeadError("Reply by email or text.")
    with transaction.atomic():
        message = lead.messages.create(
            channel=channel, direction=Direction.OUTBOUND, body=body, by=by, provider_id=provider_id
        )
        lead.touch(responded=True)
        record(request, "create", message, clinic=lead.clinic_id, actor=by, detail={"lead": lead.pk})
    return message
