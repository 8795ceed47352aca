"""Forms for the dosing session. They validate; the model methods decide."""

from django import forms
from django.utils import timezone

from kapcare.clinics.models import Membership, Room, Site, User
from kapcare.clinics.protocol import setting
from kapcare.clinics.roles import Role
from kapcare.sessions import dissociation
from kapcare.sessions import vitals as plausibility
from kapcare.sessions.discharge import scale_for
from kapcare.sessions.models import (
    AdverseEvent,
    Medication,
    RatingKind,
    RemsForm,
    Setting,
    TemperatureUnit,
)
from kapcare.sessions.models.rems import rems_fields
from kapcare.sessions.models.session import NO_HOME_ADDRESS
from kapcare.sessions.prechecks import Pregnancy
from kapcare.sessions.rules import route_choices
from kapcare.sessions.scheduling import medication_refusal

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def number(label, low, high, required=False, **kwargs):
    return forms.IntegerField(label=label, required=required, min_value=low, max_value=high, **kwargs)


class VitalsFields(forms.Form):
    """Blood pressure, heart rate, SpO2, respiratory rate and (optionally) body temperature, with the
    plausibility checks. The temperature's plausible range is the session protocol's (`rules`)."""

    # Field bounds only stop typing slips (a missing digit); plausibility is judged in clean().
    systolic = number("Systolic (mmHg)", 0, 400)
    diastolic = number("Diastolic (mmHg)", 0, 300)
    heart_rate = number("Heart rate (/min)", 0, 350)
    spo2 = number("SpO2 (%)", 0, 200)
    resp_rate = number("Respiratory rate (/min)", 0, 100)
    temperature = forms.DecimalField(
        label="Temperature", required=False, min_value=0, max_value=120, max_digits=5, decimal_places=2
    )
    temperature_unit = forms.ChoiceField(
        label="Temperature unit",
        choices=TemperatureUnit.choices,
        initial=TemperatureUnit.CELSIUS,
        required=False,
    )
    confirmed_note = forms.CharField(
        label="Confirm an unusual reading as real",
        required=False,
        max_length=300,
        help_text="Only if a value is flagged as unlikely: say why it is real (for example, rechecked).",
    )

    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["temperature_unit"] = data.get("temperature_unit") or TemperatureUnit.CELSIUS
        data["temperature_c"] = (
            None
            if data.get("temperature") is None
            else plausibility.to_celsius(data["temperature"], data["temperature_unit"])
        )
        values = {f: data.get(f) for f in plausibility.FIELDS}
        for problem in plausibility.impossible(values):
            self.add_error(None, problem)
        doubtful = plausibility.implausible(values, self.rules)
        if doubtful and not (data.get("confirmed_note") or "").strip():
            for problem in doubtful:
                self.add_error("confirmed_note", problem)
        self.doubtful = doubtful
        return data

    def values(self) -> dict:
        """What record_vitals takes: each sign, and the unit the temperature was taken in."""
        data = self.cleaned_data
        values = {f: data.get(f) for f in plausibility.FIELDS}
        return values | {"temperature_unit": data.get("temperature_unit")}


