"""Clinics, their sites and rooms, staff users and their role in each clinic."""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from kapcare.clinics.access import clinic_ids_for
from kapcare.clinics.roles import Role
from kapcare.lib.npi import validate_npi

TIME_ZONES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone (for example America/New_York).")


class ClinicScopedQuerySet(models.QuerySet):
    """Rows that belong to a clinic: every query for them goes through `visible_to`."""

    clinic_field = "clinic_id"

    def visible_to(self, user):
        return self.filter(**{f"{self.clinic_field}__in": clinic_ids_for(user)})


class RoomQuerySet(ClinicScopedQuerySet):
    clinic_field = "site__clinic_id"


class Clinic(models.Model):
    """A clinic organisation: the owner of every patient record and the unit of tenancy."""

    slug = models.SlugField("short name", unique=True, help_text="Used on the command line.")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    is_demo = models.BooleanField(default=False, help_text="Synthetic data only.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Site(models.Model):
    """One location of a clinic, with its own address, rooms and time zone."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="site_name_unique_per_clinic")]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A room at a site where dosing or therapy sessions happen."""

    class Kind(models.TextChoices):
        DOSING = "dosing", "Dosing room"
        THERAPY = "therapy", "Therapy room"
        EXAM = "exam", "Exam room"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DOSING)
    is_active = models.BooleanField(default=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="room_name_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.name}: {self.name}"


class UserManager(BaseUserManager):
    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A staff user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff who signs in with email, password and a one-time code."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    credentials = models.CharField(max_length=60, blank=True, help_text="For example MD, NP, LCSW, RN.")
    npi = models.CharField(
        "NPI",
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text="The clinician's individual (type 1) NPI, from NPPES. It identifies them to other systems.",
    )
    alert_phone = models.CharField(
        "mobile number for urgent alerts",
        max_length=20,
        blank=True,
        help_text="In E.164 (+16175550101). Set by the member themselves; see the account page.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            # An NPI is one person's, for life: two accounts with it would be one clinician twice.
            models.UniqueConstraint(fields=["npi"], condition=~Q(npi=""), name="one_user_per_npi"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def is_staff(self) -> bool:
        # No Django admin site: every staff task has its own page with its own role check.
        return False


class MembershipQuerySet(ClinicScopedQuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role in one clinic. A user may belong to several clinics, one role in each."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["clinic__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.clinic})"

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class ProtocolQuerySet(ClinicScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class Protocol(models.Model):
    """One version of a clinic's clinical rules (kapcare/clinics/protocol.py describes them).

    A version in use is never edited: changing the rules makes a new version, and every decision
    records the version it used.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocols")
    version = models.PositiveIntegerField()
    rules = models.JSONField()
    note = models.CharField("what changed", max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["clinic", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="protocol_version_unique"),
            models.UniqueConstraint(
                fields=["clinic"], condition=models.Q(is_active=True), name="one_active_protocol_per_clinic"
            ),
        ]

    def __str__(self) -> str:
        return f"Protocol v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A protocol version is never edited; make a new version.")
        super().save(*args, **kwargs)

    @classmethod
    def active_for(cls, clinic) -> "Protocol":
        """The clinic's protocol in force; the shipped defaults become version 1 on first use."""
        from kapcare.clinics.protocol import default_rules

        current = cls.objects.filter(clinic=clinic, is_active=True).first()
        if current is None:
            current, _ = cls.objects.get_or_create(
                clinic=clinic,
                version=1,
                defaults={"rules": default_rules(), "note": "kapcare defaults"},
            )
        return current

    @classmethod
    def revise(cls, clinic, rules, *, by, note: str = "", request=None) -> "Protocol":
        """Put a new version in force. Refuses rules that do not validate, naming each fault."""
        from kapcare.audit.trail import record
        from kapcare.clinics.protocol import validate_rules

        errors = validate_rules(rules)
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            current = cls.active_for(clinic)
            current = cls.objects.select_for_update().get(pk=current.pk)
            last = cls.objects.filter(clinic=clinic).aggregate(n=models.Max("version"))["n"]
            cls.objects.filter(pk=current.pk).update(is_active=False)
            protocol = cls.objects.create(
                clinic=clinic, version=last + 1, rules=rules, note=note.strip(), created_by=by
            )
            record(request, "create", protocol, clinic=clinic, actor=by, detail={"version": protocol.version})
        return protocol


class PeriodicTask(models.Model):
    """When a periodic background task (an app's `periodic_tasks`) is next due. One row per task, so
    several workers enqueue each run once: the worker that moves `due_at` forward enqueues it."""

    name = models.CharField(max_length=200, unique=True, help_text="Dotted path of the task.")
    due_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
