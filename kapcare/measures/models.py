"""Outcome measures in the clinic: the instruments a clinic uses, who is asked to answer them and
when, the completed responses with their scores, and the safety alerts an answer can raise.

Scoring itself is model-free (scoring.py, questionnaires.py); these models store what it produced.
"""

import hashlib
import json
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.measures import scoring as engine
from kapcare.measures.questionnaires import parse_questionnaire

# Definitions built from an imported Questionnaire, per instrument version: building one parses
# the Questionnaire, and the same one scores every response.
_DEFINITIONS: dict[tuple[int, str], engine.ScoringDefinition] = {}


class InstrumentQuerySet(ClinicScopedQuerySet):
    def assignable(self):
        return self.exclude(scoring={})


class Instrument(models.Model):
    """A questionnaire or rating scale a clinic uses: its FHIR Questionnaire (where the licence
    lets us show the items) and the scoring definition that turns answers into scores."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="instruments")
    name = models.SlugField(max_length=60, help_text="phq-9, gad-7, ...")
    title = models.CharField(max_length=200)
    questionnaire = models.JSONField(null=True, blank=True, help_text="FHIR R4 Questionnaire.")
    scoring = models.JSONField(default=dict, blank=True, help_text="Scoring definition; empty if none.")
    is_shipped = models.BooleanField(default=False, help_text="Installed from kapcare's own files.")
    shows_item_text = models.BooleanField(default=False)
    copyright = models.TextField(blank=True)
    licence_note = models.TextField(blank=True)
    import_report = models.JSONField(default=list, blank=True)
    clinic_rules = models.JSONField(
        default=list,
        blank=True,
        help_text="The clinic's own flags, in the definition's flag format "
        "({code, label, level, when, source}); an urgent one raises a safety alert.",
    )
    change_sd = models.DecimalField(
        "reference SD",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Standard deviation of the clinic's reference sample, for Jacobson–Truax reliable change.",
    )
    change_sd_source = models.TextField(blank=True, help_text="Where the reference SD comes from.")
    version = models.CharField(max_length=16, help_text="Fingerprint of the questionnaire and scoring.")
    installed_at = models.DateTimeField(default=timezone.now)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="instrument_name_per_clinic"),
            # A reference SD is a clinical number: positive, and never without its source.
            models.CheckConstraint(
                condition=models.Q(change_sd__isnull=True, change_sd_source="")
                | (models.Q(change_sd__gt=0) & ~models.Q(change_sd_source="")),
                name="instrument_change_sd_with_source",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.version = fingerprint(self.questionnaire, self.scoring, self.clinic_rules)
        super().save(*args, **kwargs)

    @property
    def can_score(self) -> bool:
        return bool(self.scoring)

    def definition(self) -> engine.ScoringDefinition:
        """The scoring definition bound to this instrument's Questionnaire."""
        if self.is_shipped:
            return engine.shipped_definition(self.name)
        key = (self.pk, self.version)
        if key not in _DEFINITIONS:
            parsed = parse_questionnaire(self.questionnaire) if self.questionnaire else None
            _DEFINITIONS[key] = engine._build(self.scoring, parsed)
        return _DEFINITIONS[key]

    def clean(self):
        problems = clinic_rule_problems(self.clinic_rules, self.scoring)
        if problems:
            raise ValidationError({"clinic_rules": problems})

    def clinic_flags(self, result) -> list[dict]:
        """The clinic's own rules that this scored response meets, as flags."""
        scores = {"total": result.total, **result.subscales}
        return [
            {k: rule[k] for k in ("code", "label", "level", "source")}
            for rule in self.clinic_rules
            if engine._holds(rule["when"], result.item_scores, scores)
        ]

    @property
    def uses_reference_sd(self) -> bool:
        """Whether a Jacobson–Truax rule of its definition needs the reference sample's SD."""
        rules = (self.scoring.get("change") or {}).get("reliable_change", [])
        return any(r["method"] == "jacobson-truax" and r.get("reliability") is not None for r in rules)

    def set_reference_sd(self, sd, source: str, *, by, request=None) -> None:
        """The clinic's reference SD for reliable change (None clears it), with its source."""
        source = (source or "").strip()
        if sd is not None:
            if not self.uses_reference_sd:
                raise InstrumentError(f"{self.title} has no Jacobson–Truax rule that uses a reference SD.")
            if sd <= 0:
                raise InstrumentError("The reference SD must be above 0.")
            if not source:
                raise InstrumentError("Say where the reference SD comes from (study, sample, year).")
        with transaction.atomic():
            before = {"sd": as_json_number(self.change_sd), "source": self.change_sd_source}
            self.change_sd, self.change_sd_source = sd, source if sd is not None else ""
            self.save(update_fields=["change_sd", "change_sd_source", "version"])
            record(
                request,
                "update",
                self,
                actor=by,
                detail={"reference_sd": as_json_number(sd), "source": self.change_sd_source, "was": before},
            )

    def add_clinic_rule(self, rule: dict, *, by, request=None) -> None:
        """Add one of the clinic's own flags; raises InstrumentError saying why it cannot be used."""
        if any(r["code"] == rule.get("code") for r in self.clinic_rules):
            raise InstrumentError(f"There is already a rule coded {rule.get('code')}.")
        if any(f["code"] == rule.get("code") for f in self.scoring.get("flags", [])):
            raise InstrumentError(f"{rule.get('code')} is the code of one of the instrument's own flags.")
        problems = clinic_rule_problems([rule], self.scoring)
        if problems:
            raise InstrumentError("; ".join(problems) + ".")
        with transaction.atomic():
            self.clinic_rules = [*self.clinic_rules, rule]
            self.save(update_fields=["clinic_rules", "version"])
            record(request, "update", self, actor=by, detail={"clinic_rule_added": rule})

    def remove_clinic_rule(self, code: str, *, reason: str, by, request=None) -> None:
        """Remove one of the clinic's own flags, with the reason, which the audit trail keeps."""
        reason = (reason or "").strip()
        rule = next((r for r in self.clinic_rules if r["code"] == code), None)
        if rule is None:
            raise InstrumentError(f"There is no rule coded {code}.")
        if not reason:
            raise InstrumentError("Say why the rule is removed: a safety rule goes only with a reason.")
        with transaction.atomic():
            self.clinic_rules = [r for r in self.clinic_rules if r["code"] != code]
            self.save(update_fields=["clinic_rules", "version"])
            record(request, "update", self, actor=by, detail={"clinic_rule_removed": rule, "reason": reason})

    @property
    def loinc_total(self) -> str | None:
        return self.scoring.get("loinc", {}).get("total", {}).get("code")


