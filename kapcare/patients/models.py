"""Patients of a clinic and their courses of treatment."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Not recorded"


class PatientQuerySet(ClinicScopedQuerySet):
    def search(self, query: str):
        from kapcare.patients.search import patient_filter

        return self.filter(patient_filter(query)) if query.strip() else self


class Patient(models.Model):
    """A person receiving care from one clinic. Demographics as the patient gives them."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=20, help_text="Medical record number, unique in the clinic.")
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField("sex assigned at birth", max_length=16, choices=Sex.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    phone = PhoneNumberField(blank=True, help_text="Mobile number for texts, for example +1 617 555 0100.")
    email = models.EmailField(blank=True)
    address_line = models.CharField("street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(max_length=40, default="English")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = PhoneNumberField(blank=True)
    # Set when the patient signs the 42 CFR Part 2 consent; exports and disclosures honour it.
    part2_consent = models.BooleanField(
        "consents to disclose substance-use records (42 CFR Part 2)", default=False, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_per_clinic")]
        indexes = [
            models.Index(fields=["clinic", "legal_last_name", "legal_first_name"], name="patient_name"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob"),
            models.Index(fields=["clinic", "phone"], name="patient_phone"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.mrn:
            return super().save(*args, **kwargs)
        # The next MRN is the clinic's highest plus one, so two patients created at once (PostgreSQL)
        # would both take it. Holding the clinic's row until the insert commits takes them in turn,
        # whichever path creates the patient (staff form, lead conversion, FHIR).
        with transaction.atomic():
            list(Clinic.objects.select_for_update().filter(pk=self.clinic_id).values_list("pk", flat=True))
            self.mrn = next_mrn(self.clinic_id)
            try:
                super().save(*args, **kwargs)
            except Exception:
                self.mrn = ""
                raise

    @property
    def name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    def age_on(self, day) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self):
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth is in the future."})


def next_mrn(clinic_id: int) -> str:
    """The next free MRN in the clinic: K followed by six digits."""
    last = (
        Patient.objects.filter(clinic_id=clinic_id, mrn__regex=r"^K[0-9]{6}$")
        .order_by("-mrn")
        .values_list("mrn", flat=True)
        .first()
    )
    return f"K{int(last[1:]) + 1 if last else 1:06d}"


class CourseState(models.TextChoices):
    EVALUATING = "evaluating", "Evaluating"
    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Ineligible"
    NEEDS_CLEARANCE = "needs_clearance", "Needs medical clearance"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Which states a course may move to from each state (design.md).
TRANSITIONS: dict[str, frozenset[str]] = {
    CourseState.EVALUATING: frozenset({"eligible", "ineligible", "needs_clearance", "withdrawn"}),
    CourseState.NEEDS_CLEARANCE: frozenset({"eligible", "ineligible", "withdrawn"}),
    CourseState.ELIGIBLE: frozenset({"active", "withdrawn"}),
    CourseState.ACTIVE: frozenset({"paused", "completed", "withdrawn"}),
    CourseState.PAUSED: frozenset({"active", "completed", "withdrawn"}),
    CourseState.INELIGIBLE: frozenset(),
    CourseState.COMPLETED: frozenset(),
    CourseState.WITHDRAWN: frozenset(),
}
OPEN_STATES = frozenset(state for state, onward in TRANSITIONS.items() if onward)
CHART_MOVES = frozenset({CourseState.PAUSED, CourseState.COMPLETED, CourseState.WITHDRAWN})
# Stopping or refusing care is always explained in the record.
REASON_REQUIRED = frozenset({CourseState.PAUSED, CourseState.WITHDRAWN, CourseState.INELIGIBLE})


class TransitionError(Exception):
    """A course cannot move as asked; the message says why, for the clinician."""


class ConsentMissing(TransitionError):
    """Treatment cannot start or resume: the current informed consent for KAP is not signed."""


def require_kap_consent(patient) -> None:
    from kapcare.patients.consent import kap_consent_missing

    problem = kap_consent_missing(patient)
    if problem:
        raise ConsentMissing(f"{problem} Treatment cannot start without it.")


class Condition(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    TRD = "trd", "Treatment-resistant depression"
    PTSD = "ptsd", "PTSD"
    OCD = "ocd", "OCD"
    ANXIETY = "anxiety", "Anxiety disorder"
    SUD = "sud", "Substance use disorder"


class Course(models.Model):
    """A course of treatment: preparation, administration and integration, for one patient."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    site = models.ForeignKey("clinics.Site", on_delete=models.PROTECT, null=True, blank=True)
    condition = models.CharField("main condition", max_length=20, choices=Condition.choices)
    state = models.CharField(max_length=20, choices=CourseState.choices, default=CourseState.EVALUATING)
    prescriber = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    therapist = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, null=True, related_name="+")
    state_changed_at = models.DateTimeField(default=timezone.now)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=CourseState.values), name="course_state_valid"
            ),
            # One open course at a time: a second one would split the record of care.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="one_open_course_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} course, {self.get_state_display().lower()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def allowed_states(self) -> list[str]:
        return sorted(TRANSITIONS[self.state])

    def chart_moves(self) -> list[str]:
        """The moves made straight from the chart. Deciding eligibility and starting treatment
        are not among them: they need a signed decision and a signed plan (the evaluation app)."""
        return [state for state in self.allowed_states() if state in CHART_MOVES or self.is_resume(state)]

    def is_resume(self, to: str) -> bool:
        return self.state == CourseState.PAUSED and to == CourseState.ACTIVE

    # Each transition names its precondition; `move` does the rest.
    def decide(self, outcome: str, *, by, request=None, reason: str = ""):
        """The eligibility decision: eligible, ineligible or needs medical clearance."""
        if outcome not in {"eligible", "ineligible", "needs_clearance"}:
            raise TransitionError(f"{outcome!r} is not an eligibility outcome.")
        return self.move(outcome, by=by, request=request, reason=reason)

    def start(self, *, by, request=None, reason: str = ""):
        """The bare transition. Starting treatment is `kapcare.evaluation.signing.start_course`,
        which also checks the signed decision, the signed plan and the consent."""
        return self.move(CourseState.ACTIVE, by=by, request=request, reason=reason)

    def pause(self, *, by, reason: str, request=None):
        return self.move(CourseState.PAUSED, by=by, request=request, reason=reason)

    def resume(self, *, by, request=None, reason: str = ""):
        if self.state != CourseState.PAUSED:
            raise TransitionError("Only a paused course can be resumed.")
        require_kap_consent(self.patient)
        return self.move(CourseState.ACTIVE, by=by, request=request, reason=reason)

    def complete(self, *, by, request=None, reason: str = ""):
        return self.move(CourseState.COMPLETED, by=by, request=request, reason=reason)

    def withdraw(self, *, by, reason: str, request=None):
        return self.move(CourseState.WITHDRAWN, by=by, request=request, reason=reason)

    def move(self, to: str, *, by, request=None, reason: str = ""):
        """Change state if the course may move there; record who, when and why, and audit it."""
        if to not in CourseState.values:
            raise TransitionError(f"{to!r} is not a course state.")
        reason = reason.strip()
        if to in REASON_REQUIRED and not reason:
            raise TransitionError(f"Give a reason: the course would become {CourseState(to).label.lower()}.")
        with transaction.atomic():
            # Lock the row so two people cannot move the same course at once.
            current = Course.objects.select_for_update().get(pk=self.pk)
            if to not in TRANSITIONS[current.state]:
                raise TransitionError(
                    f"A course that is {current.get_state_display().lower()} cannot become "
                    f"{CourseState(to).label.lower()}."
                )
            transition = CourseTransition.objects.create(
                course=self, from_state=current.state, to_state=to, by=by, reason=reason
            )
            self.state, self.state_changed_at = to, transition.at
            Course.objects.filter(pk=self.pk).update(state=to, state_changed_at=transition.at)
            record(
                request,
                "transition",
                self,
                patient=self.patient_id,
                clinic=self.clinic_id,
                actor=by,
                detail={"from": current.state, "to": to, "reason": reason},
            )
        return transition


class CourseTransition(models.Model):
    """One change of a course's state: who made it, when, and why."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=CourseState.choices)
    to_state = models.CharField(max_length=20, choices=CourseState.choices)
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


# Consent and the preparation checklist live in their own modules; imported here so Django sees them.
from kapcare.patients.consent import ConsentDocument, ConsentSignature, ConsentWithdrawal  # noqa: E402, F401
from kapcare.patients.preparation import PreparationConfirmation  # noqa: E402, F401