class CheckInForm(VitalsFields):
    identity_confirmed = forms.BooleanField(
        label="Identity confirmed (photo ID and date of birth)", required=False
    )
    medications_changed = forms.BooleanField(label="Medications changed since the last visit", required=False)
    medication_changes = forms.CharField(
        label="What changed", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_conditions = forms.BooleanField(
        label="New diagnosis or condition since the evaluation", required=False
    )
    new_conditions_detail = forms.CharField(
        label="Which", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    pregnancy = forms.ChoiceField(
        label="Pregnancy status", choices=Pregnancy.choices, initial=Pregnancy.UNKNOWN
    )
    weight_kg = forms.DecimalField(
        label="Weight today (kg)",
        min_value=20,
        max_value=350,
        decimal_places=1,
        help_text="Between 20 and 350 kg.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("systolic", "diastolic"):
            self.fields[name].required = True

    def clean(self):
        data = super().clean()
        if data.get("medications_changed") and not (data.get("medication_changes") or "").strip():
            self.add_error("medication_changes", "Say which medications changed.")
        if data.get("new_conditions") and not (data.get("new_conditions_detail") or "").strip():
            self.add_error("new_conditions_detail", "Say what is new.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OrderForm(forms.Form):
    route = forms.ChoiceField()
    unit = forms.ChoiceField(choices=[("mg", "mg"), ("mg/kg", "mg/kg of today's weight")])
    amount = forms.DecimalField(min_value=0, max_digits=7, decimal_places=3, label="Amount")

    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = route_choices(rules)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("The dose must be more than 0.")
        return amount


def clinicians(clinic_id):
    return (
        Membership.objects.active()
        .filter(clinic_id=clinic_id, role__in=[Role.NURSE, Role.PRESCRIBER])
        .select_related("user")
        .order_by("user__full_name")
    )


class AdministerForm(forms.Form):
    given_at = forms.DateTimeField(label="Time given", widget=LOCAL_INPUT)
    route = forms.ChoiceField()
    amount_mg = forms.DecimalField(label="Amount (mg)", min_value=0, max_digits=7, decimal_places=2)
    product = forms.CharField(max_length=120, help_text="For example: ketamine HCl 50 mg/mL, 10 mL vial.")
    lot = forms.CharField(label="Lot number", max_length=40)
    verified_by = forms.ModelChoiceField(queryset=None, label="Verified by (a second nurse or prescriber)")

    def __init__(self, *args, rules: dict, clinic_id: int, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = route_choices(rules)
        memberships = clinicians(clinic_id).exclude(user=user)
        self.fields["verified_by"].queryset = User.objects.filter(pk__in=[m.user_id for m in memberships])
        self.fields["verified_by"].label_from_instance = lambda u: u.display_name

    def clean_given_at(self):
        given = self.cleaned_data["given_at"]
        if given > timezone.now():
            raise forms.ValidationError("The time given is in the future.")
        return given


class WasteForm(forms.Form):
    product = forms.CharField(max_length=120)
    amount_mg = forms.DecimalField(label="Amount wasted (mg)", min_value=0.01, max_digits=7, decimal_places=2)
    witness = forms.ModelChoiceField(queryset=None, label="Witness")
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, clinic_id: int, user, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [m.user_id for m in clinicians(clinic_id).exclude(user=user)]
        self.fields["witness"].queryset = User.objects.filter(pk__in=ids)
        self.fields["witness"].label_from_instance = lambda u: u.display_name


class ReceiveForm(forms.Form):
    product = forms.CharField(max_length=120)
    amount_mg = forms.DecimalField(
        label="Amount received (mg)", min_value=0.01, max_digits=10, decimal_places=2
    )
    lot = forms.CharField(label="Lot number", max_length=40)
    note = forms.CharField(required=False, max_length=300)


class VitalsForm(VitalsFields):
    taken_at = forms.DateTimeField(
        label="Taken at", widget=LOCAL_INPUT, required=False, help_text="Leave empty for now."
    )


class RatingForm(forms.Form):
    """A sedation rating (MOAA/S), or a dissociation rating given as a total."""

    kind = forms.ChoiceField(choices=RatingKind.choices)
    score = forms.IntegerField(
        min_value=0, max_value=92, help_text="MOAA/S 0–5; dissociation as the scale counts."
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == RatingKind.SEDATION and data.get("score") is not None and data["score"] > 5:
            self.add_error("score", "MOAA/S runs from 0 to 5.")
        return data


class DissociationForm(forms.Form):
    """A dissociation rating on the protocol's scale, item by item where kapcare knows its items
    (item numbers only: the item text is on the clinic's licensed form)."""

    kind = forms.CharField(widget=forms.HiddenInput, initial=RatingKind.DISSOCIATION)

    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        name = setting(rules, "ratings.dissociation_scale")
        self.scale = dissociation.scale_named(name)
        self.scale_name = self.scale.name if self.scale else name
        if self.scale is None:
            self.fields["score"] = forms.IntegerField(label=f"{name} total", min_value=0)
            return
        for number in self.scale.items:
            self.fields[f"item_{number}"] = forms.IntegerField(
                label=f"Item {number}", min_value=0, max_value=self.scale.item_max
            )

    def clean_kind(self):
        if self.cleaned_data["kind"] != RatingKind.DISSOCIATION:
            raise forms.ValidationError("This form records dissociation.")
        return RatingKind.DISSOCIATION


class NoteForm(forms.Form):
    text = forms.CharField(label="Observation", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class AdverseEventForm(forms.ModelForm):
    onset_at = forms.DateTimeField(label="Onset", widget=LOCAL_INPUT)

    class Meta:
        model = AdverseEvent
        fields = ["kind", "description", "severity", "serious", "action_taken", "outcome", "onset_at"]
        widgets = {"action_taken": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean()
        if data.get("kind") == "other" and not (data.get("description") or "").strip():
            self.add_error("description", "Describe the event.")
        return data


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="Action taken", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ReadyForm(forms.Form):
    """The protocol's discharge score, item by item."""

    def __init__(self, *args, rules: dict, **kwargs):
        super().__init__(*args, **kwargs)
        _, self.scale_label, items = scale_for(rules)
        for name, label, anchors in items:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                coerce=int,
                widget=forms.RadioSelect,
                choices=[
                    (score, f"{score} · {text}") for score, text in sorted(anchors.items(), reverse=True)
                ],
            )


class DischargeForm(forms.Form):
    escort_present = forms.BooleanField(
        label="A responsible adult is here to take the patient home", required=False
    )
    escort_name = forms.CharField(label="Escort's name", required=False, max_length=120)
    instructions_given = forms.BooleanField(
        label="Discharge instructions given: no driving or machinery until the next day after sleep",
        required=False,
    )


class ScheduleForm(forms.Form):
    planned_start = forms.DateTimeField(widget=LOCAL_INPUT)
    setting = forms.ChoiceField(
        choices=Setting.choices,
        initial=Setting.CLINIC,
        required=False,
        help_text="At home only when the signed treatment plan allows it and enough in-clinic "
        "sessions have been discharged.",
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(), required=False, help_text="Leave empty for an at-home session."
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        required=False,
        label="Supervising site",
        help_text="For a session without a room (at home): the site whose team supervises it and "
        "whose board shows it. Defaults to the course's site.",
    )
    home_address = forms.CharField(
        label="Address for an at-home session",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where the patient will be during the session, so the team can send help there in "
        "an emergency. Prefilled from the address on file; not kept for a session in clinic.",
    )
    medication = forms.ChoiceField(choices=Medication.choices)

    def __init__(self, *args, clinic, course=None, address_on_file="", plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        if plan is not None:
            # The signed plan names the drug: offer only it, and say why another is refused.
            field = self.fields["medication"]
            field.choices = [(plan.medication, plan.get_medication_display())]
            field.initial = plan.medication
            field.help_text = "As the signed treatment plan names it."
            other = next(value for value in Medication.values if value != plan.medication)
            field.error_messages["invalid_choice"] = medication_refusal(plan, other)
        self.address_on_file = address_on_file
        self.fields["home_address"].initial = address_on_file
        self.fields["room"].queryset = Room.objects.filter(
            site__clinic=clinic, kind=Room.Kind.DOSING, is_active=True
        ).select_related("site")
        self.fields["site"].queryset = Site.objects.filter(clinic=clinic, is_active=True)

    def clean(self):
        data = super().clean()
        data["setting"] = data.get("setting") or Setting.CLINIC
        room, site = data.get("room"), data.get("site")
        self.clean_home_address_for(data)
        if data.get("setting") == Setting.HOME and room:
            self.add_error("room", "An at-home session takes no room; leave the room empty.")
        elif room:
            if site and site != room.site:
                self.add_error("site", f"{room.name} is at {room.site.name}; choose that site or no site.")
            data["site"] = room.site
        elif site is None:
            sites = list(self.fields["site"].queryset[:2])
            only = sites[0] if len(sites) == 1 else None
            data["site"] = (self.course.site if self.course else None) or only
            if data["site"] is None:
                self.add_error("site", "Choose the site that supervises this session.")
        return data

    def clean_home_address_for(self, data) -> None:
        """The address is kept only for an at-home session. In clinic, the address prefilled from
        the chart is set aside; one typed by hand is refused, since it suggests home was meant."""
        address = data.get("home_address", "").strip()
        if data["setting"] == Setting.HOME:
            if not address:
                self.add_error("home_address", NO_HOME_ADDRESS)
        elif address and one_line(address) != one_line(self.address_on_file):
            self.add_error(
                "home_address",
                "An in-clinic session takes no home address: clear it, or choose At home.",
            )
        else:
            address = ""
        data["home_address"] = address


class HomeAddressForm(forms.Form):
    home_address = forms.CharField(
        label="Address for this at-home session",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the patient will be during the session, so the team can send help there in "
        "an emergency. The address it replaces is kept in the audit trail.",
        error_messages={"required": NO_HOME_ADDRESS},
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


class RemsFormForm(forms.ModelForm):
    class Meta:
        model = RemsForm
        fields = [f.name for f in rems_fields()]
        widgets = {
            "treatment_date": forms.DateInput(attrs={"type": "date"}),
            "setting_address": forms.Textarea(attrs={"rows": 2}),
        }
