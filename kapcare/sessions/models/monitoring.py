"""What is watched after the dose: vital signs, sedation and dissociation ratings, observations,
adverse events, and the alerts the protocol raises from them."""

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from kapcare.clinics.models import ClinicScopedQuerySet
from kapcare.sessions.models.session import DosingSession, SessionError


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    DEVICE = "device", "From a device"


class ReadingStatus(models.TextChoices):
    """FHIR Observation.status of a reading: final when taken by hand; as the device sent it."""

    FINAL = "final", "Final"
    PRELIMINARY = "preliminary", "Preliminary"
    AMENDED = "amended", "Amended"
    CORRECTED = "corrected", "Corrected"
    # Never sent: a reading from outside a session is marked so on the chart (mark_entered_in_error).
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# What a device or the API may send; entered-in-error is the clinic's own correction.
POSTED_STATUSES = (
    ReadingStatus.FINAL,
    ReadingStatus.PRELIMINARY,
    ReadingStatus.AMENDED,
    ReadingStatus.CORRECTED,
)


class TemperatureUnit(models.TextChoices):
    """The UCUM units a body temperature comes in (US Core body-temperature profile)."""

    CELSIUS = "Cel", "°C"
    FAHRENHEIT = "[degF]", "°F"


class VitalSignQuerySet(ClinicScopedQuerySet):
    def outside_sessions(self):
        return self.filter(session__isnull=True)

    def in_force(self):
        """Without the readings marked entered in error: what counts as the patient's history."""
        return self.exclude(status=ReadingStatus.ENTERED_IN_ERROR)

    def in_error(self):
        return self.filter(status=ReadingStatus.ENTERED_IN_ERROR)


