"""Forms of the preparation phase. They validate; models and views do the rest.

`PatientHistoryForm` is the history part the patient fills in the portal ahead of the visit;
`save_patient_history` stores it as reported by the patient, awaiting clinician review.
"""

import json
from decimal import Decimal
from pathlib import Path

from django import forms
from django.db import transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.evaluation.history import MEDICAL, PSYCHIATRIC
from kapcare.evaluation.models import (
    Allergy,
    Diagnosis,
    Evaluation,
    MeasuresSchedule,
    Medication,
    Outcome,
    PlanDoseUnit,
    PlanMedication,
    Route,
    esketamine_refusals,
)

VITALS = ["evaluated_on", "systolic_bp", "diastolic_bp", "heart_rate", "weight_kg", "height_cm"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class YesNo(forms.NullBooleanSelect):
    def __init__(self, attrs=None, blank="Not asked yet"):
        super().__init__(attrs)
        self.choices = [("unknown", blank), ("true", "Yes"), ("false", "No")]


def sections_of(form, sections):
    return [(legend, [form[name] for name in names]) for legend, names in sections]


def label_blank_choices(form, label: str) -> None:
    """Say what an unanswered question means, in the same words for every question."""
    for field in form.fields.values():
        choices = list(getattr(field, "choices", []))
        if choices and choices[0][0] == "" and not isinstance(field, forms.MultipleChoiceField):
            field.choices = [("", label), *choices[1:]]


class EvaluationForm(forms.ModelForm):
    SECTIONS = [
        ("Presenting problems", ["presenting_problems"]),
        ("Psychiatric history", PSYCHIATRIC),
        ("Medical history", [*MEDICAL, "other_history"]),
        ("Vital signs, weight and height", VITALS),
        ("In the patient's words", ["goals", "prior_treatments", "medications_reported"]),
    ]

    class Meta:
        model = Evaluation
        fields = [
            "presenting_problems",
            *PSYCHIATRIC,
            *MEDICAL,
            "other_history",
            *VITALS,
            "goals",
            "prior_treatments",
            "medications_reported",
        ]
        widgets = {
            "evaluated_on": DateInput(),
            "last_suicide_attempt": DateInput(),
            "presenting_problems": forms.Textarea(attrs={"rows": 2}),
            "other_history": forms.Textarea(attrs={"rows": 2}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "prior_treatments": forms.Textarea(attrs={"rows": 2}),
            "medications_reported": forms.Textarea(attrs={"rows": 2}),
        } | {
            name: YesNo()
            for name in PSYCHIATRIC + MEDICAL
            if Evaluation._meta.get_field(name).null
            and Evaluation._meta.get_field(name).get_internal_type() == "BooleanField"
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_blank_choices(self, "Not asked yet")

    def sections(self):
        return sections_of(self, self.SECTIONS)


class DiagnosisForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = ["code"]
        widgets = {
            "code": forms.TextInput(attrs={"autocomplete": "off", "placeholder": "code or words, e.g. F33.2"})
        }


class MedicationForm(forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["name", "drug_class", "dose", "unit", "frequency"]
        help_texts = {"unit": "", "frequency": ""}
        widgets = {"frequency": forms.TextInput(attrs={"placeholder": "twice a day"})}


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction"]


def formset(model, form, extra):
    return forms.inlineformset_factory(Evaluation, model, form=form, extra=extra, can_delete=True)


DiagnosisFormSet = formset(Diagnosis, DiagnosisForm, 2)
MedicationFormSet = formset(Medication, MedicationForm, 2)
AllergyFormSet = formset(Allergy, AllergyForm, 1)


class EvaluationForms:
    """The evaluation form and its three lists, validated and saved together."""

    def __init__(self, evaluation: Evaluation, data=None, frozen: bool = False):
        self.frozen = frozen
        self.form = EvaluationForm(data, instance=evaluation)
        self.diagnoses = DiagnosisFormSet(data, instance=evaluation, prefix="diagnoses")
        self.medications = MedicationFormSet(data, instance=evaluation, prefix="medications")
        self.allergies = AllergyFormSet(data, instance=evaluation, prefix="allergies")
        if frozen:
            # Shown as the decision's evidence, read only, with no empty rows to fill.
            for formset in self.formsets:
                formset.extra = 0
            for form in [self.form, *(f for fs in self.formsets for f in fs.forms)]:
                for field in form.fields.values():
                    field.disabled = True

    @property
    def formsets(self):
        return [self.diagnoses, self.medications, self.allergies]

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *[f.is_valid() for f in self.formsets]])

    def save(self, *, by) -> Evaluation:
        with transaction.atomic():
            evaluation = self.form.save(commit=False)
            evaluation.updated_by = by
            evaluation.save()
            for formset in self.formsets:
                formset.instance = evaluation
                formset.save()
        return evaluation

    def rows(self, formset, model):
        """The rows as they stand in the form, unsaved, for live screening."""
        kept = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE"):
                kept.append(
                    model(**{k: v for k, v in data.items() if k in {f.name for f in model._meta.fields}})
                )
        return kept


class PatientHistoryForm(forms.ModelForm):
    """The history part of the evaluation, in plain words, for the patient to fill in the portal."""

    SECTIONS = [
        ("Your mental health", PSYCHIATRIC),
        ("Your physical health", MEDICAL),
        ("Medicines and goals", ["medications_reported", "prior_treatments", "goals"]),
    ]

    class Meta:
        model = Evaluation
        fields = [*PSYCHIATRIC, *MEDICAL, "medications_reported", "prior_treatments", "goals"]
        labels = {
            "psychosis": "Have you had psychotic symptoms (hearing or seeing things others do not)?",
            "schizophrenia": "Have you been diagnosed with schizophrenia?",
            "bipolar_disorder": "Have you been diagnosed with bipolar disorder?",
            "mania": "Have you had manic episodes?",
            "substance_use": "Have you had a problem with alcohol or drugs?",
            "ketamine_misuse": "Have you used ketamine outside medical care?",
            "suicide_attempt": "Have you ever tried to end your life?",
            "last_suicide_attempt": "If so, when was the most recent time?",
            "self_harm": "Have you hurt yourself on purpose?",
            "suicidal_thoughts_last_2_weeks": (
                "In the last two weeks, have you had thoughts of ending your life?"
            ),
            "medications_reported": "Which medicines do you take now, with their doses?",
            "prior_treatments": "Which treatments have you tried before?",
            "goals": "What do you hope to get from this treatment?",
            "hypertension": "Do you have high blood pressure?",
            "cardiovascular_disease": "Do you have heart disease?",
            "cerebrovascular_disease": "Have you had a stroke?",
            "aneurysm_or_avm": "Have you been told you have an aneurysm or a malformed blood vessel (AVM)?",
            "intracerebral_haemorrhage": "Have you had bleeding in the brain?",
            "raised_intracranial_pressure": "Have you been told the pressure in your head is raised?",
            "raised_intraocular_pressure": "Do you have glaucoma or raised pressure in your eyes?",
            "hepatic_impairment": "Do you have liver disease?",
            "pregnant": "Are you pregnant, or could you be?",
            "lactating": "Are you breastfeeding?",
            "interstitial_cystitis": "Do you have a bladder condition such as interstitial cystitis?",
            "seizures": "Have you had seizures or epilepsy?",
            "hyperthyroidism": "Do you have an overactive thyroid?",
        }
        help_texts = {"medications_reported": "Name, dose and how often, one per line."}
        widgets = EvaluationForm.Meta.widgets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_blank_choices(self, "Choose an answer")
        for field in self.fields.values():
            if isinstance(field.widget, YesNo):
                field.widget = YesNo(blank="Choose an answer")

    def sections(self):
        return sections_of(self, self.SECTIONS)


def save_patient_history(course, form: PatientHistoryForm, *, request=None) -> Evaluation:
    """Store a valid PatientHistoryForm for the course's evaluation as reported by the patient,
    awaiting clinician review. Build the form with `instance=history_instance(course)`."""
    with transaction.atomic():
        evaluation = form.save(commit=False)
        evaluation.reported_by_patient_at = timezone.now()
        evaluation.save()
        record(
            request,
            "update",
            evaluation,
            patient=course.patient_id,
            clinic=course.clinic_id,
            actor=getattr(request, "audit_actor", None) or f"patient {course.patient_id}",
            detail={"reported_by": "patient", "fields": form.changed_data},
        )
    return evaluation


def history_instance(course) -> Evaluation:
    """The course's evaluation to fill, new if there is none yet."""
    existing = Evaluation.objects.filter(course=course).first()
    return existing or Evaluation(clinic_id=course.clinic_id, course=course, patient_id=course.patient_id)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Reasoning", widget=forms.Textarea(attrs={"rows": 3}), help_text="What the decision rests on."
    )
    override_reason = forms.CharField(
        label="Reason for overriding an exclusion",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed only to mark eligible despite an exclusion finding; the record is flagged.",
    )


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 2}))


