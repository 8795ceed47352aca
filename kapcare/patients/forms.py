from django import forms
from django.utils import timezone

from kapcare.clinics.models import Site, User
from kapcare.clinics.roles import Role
from kapcare.patients.models import Course, Patient


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm):
    SECTIONS = [
        (
            "Name and identity",
            [
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "date_of_birth",
                "sex_at_birth",
                "gender_identity",
                "pronouns",
                "preferred_language",
            ],
        ),
        ("Contact", ["phone", "email", "address_line", "city", "state", "postal_code"]),
        (
            "Emergency contact",
            ["emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"],
        ),
    ]

    def sections(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]

    class Meta:
        model = Patient
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "gender_identity",
            "pronouns",
            "phone",
            "email",
            "address_line",
            "city",
            "state",
            "postal_code",
            "preferred_language",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {"date_of_birth": DateInput()}

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if today.year - born.year > 120:
            raise forms.ValidationError("The date of birth is more than 120 years ago; check the year.")
        return born


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["condition", "site", "prescriber", "therapist"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(clinic=clinic, is_active=True)
        members = User.objects.filter(memberships__clinic=clinic, memberships__is_active=True)
        self.fields["prescriber"].queryset = members.filter(memberships__role=Role.PRESCRIBER)
        self.fields["therapist"].queryset = members.filter(memberships__role=Role.THERAPIST)


class TransitionForm(forms.Form):
    to_state = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
