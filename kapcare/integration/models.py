"""The integration phase: preparation and integration sessions with the therapist, their progress
notes (signed and frozen, corrected by amendments), psychotherapy notes kept apart, the patient's
goals and the progress rated at each session, and the patient's own journal."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.access import clinic_ids_for
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.lib import clock
from kapcare.lib.signed import Frozen, FrozenOnceSigned, WrittenOnce


class NoteFormat(models.TextChoices):
    DAP = "dap", "DAP (data, assessment, plan)"
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"


class IntegrationSettings(models.Model):
    """How one clinic writes its progress notes."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="integration_settings")
    note_format = models.CharField(max_length=4, choices=NoteFormat.choices, default=NoteFormat.DAP)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "integration settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(note_format__in=NoteFormat.values), name="note_format_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_note_format_display()} notes"

    @classmethod
    def for_clinic(cls, clinic_id: int) -> "IntegrationSettings":
        return cls.objects.get_or_create(clinic_id=clinic_id)[0]


class Kind(models.TextChoices):
    PREPARATION = "preparation", "Preparation session"
    INTEGRATION = "integration", "Integration session"


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "By video (telehealth)"


class Status(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not attend"


class TherapySessionQuerySet(ClinicScopedQuerySet):
    def integration(self):
        return self.filter(kind=Kind.INTEGRATION)


class TherapySession(models.Model):
    """A preparation or integration session with the therapist, in person or by video.

    An integration session follows one dosing session (the sessions app's DosingSession); what
    the integration phase reads about dosing sessions goes through `kapcare.integration.dosing`.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="therapy_sessions")
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, related_name="therapy_sessions")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INTEGRATION)
    follows_dosing = models.ForeignKey(
        "dosing.DosingSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_sessions",
        verbose_name="follows dosing session",
        help_text="The dosing session this integration session follows.",
    )
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    therapist = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    video_url = models.URLField(
        "video link", blank=True, help_text="The clinic's video room for this session."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    telehealth = models.BooleanField(default=False, help_text="Held by video, as recorded when completed.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, help_text="When it was booked or last changed.")

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["patient", "-scheduled_at"], name="therapy_patient_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="therapy_kind_valid"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="therapy_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(mode=Mode.VIDEO) | ~models.Q(video_url=""), name="video_session_has_link"
            ),
            models.CheckConstraint(
                condition=models.Q(kind=Kind.INTEGRATION) | models.Q(follows_dosing__isnull=True),
                name="only_integration_follows_dosing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.scheduled_at:%Y-%m-%d}"

    def clean(self):
        if self.mode == Mode.VIDEO and not self.video_url:
            raise ValidationError({"video_url": "A video session needs the link the patient will open."})
        if self.kind == Kind.PREPARATION and self.follows_dosing_id:
            raise ValidationError(
                {"follows_dosing": "A preparation session does not follow a dosing session."}
            )

    def set_status(self, status: str, *, by, request=None):
        """Complete, cancel or mark not attended; a finished session stays as it is."""
        if status not in Status.values or status == Status.SCHEDULED:
            raise ValidationError({"status": f"{status!r} is not a way to finish a session."})
        with transaction.atomic():
            current = TherapySession.objects.select_for_update().get(pk=self.pk)
            if current.status != Status.SCHEDULED:
                raise ValidationError(
                    {"status": f"This session is already {current.get_status_display().lower()}."}
                )
            self.status = status
            if status == Status.COMPLETED:
                self.completed_at = clock.now()
                self.telehealth = self.mode == Mode.VIDEO
            self.save(update_fields=["status", "completed_at", "telehealth", "updated_at"])
            record(
                request,
                "transition",
                self,
                actor=by,
                detail={"status": status, "telehealth": self.telehealth},
            )


class ProgressNote(FrozenOnceSigned):
    """The progress note of one preparation or integration session, in the clinic's template.

    Part of the medical record. Signed means frozen: corrections are amendments beside it. The
    journal entries and measures the therapist pulled in are kept as they were at that moment.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="progress_notes")
    session = models.OneToOneField(TherapySession, on_delete=models.PROTECT, related_name="note")
    note_format = models.CharField(max_length=4, choices=NoteFormat.choices)
    dosing_experience = models.TextField("what came up in the dosing session", blank=True)
    insights = models.TextField(blank=True)
    emotions = models.TextField(blank=True)
    body_experience = models.TextField("body experience", blank=True)
    themes = models.TextField(blank=True)
    observations = models.TextField(
        "observations", blank=True, help_text="What the therapist saw (SOAP: objective)."
    )
    assessment = models.TextField(blank=True)
    risk_review = models.TextField("risk review", blank=True)
    intentions = models.TextField(blank=True)
    next_steps = models.TextField("next steps", blank=True)
    journal_entries = models.JSONField(
        default=list, blank=True, help_text="Shared entries pulled in, as they read then."
    )
    measures = models.JSONField(
        default=list, blank=True, help_text="Measures since the last session, when pulled in."
    )
    author = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClinicScopedQuerySet.as_manager()
    frozen_message = "This note is signed and cannot be changed; add an amendment."
    undeletable_message = "A progress note is part of the record and cannot be deleted."
    deletable_draft = False

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(signed_at__isnull=True) | models.Q(signed_by__isnull=False),
                name="progress_note_signed_by_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(signed_at__isnull=True) | ~models.Q(risk_review=""),
                name="signed_note_has_risk_review",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress note of {self.session}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def sign(self, *, by, request=None):
        """Sign and freeze the note and its goal ratings; the session is then completed."""
        if not self.risk_review.strip():
            raise ValidationError(
                {"risk_review": "Review risk before signing: write what you asked and found."}
            )
        with transaction.atomic():
            current = ProgressNote.objects.select_for_update().get(pk=self.pk)
            if current.signed_at is not None:
                raise Frozen("This note is already signed.")
            self.signed_at, self.signed_by = clock.now(), by
            super().save(update_fields=["signed_at", "signed_by"])
            session = self.session
            if session.status == Status.SCHEDULED:
                session.set_status(Status.COMPLETED, by=by, request=request)
            record(request, "sign", self, actor=by, detail={"session": session.pk})