def instrument_choices() -> list[tuple[str, str]]:
    folder = Path(__file__).resolve().parent.parent / "measures" / "instruments"
    names = sorted(p.name.removesuffix(".scoring.json") for p in folder.glob("*.scoring.json"))
    return [(name, name.upper()) for name in names]


class PlanForm(forms.Form):
    target_conditions = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    target_measures = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=instrument_choices
    )
    measures_schedule = forms.ChoiceField(
        choices=MeasuresSchedule.choices,
        help_text="During the course. When the course starts the patient is also asked 1, 3 and 6 months "
        "after it ends.",
    )
    medication = forms.ChoiceField(
        choices=PlanMedication.choices,
        initial=PlanMedication.KETAMINE,
        required=False,  # left out, it is racemic ketamine, as every plan was before esketamine
        help_text="Esketamine (Spravato) is a nasal spray in 28 mg devices, given in clinic only "
        "(SPRAVATO REMS).",
    )
    route = forms.ChoiceField(choices=Route.choices)
    dose_amount = forms.DecimalField(label="Dose", max_digits=7, decimal_places=2, min_value=Decimal("0.01"))
    dose_unit = forms.ChoiceField(choices=PlanDoseUnit.choices)
    weight_kg = forms.DecimalField(
        label="Today's weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=Evaluation._meta.get_field("weight_kg").validators,
        required=False,  # racemic ketamine's dose needs it (clean); esketamine's is not by weight
        help_text="For racemic ketamine: its dose is checked against the weight. Not needed for esketamine.",
    )
    dosing_sessions = forms.IntegerField(label="Number of dosing sessions", min_value=1, max_value=52)
    cadence_days = forms.IntegerField(label="Days between dosing sessions", min_value=1, max_value=90)
    integration_sessions_after_each = forms.IntegerField(
        label="Integration sessions after each dosing session", min_value=0, max_value=5
    )
    integration_within_hours = forms.IntegerField(label="Integration within (hours)", min_value=1)
    at_home_allowed = forms.BooleanField(label="At-home sessions allowed", required=False)
    at_home_after_sessions = forms.IntegerField(
        label="At home only after this many in-clinic sessions", min_value=1, required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    SECTIONS = [
        ("What is treated and measured", ["target_conditions", "target_measures", "measures_schedule"]),
        ("Medication, route and dose", ["medication", "route", "dose_amount", "dose_unit", "weight_kg"]),
        (
            "Sessions",
            [
                "dosing_sessions",
                "cadence_days",
                "integration_sessions_after_each",
                "integration_within_hours",
                "at_home_allowed",
                "at_home_after_sessions",
                "notes",
            ],
        ),
    ]

    def __init__(self, *args, diagnoses, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.esketamine_problems = []
        self.fields["target_conditions"].choices = [(d.code, f"{d.code} {d.description}") for d in diagnoses]
        self.window = rules["integration"]["within_hours"]["value"]
        self.fields["integration_within_hours"].help_text = f"The protocol's window is {self.window} hours."

    def sections(self):
        return sections_of(self, self.SECTIONS)

    def clean_integration_within_hours(self):
        hours = self.cleaned_data["integration_within_hours"]
        if hours > self.window:
            raise forms.ValidationError(
                f"The protocol's integration window is {self.window} hours; choose {self.window} or fewer."
            )
        return hours

    def clean_medication(self):
        return self.cleaned_data["medication"] or PlanMedication.KETAMINE

    def clean(self):
        data = super().clean()
        if data.get("at_home_allowed") and not data.get("at_home_after_sessions"):
            self.add_error(
                "at_home_after_sessions", "Say after how many in-clinic sessions at-home sessions may start."
            )
        if not data.get("at_home_allowed"):
            data["at_home_after_sessions"] = None
        self.esketamine_problems = []
        if data.get("medication") != PlanMedication.ESKETAMINE and data.get("weight_kg") is None:
            if "weight_kg" not in self.errors:
                self.add_error(
                    "weight_kg",
                    "Enter today's weight: a racemic ketamine dose is checked against the protocol's "
                    "limits per kg.",
                )
        if data.get("medication") == PlanMedication.ESKETAMINE:
            # Read before add_error drops the fields at fault from cleaned_data.
            refusals = esketamine_refusals(
                data.get("route"), data.get("dose_unit"), data.get("dose_amount"), data.get("at_home_allowed")
            )
            for field, message in refusals.items():
                self.add_error(field, message)
            self.esketamine_problems = list(refusals.values())
        return data


class ProtocolForm(forms.Form):
    rules = forms.CharField(
        label="Protocol rules (JSON)", widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"})
    )
    note = forms.CharField(label="What changed", max_length=300)

    def clean_rules(self):
        from kapcare.clinics.protocol import validate_rules

        try:
            rules = json.loads(self.cleaned_data["rules"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        errors = validate_rules(rules)
        if errors:
            raise forms.ValidationError(errors)
        return rules
