import re

from django import forms
from django.utils import timezone

from kapcare.coverage.models import (
    SERVICE_TYPE_CHOICES,
    Coverage,
    CoverageSettings,
    Payer,
    PlanType,
    Relationship,
    card_limit,
)

MEMBER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{1,79}")
PAYER_ID = re.compile(r"[A-Za-z0-9-]{2,80}")
# What a card image may be, told by its first bytes rather than its name.
CARD_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def card_type(head: bytes) -> str | None:
    for signature, content_type in CARD_TYPES.items():
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_card(upload) -> None:
    limit = card_limit()
    if upload.size > limit:
        raise forms.ValidationError(
            f"This file is {upload.size / 1_048_576:.1f} MB; a card image may be at most "
            f"{limit / 1_048_576:.0f} MB. Take the photo at a lower resolution."
        )
    head = upload.read(12)
    upload.seek(0)
    if card_type(head) is None:
        raise forms.ValidationError("This is not a JPEG, PNG or WebP photo of the card.")


class DateInput(forms.DateInput):
    input_type = "date"


class CoverageForm(forms.ModelForm):
    SECTIONS = [
        ("Plan", ["payer", "plan_type", "member_id", "group_number", "priority", "is_active"]),
        (
            "Subscriber",
            ["relationship", "subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth"],
        ),
        ("Dates and card", ["effective_from", "effective_to", "card_front", "card_back"]),
    ]
    # Changing any of these changes what a check asks, so the last result no longer answers it.
    ASKED = {
        "payer",
        "plan_type",
        "member_id",
        "group_number",
        "relationship",
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
        "is_active",
    }

    class Meta:
        model = Coverage
        fields = [
            "payer",
            "plan_type",
            "member_id",
            "group_number",
            "priority",
            "is_active",
            "relationship",
            "subscriber_first_name",
            "subscriber_last_name",
            "subscriber_date_of_birth",
            "effective_from",
            "effective_to",
            "card_front",
            "card_back",
        ]
        widgets = {
            "subscriber_date_of_birth": DateInput(),
            "effective_from": DateInput(),
            "effective_to": DateInput(),
            "card_front": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "card_back": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        help_texts = {
            "subscriber_first_name": "Only when the patient is not the subscriber.",
            "card_back": "The back often names the behavioural-health company and its phone number.",
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["payer"].queryset = Payer.objects.filter(clinic_id=patient.clinic_id)
        self.fields["card_front"].validators.append(validate_card)
        self.fields["card_back"].validators.append(validate_card)

    def sections(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]

    def clean_member_id(self):
        value = self.cleaned_data["member_id"].strip()
        if not MEMBER_ID.fullmatch(value):
            raise forms.ValidationError("A member ID is letters and digits as printed on the card (2 to 80).")
        return value

    def clean_subscriber_date_of_birth(self):
        born = self.cleaned_data["subscriber_date_of_birth"]
        if born and born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future.")
        return born

    def clean(self):
        data = super().clean()
        if data.get("relationship", Relationship.SELF) != Relationship.SELF:
            for name in ("subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth"):
                if not data.get(name):
                    self.add_error(name, "Needed when the patient is not the subscriber.")
        begins, ends = data.get("effective_from"), data.get("effective_to")
        if begins and ends and ends < begins:
            self.add_error("effective_to", "The coverage cannot end before it begins.")
        if data.get("is_active") and data.get("priority"):
            others = self.patient.coverages.filter(is_active=True, priority=data["priority"])
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "priority",
                    f"The patient already has a current {data['priority']} coverage; "
                    "mark that one as not current first.",
                )
        return data

    def changes_the_question(self) -> bool:
        return self.instance.pk is None or bool(self.ASKED & set(self.changed_data))


class PayerForm(forms.ModelForm):
    network_plan_types = forms.MultipleChoiceField(
        label="In network for",
        choices=PlanType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The plan types the clinic's contract with this payer covers.",
    )

    class Meta:
        model = Payer
        fields = ["name", "payer_id", "in_network", "network_plan_types", "carve_out", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.clinic = clinic
        self.fields["carve_out"].queryset = self._others()

    def clean_name(self):
        value = self.cleaned_data["name"].strip()
        if self._others().filter(name__iexact=value).exists():
            raise forms.ValidationError("The directory already has a payer with this name.")
        return value

    def clean_payer_id(self):
        value = self.cleaned_data["payer_id"].strip()
        if value and not PAYER_ID.fullmatch(value):
            raise forms.ValidationError(
                "A payer ID is letters, digits and hyphens, as the clearinghouse lists it."
            )
        if value and self._others().filter(payer_id=value).exists():
            raise forms.ValidationError("Another payer in the directory has this payer ID.")
        return value

    def _others(self):
        others = Payer.objects.filter(clinic=self.instance.clinic)
        return others.exclude(pk=self.instance.pk) if self.instance.pk else others

    def clean(self):
        data = super().clean()
        if data.get("in_network") and not data.get("network_plan_types"):
            self.add_error("network_plan_types", "Say for which plan types the clinic is in network.")
        if not data.get("in_network"):
            data["network_plan_types"] = []
        return data


class CoverageSettingsForm(forms.ModelForm):
    class Meta:
        model = CoverageSettings
        fields = ["billing_npi", "billing_name", "recheck_after_days", "service_type"]


class RunCheckForm(forms.Form):
    service_type = forms.ChoiceField(label="Ask about", choices=SERVICE_TYPE_CHOICES)


class SendSummaryForm(forms.Form):
    CHANNELS = [("email", "Email"), ("text", "Text message")]
    channel = forms.ChoiceField(label="Send by", choices=CHANNELS, widget=forms.RadioSelect)
    message = forms.CharField(label="Email", widget=forms.Textarea(attrs={"rows": 12}), max_length=1500)