class Amendment(WrittenOnce):
    """A signed correction or addition to a signed progress note; the original stays as it was."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ClinicScopedQuerySet.as_manager()
    frozen_message = "An amendment is signed and cannot be changed; add another."
    undeletable_message = "An amendment cannot be deleted."

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.CheckConstraint(condition=~models.Q(text=""), name="amendment_has_text")]

    def __str__(self) -> str:
        return f"Amendment of {self.at:%Y-%m-%d}"

    @classmethod
    def add(cls, note: ProgressNote, text: str, *, by, request=None) -> "Amendment":
        text = text.strip()
        if not text:
            raise ValidationError({"text": "Write the correction or addition."})
        if not note.is_signed:
            raise ValidationError({"text": "The note is not signed yet: edit it instead."})
        with transaction.atomic():
            amendment = cls.objects.create(
                clinic_id=note.clinic_id, patient_id=note.patient_id, note=note, text=text, by=by
            )
            record(request, "sign", amendment, actor=by, detail={"amends": "ProgressNote", "id": note.pk})
        return amendment


class PsychotherapyNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the author's own notes, and notes their authors released to the care team.

        Deliberately not a ClinicScopedQuerySet with a role check alone: no role, not even the
        admin or the patient's prescriber, reads another clinician's psychotherapy notes."""
        from kapcare.clinics.roles import allows

        if not getattr(user, "is_authenticated", False):
            return self.none()
        readable = models.Q(author=user)
        membership = getattr(user, "active_membership", None)
        if membership is not None and allows(membership.role, "integration.view"):
            readable |= models.Q(released_at__isnull=False)
        return self.filter(readable, clinic_id__in=clinic_ids_for(user))


