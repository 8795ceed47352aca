"""The Spravato REMS patient monitoring form for an esketamine session (reference/clinical.md §3).

Every field of the outpatient form is captured; a session cannot be signed until all are filled,
and the form is due within 7 calendar days of the treatment date.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from kapcare.sessions.models.session import DosingSession

# "Submit within 7 calendar days" (§3, SPRAVATO REMS) — a rule of the REMS programme itself.
SUBMIT_WITHIN_DAYS = 7


class DoseChoice(models.TextChoices):
    MG56 = "56", "56 mg"
    MG84 = "84", "84 mg"
    OTHER = "other", "Other"


YES_NO = [(True, "Yes"), (False, "No")]


def yes_no(label: str, **kwargs):
    return models.BooleanField(label, null=True, blank=True, choices=YES_NO, **kwargs)


class RemsForm(models.Model):
    """The REMS patient monitoring form for one esketamine session, and whether it was submitted."""

    session = models.OneToOneField(DosingSession, on_delete=models.PROTECT, related_name="rems")
    first_treatment = yes_no("first treatment with esketamine")
    patient_enrolled = yes_no("patient enrolled in the REMS")
    benzodiazepines = yes_no("takes benzodiazepines")
    sedative_hypnotics = yes_no("takes non-benzodiazepine sedative-hypnotics")
    psychostimulants = yes_no("takes psychostimulants")
    maois = yes_no("takes MAOIs")
    opioids = yes_no("takes opioids")
    monitoring_hcp_name = models.CharField("monitoring HCP name", max_length=200, blank=True)
    monitoring_hcp_phone = models.CharField("monitoring HCP phone", max_length=40, blank=True)
    monitoring_hcp_email = models.EmailField("monitoring HCP email", blank=True)
    setting_name = models.CharField(max_length=200, blank=True)
    setting_address = models.TextField(blank=True)
    treatment_date = models.DateField(null=True, blank=True)
    dose = models.CharField(max_length=8, choices=DoseChoice.choices, blank=True)
    dose_other_mg = models.PositiveSmallIntegerField(null=True, blank=True)
    lot = models.CharField("lot number", max_length=40, blank=True)
    total_minutes = models.PositiveSmallIntegerField(
        "total treatment duration (minutes)",
        null=True,
        blank=True,
        help_text="From the first device to the end of monitoring.",
    )
    ready_minutes = models.PositiveSmallIntegerField(
        "ready to leave after (minutes)",
        null=True,
        blank=True,
        help_text="Without the 2-hour rule, when would the patient have been ready to leave?",
    )
    vitals_ok_before = yes_no("vital signs acceptable before administration")
    vitals_ok_end = yes_no("vital signs acceptable before the session ended")
    bp_before = models.CharField("BP before administration", max_length=12, blank=True)
    bp_40 = models.CharField("BP at 40 minutes", max_length=12, blank=True)
    bp_end = models.CharField("BP before completion", max_length=12, blank=True)
    sedation = yes_no("sedation occurred")
    sedation_resolved = yes_no(
        "sedation resolved",
    )
    dissociation = yes_no("dissociation occurred")
    dissociation_resolved = yes_no("dissociation resolved")
    respiratory_depression = yes_no("respiratory depression occurred")
    respiratory_resolved = yes_no("respiratory depression resolved")
    pulse_oximetry_checked = yes_no("pulse oximetry checked")
    serious_adverse_event = yes_no("serious adverse event")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["treatment_date"]

    def __str__(self) -> str:
        return f"REMS monitoring form for {self.treatment_date}"

    @property
    def due_on(self):
        return self.treatment_date + timedelta(days=SUBMIT_WITHIN_DAYS) if self.treatment_date else None


# Fields whose answer depends on another: "resolved" is asked only when the effect occurred.
CONDITIONAL = {
    "sedation_resolved": "sedation",
    "dissociation_resolved": "dissociation",
    "respiratory_resolved": "respiratory_depression",
    "dose_other_mg": None,
}
SYSTEM_FIELDS = {"id", "session", "submitted_at", "submitted_by", "updated_at"}


def rems_fields() -> list[models.Field]:
    return [f for f in RemsForm._meta.concrete_fields if f.name not in SYSTEM_FIELDS]


def rems_missing(session) -> list[str]:
    """The labels of the form's fields still empty; [] when the form is complete."""
    form = RemsForm.objects.filter(session=session).first()
    if form is None:
        return ["every field (the form has not been started)"]
    missing = []
    for field in rems_fields():
        if field.name in CONDITIONAL:
            trigger = CONDITIONAL[field.name]
            needed = form.dose == DoseChoice.OTHER if trigger is None else getattr(form, trigger) is True
            if not needed:
                continue
        if getattr(form, field.name) in (None, ""):
            missing.append(str(field.verbose_name))
    if form.total_minutes is not None:
        minimum = session.minimum_monitoring.value
        if form.total_minutes < minimum:
            missing.append(
                f"a total duration of at least {minimum} minutes (the form says {form.total_minutes})"
            )
    return missing