class InstrumentError(Exception):
    """An instrument's settings cannot change as asked; the message says why."""


def clinic_rule_problems(rules: list, scoring: dict) -> list[str]:
    """Why a clinic's rules cannot be used: missing parts, or items and scores that do not exist."""
    items = {item["link_id"] for item in scoring.get("items", [])}
    scores = {spec["id"] for spec in scoring.get("scores", [])}
    problems = []
    for rule in rules:
        missing = [k for k in ("code", "label", "level", "when", "source") if not rule.get(k)]
        if missing:
            problems.append(f"rule {rule.get('code', '?')} lacks {', '.join(missing)}")
        elif rule["level"] not in ("urgent", "attention", "info"):
            problems.append(f"rule {rule['code']}: level must be urgent, attention or info")
        else:
            problems += engine._unknown_refs(rule["when"], items, scores, f"rule {rule['code']}")
    return problems


def fingerprint(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def install_shipped(clinic: Clinic) -> list[Instrument]:
    """Every instrument kapcare ships, installed for a clinic (idempotent)."""
    installed = []
    for name in engine.shipped_instruments():
        definition = engine.shipped_definition(name)
        questionnaire = definition.questionnaire.resource if definition.questionnaire else None
        licence = definition.data.get("licence", {})
        instrument, _ = Instrument.objects.update_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "title": definition.title,
                "questionnaire": questionnaire,
                "scoring": definition.data,
                "is_shipped": True,
                "shows_item_text": bool(questionnaire) and licence.get("ship_item_text", False),
                "copyright": (questionnaire or {}).get("copyright", ""),
                "licence_note": licence.get("summary", ""),
            },
        )
        installed.append(instrument)
    return installed