class VitalSign(models.Model):
    """One set of vital signs taken at one moment, by hand or from a monitor.

    Most are a dosing session's. A reading sent through the FHIR API for a time when the patient
    was in no session (a home cuff, another clinic's record) is kept too, with no session: it is
    part of the patient's history and never judged by a session's rules. Such a reading may be
    dated by its day only (`date_only`: `taken_at` is then midnight UTC of that day). A prescriber
    or nurse may mark such a reading entered in error (another patient's, a cuff's bad value),
    saying why: it stays on the record, apart, and is no longer the patient's history. A session's
    readings are the nurse's flowsheet and are not marked so.

    Body temperature is kept in degrees Celsius to a hundredth (a tenth of a degree Fahrenheit is
    0.056 °C, so a reading in tenths of °F comes back exactly), beside the unit it was taken in: the
    session page shows it, and the FHIR API gives it back, in that unit."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, null=True, blank=True, related_name="vitals"
    )
    taken_at = models.DateTimeField()
    date_only = models.BooleanField(
        default=False, help_text="Dated by its day only, as another record sent it: taken_at is that day."
    )
    systolic = models.PositiveSmallIntegerField("systolic BP (mmHg)", null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField("diastolic BP (mmHg)", null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField("heart rate (/min)", null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    resp_rate = models.PositiveSmallIntegerField("respiratory rate (/min)", null=True, blank=True)
    temperature_c = models.DecimalField(
        "body temperature (°C)", max_digits=4, decimal_places=2, null=True, blank=True
    )
    temperature_unit = models.CharField(
        max_length=8,
        choices=TemperatureUnit.choices,
        blank=True,
        help_text="The unit the temperature was taken in; it is kept in °C and shown in this unit.",
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    status = models.CharField(
        max_length=16,
        choices=ReadingStatus.choices,
        default=ReadingStatus.FINAL,
        help_text="As the device sent it (a monitor may send a reading as preliminary); final by hand; "
        "entered-in-error once marked so on the chart.",
    )
    identifier = models.CharField(
        max_length=200, blank=True, help_text="The device's identifier for the reading."
    )
    confirmed_note = models.CharField(
        max_length=300, blank=True, help_text="Why an implausible reading was kept as real."
    )
    pre_dose = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    error_reason = models.CharField("why it is in error", max_length=300, blank=True)
    error_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error_at = models.DateTimeField(null=True, blank=True)

    objects = VitalSignQuerySet.as_manager()

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [
            models.Index(fields=["session", "-taken_at"], name="vitals_session_recent"),
            # The live board asks each session's latest two values of each sign every five seconds;
            # a monitor may send one sign for hours without another (no respiratory rate, say).
            # One partial index per sign finds its latest value at once, however long the history.
            *(
                models.Index(
                    fields=["session", "-taken_at", "-id"],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"vitals_latest_{name}",
                )
                for name in ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")
            ),
        ]
        constraints = [
            # The same device reading posted twice is stored once.
            models.UniqueConstraint(
                fields=["clinic", "identifier"], condition=~Q(identifier=""), name="vital_identifier_once"
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=False)
                | Q(diastolic__isnull=False)
                | Q(heart_rate__isnull=False)
                | Q(spo2__isnull=False)
                | Q(resp_rate__isnull=False)
                | Q(temperature_c__isnull=False),
                name="vital_has_a_value",
            ),
            models.CheckConstraint(
                condition=Q(temperature_c__isnull=True, temperature_unit="")
                | (Q(temperature_c__isnull=False) & ~Q(temperature_unit="")),
                name="vital_temperature_with_its_unit",
            ),
            models.CheckConstraint(
                condition=Q(spo2__isnull=True) | Q(spo2__lte=100), name="vital_spo2_at_most_100"
            ),
            # A session's readings are timed; only a reading from outside one may be a day.
            models.CheckConstraint(
                condition=Q(date_only=False) | Q(session__isnull=True), name="vital_day_only_outside_sessions"
            ),
            # Entered in error only as marked on the chart: outside a session, with who and why.
            models.CheckConstraint(
                condition=(Q(error_at__isnull=True) & ~Q(status=ReadingStatus.ENTERED_IN_ERROR))
                | (
                    Q(error_at__isnull=False, error_by__isnull=False, session__isnull=True)
                    & Q(status=ReadingStatus.ENTERED_IN_ERROR)
                    & ~Q(error_reason="")
                ),
                name="vital_in_error_outside_sessions_says_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Vital signs at {self.taken_at:%H:%M}"

    @property
    def bp(self) -> str:
        if self.systolic is None and self.diastolic is None:
            return ""
        return f"{self.systolic or '–'}/{self.diastolic or '–'}"

    @property
    def temperature(self) -> str:
        """The temperature as it was taken, for example "37.2 °C" or "98.6 °F"."""
        if self.temperature_c is None:
            return ""
        from kapcare.sessions.vitals import temperature_in

        unit = self.temperature_unit or TemperatureUnit.CELSIUS
        return f"{temperature_in(self.temperature_c, unit):.1f} {TemperatureUnit(unit).label}"

    @property
    def in_error(self) -> bool:
        return self.status == ReadingStatus.ENTERED_IN_ERROR

    def mark_entered_in_error(self, *, by, reason: str, request=None) -> None:
        """Mark a reading from outside a session entered in error, saying why: it stays on the
        record, apart, no longer the patient's history, and its FHIR Observation.status becomes
        entered-in-error (a new version at the next read). Audited with the reason."""
        from kapcare.audit.trail import record

        reason = reason.strip()
        if self.session_id is not None:
            raise SessionError(
                "This reading is a dosing session's, on the nurse's flowsheet: it cannot be marked "
                "entered in error here. Only readings from outside a session can."
            )
        if not reason:
            raise SessionError("Say why this reading is in error; nothing was changed.")
        limit = self._meta.get_field("error_reason").max_length
        if len(reason) > limit:
            raise SessionError(f"Say why in at most {limit} characters; nothing was changed.")
        at = timezone.now()
        with transaction.atomic():
            # Only the first of two people marking it at once changes it.
            marked = VitalSign.objects.filter(pk=self.pk, error_at__isnull=True).update(
                status=ReadingStatus.ENTERED_IN_ERROR, error_reason=reason, error_by=by, error_at=at
            )
            if not marked:
                raise SessionError("This reading is already marked entered in error.")
            self.status, self.error_reason, self.error_by, self.error_at = (
                ReadingStatus.ENTERED_IN_ERROR,
                reason,
                by,
                at,
            )
            record(request, "update", self, actor=by, detail={"entered_in_error": reason})


class RatingKind(models.TextChoices):
    SEDATION = "sedation", "Sedation (MOAA/S)"
    DISSOCIATION = "dissociation", "Dissociation"


class Rating(models.Model):
    """A sedation (MOAA/S 0–5) or dissociation rating at one moment."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="ratings")
    kind = models.CharField(max_length=12, choices=RatingKind.choices)
    scale = models.CharField(
        max_length=40, help_text="The scale the protocol names, for example MOAA/S or CADSS-6."
    )
    score = models.PositiveSmallIntegerField()
    items = models.JSONField(default=list, blank=True, help_text="Item scores, where the scale has items.")
    taken_at = models.DateTimeField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="sedation") | Q(score__lte=5), name="rating_moaas_0_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scale} {self.score}"


