"""What a clinic's public website says: page text, FAQs, contact details, the guide, and the
records its public forms keep (sign-ups for the guide, self-screens kept with consent, and the
submission log that rate-limits each form)."""

import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from kapcare.clinics.models import Clinic, ClinicScopedQuerySet
from kapcare.leads.storage import private_storage
from kapcare.website.markdown import render
from kapcare.website.pages import PAGES


class WebsiteSettings(models.Model):
    """A clinic's contact details on its site, its free guide, and its self-screen thresholds."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="website")
    tagline = models.CharField(max_length=200, blank=True, help_text="One line under the clinic's name.")
    phone = PhoneNumberField("phone for calls", blank=True)
    text_number = PhoneNumberField("number for texts", blank=True)
    email = models.EmailField(blank=True)
    hours = models.CharField("opening hours", max_length=200, blank=True)
    guide_title = models.CharField(max_length=200, default="Preparing for ketamine-assisted psychotherapy")
    guide_pdf = models.FileField(
        "guide (PDF)", upload_to="website/guide/", storage=private_storage, blank=True
    )
    phq2_cutoff = models.PositiveSmallIntegerField(
        "PHQ-2 threshold",
        default=3,
        help_text="A total at or above this says low mood is worth a conversation. "
        "3 was the optimal cut-point in Kroenke 2003 (instruments.md §1.2).",
    )
    gad2_cutoff = models.PositiveSmallIntegerField(
        "GAD-2 threshold",
        null=True,
        blank=True,
        help_text="The reference gives no verified GAD-2 cut-off: set one from your protocol, "
        "or leave empty to report the answers without a threshold.",
    )

    class Meta:
        verbose_name_plural = "website settings"

    def __str__(self) -> str:
        return f"Website of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic) -> "WebsiteSettings":
        settings, _ = cls.objects.get_or_create(clinic=clinic)
        return settings


class Page(models.Model):
    """One public page's text as the clinic's admin wrote it, in Markdown."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="pages")
    slug = models.CharField(max_length=40, choices=[(slug, slug) for slug, _ in PAGES])
    title = models.CharField(max_length=200)
    nav = models.CharField("menu label", max_length=60)
    description = models.CharField(
        "meta description", max_length=300, help_text="What search engines show under the title."
    )
    body = models.TextField(help_text="Markdown: ## for headings, - for lists, [text](/link/) for links.")
    body_html = models.TextField(editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("clinics.User", on_delete=models.SET_NULL, null=True, blank=True)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "slug"], name="one_page_per_slug")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = render(self.body)
        super().save(*args, **kwargs)


class Faq(models.Model):
    """A question and answer on the clinic's FAQ page (and in its FAQPage structured data)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.answer_html = render(self.answer)
        super().save(*args, **kwargs)


class Submission(models.Model):
    """One post of a public form from one address: the log the per-address rate limit counts."""

    form = models.CharField(max_length=32)
    address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["form", "address", "at"], name="submission_recent")]

    def __str__(self) -> str:
        return f"{self.form} from {self.address}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class GuideRequest(models.Model):
    """An email address asking for the free guide: sent only once the address confirms (double opt-in)."""

    CONFIRM_WITHIN = timedelta(days=7)

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    lead = models.ForeignKey("leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Guide request #{self.pk}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() - self.created_at > self.CONFIRM_WITHIN


class SelfScreen(models.Model):
    """A visitor's answers to the am-I-a-candidate self-screen, kept only because they agreed to it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    answers = models.JSONField()
    phq2 = models.PositiveSmallIntegerField("PHQ-2 total")
    gad2 = models.PositiveSmallIntegerField("GAD-2 total")
    outcome = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    lead = models.ForeignKey("leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ClinicScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Self-screen #{self.pk}"


class ProviderProfile(models.Model):
    """What the public directory says about one member of the care team; shown only when published."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="provider_profiles")
    user = models.ForeignKey("clinics.User", on_delete=models.CASCADE, related_name="+")
    published = models.BooleanField("show in the public directory", default=False)
    title = models.CharField(
        "role shown", max_length=100, help_text="For example Psychiatrist, KAP therapist."
    )
    licence = models.CharField(
        "licence", max_length=100, blank=True, help_text="For example MD, LICSW, PMHNP."
    )
    licence_states = models.CharField(
        "licensed in", max_length=100, blank=True, help_text="For example MA, NH."
    )
    certifications = models.TextField(
        "certifications in psychedelic-assisted therapy", blank=True, help_text="One per line."
    )
    supervised_experience = models.CharField(
        "experience in supervised settings", max_length=200, blank=True,
        help_text="For example 6 years of in-clinic ketamine sessions.",
    )  # fmt: skip
    integration_experience = models.CharField("integration experience", max_length=200, blank=True)
    languages = models.CharField(max_length=200, default="English")
    bio = models.TextField("about", blank=True, help_text="A few sentences, in Markdown.")
    bio_html = models.TextField(editable=False, default="")
    photo = models.FileField(upload_to="website/providers/", storage=private_storage, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "user"], name="one_profile_per_member")]

    def __str__(self) -> str:
        return f"Directory profile of {self.user}"

    def save(self, *args, **kwargs):
        self.bio_html = render(self.bio)
        super().save(*args, **kwargs)

    @property
    def certification_list(self) -> list[str]:
        return [line.strip() for line in self.certifications.splitlines() if line.strip()]
