from datetime import date, timedelta

from django import forms
from django.utils import timezone

from kapcare.patients.preparation import checklist_items
from kapcare.portal.signin import ContactError, read_contact


class SignInForm(forms.Form):
    contact = forms.CharField(
        label="Email or mobile number",
        max_length=254,
        help_text="The email address or mobile number you gave the clinic.",
        error_messages={"required": "Enter your email address or mobile number."},
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={
            "required": "Enter your date of birth.",
            "invalid": "Enter your date of birth as a date, for example 1984-03-09.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].widget.attrs.update(autocomplete="username", inputmode="email")

    def clean_contact(self):
        try:
            return read_contact(self.cleaned_data["contact"])
        except ContactError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("That date is in the future. Enter your date of birth.")
        return born


class PreparationForm(forms.Form):
    """The preparation checklist: the session day (today or tomorrow, each only if a dosing session
    is booked on it) and every line ticked."""

    session_date = forms.TypedChoiceField(
        label="My session is",
        widget=forms.RadioSelect,
        coerce=date.fromisoformat,
        error_messages={
            "required": "Choose the day of your session.",
            "invalid_choice": (
                "Confirm your preparation the day before a booked dosing session or on the day itself."
            ),
        },
    )

    def __init__(self, *args, today, clinic, booked_days=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = checklist_items(clinic)
        tomorrow = today + timedelta(days=1)
        self.fields["session_date"].choices = [
            (day.isoformat(), f"{name}, {day:%A %B} {day.day}")
            for day, name in ((tomorrow, "Tomorrow"), (today, "Today"))
            if day in booked_days
        ]
        if self.fields["session_date"].choices:
            self.fields["session_date"].initial = self.fields["session_date"].choices[0][0]
        for key, text in self.items:
            self.fields[key] = forms.BooleanField(
                label=text,
                error_messages={
                    "required": (
                        "Tick this line to confirm it. If you cannot, call the clinic before your session."
                    )
                },
            )

    def item_fields(self):
        return [self[key] for key, _ in self.items]