class SessionNote(models.Model):
    """A free-text observation during the session."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class EventKind(models.TextChoices):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    DIZZINESS = "dizziness", "Dizziness"
    HYPERTENSION = "hypertension", "Hypertension"
    TACHYCARDIA = "tachycardia", "Tachycardia"
    DESATURATION = "desaturation", "Desaturation"
    AGITATION = "agitation", "Agitation"
    ANXIETY = "anxiety", "Anxiety"
    CONFUSION = "confusion", "Confusion"
    HEADACHE = "headache", "Headache"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    IMPROVING = "improving", "Improving"
    ONGOING = "ongoing", "Ongoing"
    TRANSFERRED = "transferred", "Transferred to emergency care"


class AdverseEvent(models.Model):
    """Something that went wrong during the session, what was done, and how it ended."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    description = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(
        "serious adverse event",
        default=False,
        help_text="Death, life-threatening, hospitalisation or disability.",
    )
    action_taken = models.TextField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    onset_at = models.DateTimeField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["onset_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(action_taken=""), name="adverse_event_has_action"),
            models.CheckConstraint(
                condition=~Q(kind="other") | ~Q(description=""), name="adverse_event_other_described"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.severity})"


class AlertRule(models.TextChoices):
    BP_ONCE = "bp_once", "Blood pressure above the single-reading limit"
    BP_CONFIRMED = "bp_confirmed", "Blood pressure high on consecutive readings"
    HR_SUSTAINED = "hr_sustained", "Heart rate high, sustained"
    SPO2_LOW = "spo2_low", "Oxygen saturation low"
    DEEP_SEDATION = "deep_sedation", "Deep sedation"
    OVERDUE = "overdue", "Vital signs overdue"
    RATING_OVERDUE = "rating_overdue", "Sedation or dissociation rating overdue"


class AlertQuerySet(ClinicScopedQuerySet):
    def open(self):
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """A protocol rule that fired during a session: why (rule, values, source) and what was done.
    It stays open until a clinician acknowledges it with the action taken."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField(max_length=16, choices=AlertRule.choices)
    key = models.CharField(max_length=60, help_text="What the alert is about, so it is raised once.")
    message = models.CharField(max_length=300, help_text="What was seen, with the values.")
    rule_text = models.CharField(max_length=300, help_text="The rule as the protocol states it.")
    source = models.TextField()
    protocol_version = models.PositiveIntegerField()
    vital = models.ForeignKey(VitalSign, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["session", "acknowledged_at"], name="dosing_alert_open")]
        constraints = [
            models.UniqueConstraint(fields=["session", "rule", "key"], name="dosing_alert_once"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | (Q(acknowledged_by__isnull=False) & ~Q(action_taken="")),
                name="dosing_alert_acknowledged_with_action",
            ),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
