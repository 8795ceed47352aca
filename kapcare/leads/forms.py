from django import forms
from phonenumber_field.formfields import PhoneNumberField

from kapcare.clinics.models import User
from kapcare.clinics.roles import roles_for
from kapcare.leads.models import Channel, CloseReason, ContactMethod, Kind, LeadSettings, Status
from kapcare.patients.models import Condition, Patient

STATUS_FILTERS = [("open", "Open (new, contacted, scheduled)"), *Status.choices, ("all", "All")]


class InboxFilter(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS, initial="open")
    kind = forms.ChoiceField(required=False, choices=[("", "Any type"), *Kind.choices], label="Type")
    assignee = forms.ChoiceField(
        required=False,
        choices=[("", "Anyone"), ("me", "Me"), ("none", "Unassigned")],
        label="Assigned to",
    )


def inbox_staff(clinic):
    """Members who may work the inbox: the people a lead can be assigned to."""
    roles = [role.value for role in roles_for("leads.manage")]
    return User.objects.filter(
        memberships__clinic=clinic, memberships__is_active=True, memberships__role__in=roles, is_active=True
    ).order_by("full_name")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody")

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = inbox_staff(clinic)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, label) for s, label in Status.choices if s != Status.CONVERTED])
    reason = forms.ChoiceField(
        required=False, choices=[("", "—"), *CloseReason.choices], label="Reason (when closing)"
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Status.CLOSED and not data.get("reason"):
            self.add_error("reason", "Say why the lead is closed.")
        return data


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(choices=[(Channel.EMAIL, "Email"), (Channel.SMS, "Text")], label="Reply by")
    subject = forms.CharField(required=False, max_length=150, help_text="Email only.")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        label="Message",
        help_text="Texts and email are not private: keep health details out; invite them to call or visit.",
    )


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Note")


class BulkCloseForm(forms.Form):
    reason = forms.ChoiceField(choices=CloseReason.choices, initial=CloseReason.SPAM)


class ConvertForm(forms.ModelForm):
    condition = forms.ChoiceField(choices=Condition.choices, label="Main condition for the course")

    class Meta:
        model = Patient
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "phone",
            "email",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}


class CallForm(forms.Form):
    """A call staff took, logged as a lead so it is answered and tracked like the rest."""

    name = forms.CharField(max_length=200, required=False)
    phone = PhoneNumberField(required=False)
    email = forms.EmailField(required=False)
    condition = forms.ChoiceField(
        required=False, choices=[("", "Not said"), *Condition.choices], label="Looking for help with"
    )
    preferred_contact = forms.ChoiceField(
        required=False, choices=[("", "Not said"), *ContactMethod.choices], label="Best way to reach them"
    )
    text_consent = forms.BooleanField(required=False, label="They agreed to be texted")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000, label="What they said")

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            raise forms.ValidationError("Give a phone number or an email address so the clinic can answer.")
        if data.get("text_consent") and not data.get("phone"):
            self.add_error("phone", "A number is needed to text them.")
        return data


class LeadSettingsForm(forms.ModelForm):
    class Meta:
        model = LeadSettings
        fields = ["response_target_hours", "sms_number", "notify_staff"]

    def clean_response_target_hours(self):
        hours = self.cleaned_data["response_target_hours"]
        if not 1 <= hours <= 24 * 14:
            raise forms.ValidationError("Choose between 1 hour and 14 days (336 hours).")
        return hours