class Schedule(models.TextChoices):
    ONCE = "once", "Once, now"
    BASELINE = "baseline", "At baseline"
    BEFORE_DOSING = "before_dosing", "Before each dosing session"
    AFTER_DOSING = "after_dosing", "A day after each dosing session"
    WEEKLY = "weekly", "Weekly during the course"
    AFTER_COURSE_1M = "after_course_1m", "1 month after the course"
    AFTER_COURSE_3M = "after_course_3m", "3 months after the course"
    AFTER_COURSE_6M = "after_course_6m", "6 months after the course"


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    CLINIC = "clinic", "In clinic (staff enter the answers)"


class Assignment(models.Model):
    """A patient is asked to answer an instrument, once or on a schedule tied to their course."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="assignments")
    course = models.ForeignKey(
        "patients.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="assignments")
    schedule = models.CharField(max_length=20, choices=Schedule.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule__in=Schedule.values), name="assignment_schedule"
            ),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="assignment_channel"),
            # Course-tied schedules need the course they are tied to.
            models.CheckConstraint(
                condition=models.Q(schedule="once") | models.Q(course__isnull=False),
                name="assignment_course_for_schedule",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                name="assignment_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name} {self.get_schedule_display().lower()}"

    def cancel(self, *, by, reason: str, request=None) -> int:
        """Stop asking: no new occasions, and the links still waiting stop working. Returns how
        many waiting questionnaires were withdrawn with it."""
        reason = _reason(reason)
        with transaction.atomic():
            current = Assignment.objects.select_for_update().get(pk=self.pk)
            if current.cancelled_at is not None:
                raise AssignmentError("This request was already cancelled.")
            now = timezone.now()
            self.is_active, self.cancelled_at, self.cancelled_by, self.cancel_reason = False, now, by, reason
            self.save(update_fields=["is_active", "cancelled_at", "cancelled_by", "cancel_reason"])
            withdrawn = (
                Invitation.objects.filter(assignment=self)
                .waiting()
                .update(cancelled_at=now, cancelled_by=by, cancel_reason=reason)
            )
            record(
                request,
                "update",
                self,
                patient=self.patient_id,
                actor=by,
                detail={"cancelled": True, "reason": reason, "withdrawn": withdrawn},
            )
        return withdrawn


class AssignmentError(Exception):
    """A request to answer cannot change as asked; the message says why."""


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AssignmentError("Say why it is cancelled; the reason is kept in the record.")
    return reason


class InvitationQuerySet(ClinicScopedQuerySet):
    def waiting(self):
        """Not answered and not cancelled (expired or not)."""
        return self.filter(used_at__isnull=True, cancelled_at__isnull=True)

    def open(self):
        """Waiting and its link still works."""
        return self.waiting().filter(expires_at__gt=timezone.now())


class Invitation(models.Model):
    """One occasion on which a patient is asked to answer: due at a time, reached by a signed,
    single-use, expiring link, with the answers given so far kept as a draft."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="invitations")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    occasion = models.CharField(max_length=80, help_text="baseline, week-3, before-dosing:12, ...")
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    nonce = models.CharField(max_length=32, unique=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "occasion"], name="one_invitation_per_occasion"),
            models.CheckConstraint(
                condition=models.Q(reminders_sent__lte=3), name="invitation_at_most_three_reminders"
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                name="invitation_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.occasion})"

    def save(self, *args, **kwargs):
        if not self.nonce:
            self.nonce = secrets.token_hex(16)
        if self.expires_at is None:
            self.expires_at = self.due_at + timedelta(days=settings.MEASURES_LINK_DAYS)
        super().save(*args, **kwargs)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def can_resend(self) -> bool:
        return (
            self.assignment.channel != Channel.CLINIC
            and not (self.is_used or self.is_cancelled or self.is_expired)
            and self.due_at <= timezone.now()
        )

    def _locked_waiting(self) -> "Invitation":
        current = Invitation.objects.select_for_update().get(pk=self.pk)
        if current.used_at is not None:
            raise AssignmentError("This questionnaire has already been answered.")
        if current.cancelled_at is not None:
            raise AssignmentError("This questionnaire was already cancelled.")
        return current

    def cancel(self, *, by, reason: str, request=None) -> None:
        """Withdraw this one occasion: its link stops working; the schedule goes on."""
        reason = _reason(reason)
        with transaction.atomic():
            self._locked_waiting()
            self.cancelled_at, self.cancelled_by, self.cancel_reason = timezone.now(), by, reason
            self.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
            record(
                request,
                "update",
                self,
                patient=self.patient_id,
                actor=by,
                detail={"cancelled": True, "reason": reason, "occasion": self.occasion},
            )

    def renew_link(self, *, by, request=None) -> None:
        """Make a fresh link for a resend: the one sent before stops working, so a link that went
        to the wrong place or was forwarded is worth nothing. The answers saved so far are kept."""
        with transaction.atomic():
            current = self._locked_waiting()
            if self.assignment.channel == Channel.CLINIC:
                raise AssignmentError("This questionnaire is entered in clinic; there is no link to send.")
            if current.is_expired:
                raise AssignmentError("This link has expired; ask the patient again with a new request.")
            if current.due_at > timezone.now():
                raise AssignmentError("This questionnaire is not due yet; its link goes out when it is.")
            self.nonce, self.sent_at = secrets.token_hex(16), None
            self.save(update_fields=["nonce", "sent_at"])
            record(
                request,
                "update",
                self,
                patient=self.patient_id,
                actor=by,
                detail={"resend": self.assignment.channel, "occasion": self.occasion},
            )


class ResponseQuerySet(ClinicScopedQuerySet):
    def for_instrument(self, name: str):
        return self.filter(instrument__name=name)


class EnteredVia(models.TextChoices):
    LINK = "link", "Patient, by link"
    CLINIC = "clinic", "Staff, in clinic"


class Response(models.Model):
    """A completed, scored instrument. It is stored only whole: answers and every score together."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="responses")
    course = models.ForeignKey(
        "patients.Course", on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    answers = models.JSONField(help_text="{linkId: code or value}")
    item_scores = models.JSONField()
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    band_code = models.CharField(max_length=40, blank=True)
    band_label = models.CharField(max_length=120, blank=True)
    flags = models.JSONField(default=list, blank=True)
    rules = models.JSONField(default=list, blank=True)
    definition_version = models.CharField(max_length=16)
    entered_via = models.CharField(max_length=10, choices=EnteredVia.choices)
    entered_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(default=timezone.now)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at", "pk"]
        indexes = [models.Index(fields=["patient", "instrument", "completed_at"], name="response_trend")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(entered_via="clinic") | models.Q(entered_by__isnull=False),
                name="response_clinic_entry_has_author",
            ),
            models.CheckConstraint(condition=~models.Q(definition_version=""), name="response_scored"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name} {self.total} on {self.completed_at:%Y-%m-%d}"

    @property
    def is_urgent(self) -> bool:
        return any(flag["level"] == "urgent" for flag in self.flags)


def as_json_number(value):
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def record_response(
    instrument: Instrument,
    patient,
    answers: dict,
    *,
    via: str,
    by=None,
    invitation: Invitation | None = None,
    request=None,
    completed_at=None,
) -> Response:
    """Score answers and store the response, raising any alert, in one transaction.

    Raises engine.ScoringError (item by item) and stores nothing when the answers are
    incomplete or not allowed.
    """
    definition = instrument.definition()
    result = engine.score(definition, answers, context={"sex": patient.sex_at_birth})
    flags = [flag_json(f) for f in result.flags] + instrument.clinic_flags(result)
    course = patient.courses.order_by("-opened_at").first()
    with transaction.atomic():
        if invitation is not None:
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.used_at is not None:
                raise LinkUsed("This questionnaire has already been answered.")
            if locked.cancelled_at is not None:
                raise LinkUsed("Your care team has withdrawn this questionnaire.")
        response = Response.objects.create(
            clinic=patient.clinic,
            patient=patient,
            course=course,
            instrument=instrument,
            invitation=invitation,
            answers=answers,
            item_scores={k: as_json_number(v) for k, v in result.item_scores.items()},
            total=None if result.total is None else Decimal(str(result.total)),
            subscales={k: as_json_number(v) for k, v in result.subscales.items()},
            band_code=result.band.code if result.band else "",
            band_label=result.band.label if result.band else "",
            flags=flags,
            rules=[rule_json(r) for r in result.rules],
            definition_version=instrument.version,
            entered_via=via,
            entered_by=by,
            completed_at=completed_at or timezone.now(),
        )
        if invitation is not None:
            now = timezone.now()
            Invitation.objects.filter(pk=invitation.pk).update(used_at=now, draft={}, draft_saved_at=None)
            invitation.used_at = now
        record(
            request,
            "create",
            response,
            patient=patient,
            clinic=patient.clinic_id,
            actor=by or "patient link",
            detail={"instrument": instrument.name, "total": as_json_number(response.total)},
        )
        if instrument.name == CSSRS:
            _cssrs_follow_ups_done(response, request)
        for flag in flags:
            if flag["level"] == "urgent":
                SafetyAlert.raise_for(response, flag, request=request)
    return response


CSSRS = "c-ssrs-screener"


def _cssrs_follow_ups_done(response: Response, request) -> None:
    """A C-SSRS screen entered for the patient completes their alerts' C-SSRS follow-ups."""
    waiting = SafetyAlert.objects.filter(
        patient_id=response.patient_id, follow_up=FollowUp.CSSRS, follow_up_done_at__isnull=True
    )
    for alert in waiting:
        SafetyAlert.objects.filter(pk=alert.pk).update(follow_up_done_at=response.completed_at)
        record(
            request,
            "update",
            alert,
            patient=response.patient_id,
            actor=response.entered_by or "patient link",
            detail={"follow_up_done": "cssrs", "response": response.pk},
        )


def flag_json(flag) -> dict:
    return {"code": flag.code, "label": flag.label, "level": flag.level, "source": flag.source}


def rule_json(rule) -> dict:
    return {"code": rule.code, "label": rule.label, "met": rule.met, "source": rule.source}


class LinkUsed(Exception):
    """A single-use link was used again."""


class AlertError(Exception):
    """An alert cannot change as asked; the message says why."""


ALERT_SUBJECT = "A patient's result needs review"
ALERT_TEXT = "A patient's result needs review. Sign in to see it: {url}"
ALERT_SMS = "kapcare: a patient's result needs your review. Sign in to see it: {url}"


class AlertQuerySet(ClinicScopedQuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)


class SafetyAction(models.TextChoices):
    CLINICIAN_REVIEW = "clinician_review", "Clinician reviewed with the patient"
    CSSRS = "cssrs", "C-SSRS screen done"
    SAFETY_PLAN = "safety_plan", "Safety plan made or updated"
    EMERGENCY = "emergency", "Sent to emergency care"
    UNREACHABLE = "unreachable", "Patient not reached; escalated to the care team"


class FollowUp(models.TextChoices):
    CLINICIAN_REVIEW = "clinician_review", "Clinician review"
    CSSRS = "cssrs", "C-SSRS screen"


class SafetyAlert(models.Model):
    """An answer that needs a clinician now, such as thoughts of self-harm on PHQ-9 item 9.

    It goes to the patient's prescriber and care team and stays open until someone records what
    they did about it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="safety_alerts")
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="alerts")
    rule_code = models.CharField(max_length=60)
    rule_label = models.CharField(max_length=300)
    source = models.TextField()
    prescriber = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    follow_up = models.CharField(max_length=20, choices=FollowUp.choices, default=FollowUp.CLINICIAN_REVIEW)
    follow_up_assignee = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up_done_at = models.DateTimeField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=SafetyAction.choices, blank=True)
    action_note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified = models.JSONField(default=list, blank=True, help_text="Who was told, by what.")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["clinic", "closed_at", "-raised_at"], name="alert_open")]
        constraints = [
            # Closed only with a recorded action: what was done, by whom, with a note.
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True)
                | (~models.Q(action="") & ~models.Q(action_note="") & models.Q(closed_by__isnull=False)),
                name="alert_closed_with_action",
            ),
        ]

    def __str__(self) -> str:
        return self.rule_label

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @classmethod
    def raise_for(cls, response: Response, flag: dict, *, request=None) -> "SafetyAlert":
        course = response.course
        prescriber = course.prescriber if course else None
        alert = cls.objects.create(
            clinic_id=response.clinic_id,
            patient_id=response.patient_id,
            response=response,
            rule_code=flag["code"],
            rule_label=flag["label"],
            source=flag["source"],
            prescriber=prescriber,
            follow_up=settings.MEASURES_ALERT_FOLLOW_UP,
            follow_up_assignee=prescriber,
        )
        if alert.follow_up == FollowUp.CSSRS and prescriber is not None:
            alert._ask_for_cssrs(response, prescriber)
        record(
            request,
            "create",
            alert,
            patient=response.patient_id,
            clinic=response.clinic_id,
            actor="kapcare measures",
            detail={"rule": flag["code"], "instrument": response.instrument.name},
        )
        from kapcare.measures.tasks import notify_alert

        # With the database task backend the job is written in this transaction, so the worker
        # sees it only once the alert itself is saved.
        notify_alert.enqueue(alert.pk)
        return alert

    def care_team(self) -> list:
        """Who is told of the alert: the course's prescriber and therapist; without a course,
        every active prescriber of the clinic."""
        from kapcare.clinics.models import Membership, User

        course = self.response.course
        team = [u for u in (self.prescriber, course.therapist if course else None) if u is not None]
        if not team:
            team = list(
                User.objects.filter(
                    pk__in=Membership.objects.filter(
                        clinic_id=self.clinic_id, role="prescriber", is_active=True
                    ).values("user_id")
                )
            )
        return [u for u in dict.fromkeys(team) if u.is_active and u.email]

    def notify_care_team(self) -> list[str]:
        """Email the care team that a result needs review, once, and text those who gave a mobile
        number for urgent alerts. Each message carries a link to the alert and nothing about the
        patient or the answer: neither email nor text is a private channel. A text that cannot be
        sent is recorded as such; the emails still go."""
        from kapcare.lib.messaging import SMSError, send_email, send_sms

        with transaction.atomic():
            current = SafetyAlert.objects.select_for_update().get(pk=self.pk)
            if current.notified_at is not None:
                return []
            url = settings.MEASURES_BASE_URL.rstrip("/") + reverse("measures:alert", args=[self.pk])
            told, notified = [], []
            for user in self.care_team():
                send_email(user.email, ALERT_SUBJECT, ALERT_TEXT.format(url=url))
                told.append(user.email)
                notified.append({"to": user.email, "by": "email"})
                if user.alert_phone:
                    try:
                        send_sms(user.alert_phone, ALERT_SMS.format(url=url))
                        notified.append({"to": user.display_name, "by": "text"})
                    except SMSError as error:
                        notified.append({"to": user.display_name, "by": "text", "failed": str(error)})
            self.notified_at, self.notified = timezone.now(), notified
            self.save(update_fields=["notified_at", "notified"])
            record(
                None,
                "update",
                self,
                patient=self.patient_id,
                clinic=self.clinic_id,
                actor="kapcare measures",
                detail={"notified": self.notified},
            )
        return told

    def _ask_for_cssrs(self, response: Response, prescriber) -> None:
        """The C-SSRS screen as a task on the chart: waiting to be entered in clinic."""
        cssrs = Instrument.objects.filter(clinic_id=self.clinic_id, name=CSSRS).first()
        if cssrs is None:
            return
        assignment = Assignment.objects.create(
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            instrument=cssrs,
            schedule=Schedule.ONCE,
            channel=Channel.CLINIC,
            created_by=prescriber,
        )
        Invitation.objects.create(
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            assignment=assignment,
            instrument=cssrs,
            occasion=f"alert-{self.pk}",
            due_at=self.raised_at,
        )

    def close(self, *, by, action: str, note: str, request=None) -> None:
        """Close the alert with what was done about it; the follow-up is then done too."""
        note = (note or "").strip()
        if action not in SafetyAction.values:
            raise AlertError("Choose what was done about this alert.")
        if not note:
            raise AlertError("Say what was done: an alert cannot be closed without a note of the action.")
        with transaction.atomic():
            current = SafetyAlert.objects.select_for_update().get(pk=self.pk)
            if current.closed_at is not None:
                raise AlertError("This alert is already closed.")
            now = timezone.now()
            self.action, self.action_note, self.closed_by, self.closed_at = action, note, by, now
            self.follow_up_done_at = self.follow_up_done_at or now
            self.save(update_fields=["action", "action_note", "closed_by", "closed_at", "follow_up_done_at"])
            record(
                request,
                "update",
                self,
                patient=self.patient_id,
                actor=by,
                detail={"closed": True, "action": action},
            )

    def clean(self):
        if self.closed_at and not (self.action and self.action_note.strip()):
            raise ValidationError("An alert cannot be closed without a recorded action.")
