import phonenumbers
from django import forms
from django.contrib.auth import password_validation

from kapcare.clinics.models import Membership, Room, Site, User
from kapcare.clinics.roles import Role
from kapcare.lib.npi import validate_npi


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OneTimeCodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Six-digit code",
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class StaffForm(forms.Form):
    """Add a member of staff to the clinic, or give an existing kapcare user a role in it."""

    email = forms.EmailField()
    full_name = forms.CharField(max_length=200)
    credentials = forms.CharField(max_length=60, required=False, help_text="For example MD, NP, LCSW, RN.")
    npi = forms.CharField(
        label="NPI",
        max_length=10,
        required=False,
        validators=[validate_npi],
        help_text="A clinician's individual NPI, from NPPES; leave blank for non-clinical staff.",
    )
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="A first password; they set up two-factor sign-in when they first sign in.",
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if Membership.objects.filter(clinic=self.clinic, user__email__iexact=email).exists():
            raise forms.ValidationError("This person is already a member of the clinic.")
        return email

    def clean_npi(self):
        # Someone already on kapcare (at another clinic) keeps their own account and its NPI.
        existing = User.objects.filter(email__iexact=self.cleaned_data.get("email", "")).first()
        return unused_npi(self.cleaned_data["npi"], existing)

    def clean(self):
        data = super().clean()
        if data.get("password"):
            candidate = User(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(data["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


def unused_npi(npi: str, user: User | None = None) -> str:
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if npi and others.filter(npi=npi).exists():
        raise forms.ValidationError("Another kapcare account already has this NPI.")
    return npi


class ClinicianForm(forms.ModelForm):
    """A member's professional details: what their notes are signed with and how other systems
    know them (their NPI is their identifier as a FHIR Practitioner)."""

    class Meta:
        model = User
        fields = ["credentials", "npi"]

    def clean_npi(self):
        return unused_npi(self.cleaned_data["npi"], self.instance)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "is_active"]
        labels = {"is_active": "Active member (can sign in to this clinic)"}


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "phone", "time_zone"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["site", "name", "kind"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = clinic.sites.all()


class AlertPhoneForm(forms.Form):
    """A member's own mobile number, for a text when a patient's result raises a safety alert."""

    alert_phone = forms.CharField(
        label="Text me urgent alerts at",
        required=False,
        max_length=30,
        help_text="A mobile number, for example (617) 555-0101. Leave empty for email only.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_alert_phone(self) -> str:
        text = self.cleaned_data["alert_phone"].strip()
        if not text:
            return ""
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(f"{text} is not a phone number that can take a text.")
        kind = phonenumbers.number_type(number)
        if kind not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise forms.ValidationError(f"{text} is not a mobile number: a text would not reach it.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
