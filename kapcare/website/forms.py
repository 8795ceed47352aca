"""The public site's forms: strict validation, a honeypot on each, uploads checked by content."""

import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from kapcare.leads.models import ContactMethod, Relationship
from kapcare.patients.models import Condition
from kapcare.website import screen

# Magic numbers of the files a phone or scanner makes of an insurance card.
SIGNATURES = [
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
]


def sniff(head: bytes) -> str | None:
    """The file type by its first bytes, whatever its name says: jpg, png, webp, heic, pdf or None."""
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "heic"
    return None


class PublicForm(forms.Form):
    """Every public form has a field people never see; bots that fill it are quietly ignored."""

    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class ContactForm(PublicForm):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(required=False)
    phone = PhoneNumberField(required=False, help_text="For example 617 555 0100.")
    preferred_contact = forms.ChoiceField(choices=ContactMethod.choices, label="How should we reach you?")
    preferred_time = forms.CharField(
        max_length=100,
        required=False,
        label="Best time to reach you",
        help_text="For example weekday mornings.",
    )
    condition = forms.ChoiceField(
        required=False,
        choices=[("", "Prefer not to say"), *Condition.choices],
        label="What would you like help with?",
    )
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000, label="Your message")
    text_consent = forms.BooleanField(
        required=False,
        label="You may text me at this number about my enquiry. Reply STOP to any text to stop.",
    )

    def clean(self):
        data = super().clean()
        method = data.get("preferred_contact")
        if method == ContactMethod.EMAIL and not data.get("email"):
            self.add_error("email", "Give an email address, or choose another way to reach you.")
        if method in (ContactMethod.PHONE, ContactMethod.TEXT) and not data.get("phone"):
            self.add_error("phone", "Give a phone number, or choose another way to reach you.")
        if method == ContactMethod.TEXT and not data.get("text_consent"):
            self.add_error("text_consent", "Tick this box so we may text you, or choose another way.")
        if data.get("text_consent") and not data.get("phone"):
            self.add_error("phone", "Give the number we may text.")
        return data


class CardField(forms.FileField):
    """A photo or scan of an insurance card: JPEG, PNG, WebP, HEIC or PDF by content, size-limited."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        limit = settings.WEBSITE_CARD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is larger than {limit // (1024 * 1024)} MB; send a smaller photo."
            )
        head = upload.read(16)
        upload.seek(0)
        kind = sniff(head)
        if kind is None:
            raise forms.ValidationError(
                "This is not a photo or PDF; send a JPEG, PNG, HEIC or PDF of your card."
            )
        upload.name = f"{uuid.uuid4().hex}.{kind}"  # never keep the name the visitor's device gave it
        return upload


class CoverageForm(PublicForm):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(required=False)
    phone = PhoneNumberField(required=False)
    payer = forms.ChoiceField(label="Insurance company")
    payer_other = forms.CharField(max_length=200, required=False, label="Insurance company, if not listed")
    member_id = forms.CharField(max_length=80, label="Member ID")
    group_number = forms.CharField(max_length=80, required=False, label="Group number")
    subscriber_name = forms.CharField(
        max_length=200, label="Subscriber's name", help_text="The person the plan is in."
    )
    subscriber_date_of_birth = forms.DateField(
        label="Subscriber's date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    relationship = forms.ChoiceField(
        choices=Relationship.choices, label="Your relationship to the subscriber"
    )
    card_front = CardField(required=False, label="Photo of the card's front (optional)")
    card_back = CardField(required=False, label="Photo of the card's back (optional)")

    def __init__(self, *args, payers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [
            ("", "Choose…"),
            *[(str(p), p) for p in payers],
            ("other", "Other (type it below)"),
        ]
        accept = "image/jpeg,image/png,image/webp,image/heic,application/pdf"
        for name in ("card_front", "card_back"):
            self.fields[name].widget.attrs["accept"] = accept

    def clean_subscriber_date_of_birth(self):
        born = self.cleaned_data["subscriber_date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Check the year of birth.")
        return born

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            self.add_error(
                "email", "Give an email address or a phone number so we can tell you what we find."
            )
        if data.get("payer") == "other" and not data.get("payer_other", "").strip():
            self.add_error("payer_other", "Type the name of your insurance company.")
        return data

    @property
    def payer_name(self) -> str:
        data = self.cleaned_data
        return data["payer_other"].strip() if data["payer"] == "other" else data["payer"]


class GuideForm(PublicForm):
    email = forms.EmailField(label="Your email address")
    consent = forms.BooleanField(
        label="Email me the guide. We send it once you confirm your address, and nothing else unless you ask."
    )


class ScreenForm(PublicForm):
    """Built from the shipped questionnaires and the safety questions in `screen`."""

    keep = forms.BooleanField(
        required=False,
        label="Keep my answers so the clinic can see them if I get in touch. "
        "Without this, they are not stored.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for item in screen.mood_items():
            fields[item.name] = forms.TypedChoiceField(
                label=item.text, choices=[(str(v), text) for v, text in item.options], coerce=int,
                widget=forms.RadioSelect,
            )  # fmt: skip
        for name, question, _ in screen.SAFETY_QUESTIONS:
            fields[name] = forms.TypedChoiceField(
                label=question, choices=[("0", "No"), ("1", "Yes")], coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )  # fmt: skip
        keep, website = self.fields.pop("keep"), self.fields.pop("website")
        self.fields.update(fields)
        self.fields["keep"], self.fields["website"] = keep, website

    def mood_fields(self):
        return [self[item.name] for item in screen.mood_items() if item.name != "self_harm"]

    def safety_fields(self):
        return [self["self_harm"]] + [self[name] for name, _, _ in screen.SAFETY_QUESTIONS]


class ScreenContactForm(PublicForm):
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(required=False)
    phone = PhoneNumberField(required=False)
    preferred_contact = forms.ChoiceField(choices=ContactMethod.choices[:2], label="How should we reach you?")

    def clean(self):
        data = super().clean()
        if data.get("preferred_contact") == ContactMethod.EMAIL and not data.get("email"):
            self.add_error("email", "Give an email address, or choose a phone call.")
        if data.get("preferred_contact") == ContactMethod.PHONE and not data.get("phone"):
            self.add_error("phone", "Give a phone number, or choose email.")
        return data