class PsychotherapyNote(models.Model):
    """A therapist's psychotherapy note (HIPAA's separate category): process notes kept apart from
    the progress note and the rest of the record. Only the author reads it unless they release it;
    it is never exported, served by the FHIR API or shown on the chart to anyone else."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PsychotherapyNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="psychotherapy_note_has_text")
        ]

    def __str__(self) -> str:
        return f"Psychotherapy note of {self.created_at:%Y-%m-%d}"

    def release(self, *, by, request=None):
        if by.pk != self.author_id:
            raise ValidationError("Only the author can release a psychotherapy note.")
        with transaction.atomic():
            self.released_at = timezone.now()
            self.save(update_fields=["released_at", "updated_at"])
            record(request, "update", self, actor=by, detail={"released": True})


class Goal(models.Model):
    """One of the patient's goals for the course, in their own words (from the evaluation, or added
    with the therapist later)."""

    class Source(models.TextChoices):
        EVALUATION = "evaluation", "From the evaluation"
        ADDED = "added", "Added during the course"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="goals")
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, related_name="goals")
    text = models.CharField("goal, in the patient's words", max_length=300)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.ADDED)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "text"], name="goal_unique_per_course"),
            models.CheckConstraint(condition=~models.Q(text=""), name="goal_has_text"),
        ]

    def __str__(self) -> str:
        return self.text


class Progress(models.IntegerChoices):
    """How far the patient has come on a goal, in words both the therapist and patient use. A plain
    description of progress, not a scored instrument."""

    NOT_YET = 0, "Not started yet"
    A_LITTLE = 1, "A little progress"
    SOME = 2, "Some progress"
    A_LOT = 3, "A lot of progress"
    REACHED = 4, "Goal reached"


class GoalRating(models.Model):
    """The progress on one goal rated at one session's note; frozen when the note is signed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="ratings")
    progress = models.PositiveSmallIntegerField(choices=Progress.choices)
    comment = models.CharField(max_length=300, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["rated_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "note"], name="one_rating_per_goal_per_note"),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=4), name="goal_progress_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_progress_display()}"

    def save(self, *args, **kwargs):
        if ProgressNote.objects.filter(pk=self.note_id, signed_at__isnull=False).exists():
            raise Frozen("The note is signed; its goal ratings cannot change.")
        super().save(*args, **kwargs)


class Mood(models.IntegerChoices):
    VERY_LOW = 1, "Very low"
    LOW = 2, "Low"
    OKAY = 3, "Okay"
    GOOD = 4, "Good"
    VERY_GOOD = 5, "Very good"


class JournalEntryQuerySet(ClinicScopedQuerySet):
    def shared(self):
        """What staff may ever read: entries the patient chose to share."""
        return self.filter(shared_at__isnull=False)

    def visible_to(self, user):
        return super().visible_to(user).shared()


class JournalEntry(models.Model):
    """An entry in the patient's integration journal, written in the portal. Private unless the
    patient shares it with their therapist; staff queries only ever see shared entries."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="journal_entries")
    after_dosing = models.ForeignKey(
        "dosing.DosingSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
        verbose_name="after dosing session",
        help_text="The last dosing session when it was written.",
    )
    prompt = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    mood = models.PositiveSmallIntegerField(choices=Mood.choices, null=True, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at", "-pk"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["patient", "-written_at"], name="journal_patient_recent")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="journal_entry_has_text"),
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="journal_mood_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Journal entry of {self.written_at:%Y-%m-%d}"

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None

    def snapshot(self) -> dict:
        """How the entry reads now, to keep in a progress note."""
        return {
            "id": self.pk,
            "written_at": self.written_at.isoformat(),
            "prompt": self.prompt,
            "text": self.text,
            "mood": self.get_mood_display() if self.mood else "",
        }
