"""Forms: the questionnaire a patient or member of staff answers, and the staff forms around it.

A questionnaire's questions come from its FHIR Questionnaire where the item text may be shown,
otherwise from the scoring definition (item labels and answer sets, for clinician-rated scales
whose text the clinic holds on paper). Answers are validated item by item against what the item
allows; the scoring engine then refuses anything incomplete, so nothing is stored half-scored.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms

from kapcare.measures.models import Channel, Instrument, SafetyAction, Schedule
from kapcare.measures.questionnaires import is_enabled, parse_questionnaire
from kapcare.measures.scoring import ScoringError


@dataclass
class Question:
    link_id: str
    text: str
    kind: str  # "choice", "integer", "decimal", "boolean", "string", "display"
    options: list[tuple[str, str]] = field(default_factory=list)  # (value as posted, label)
    required: bool = False
    min: object = None
    max: object = None
    prefix: str = ""
    value: str = ""
    errors: list[str] = field(default_factory=list)
    enabled: bool = True
    item: object = None

    @property
    def field_id(self) -> str:
        return "q-" + "".join(c if c.isalnum() else "-" for c in self.link_id).strip("-")

    @property
    def answerable(self) -> bool:
        return self.kind != "display"


def questions_for(instrument: Instrument) -> list[Question]:
    if instrument.questionnaire and instrument.shows_item_text:
        parsed = parse_questionnaire(instrument.questionnaire)
        # Calculated items (an SDC total) are worked out, not asked.
        asked = [i for i in parsed.walk() if i.type != "group" and i.link_id and not i.calculated_expression]
        return [_from_item(item) for item in asked]
    definition = instrument.definition()
    return [
        Question(
            link_id=item.answer_key,
            text=item.label or item.link_id,
            kind="integer" if item.integer_range else "choice",
            options=[(str(o.key), o.display or str(o.key)) for o in item.options],
            required=not item.optional,
            min=item.integer_range[0] if item.integer_range else None,
            max=item.integer_range[1] if item.integer_range else None,
        )
        for item in definition.items
    ]


def _from_item(item) -> Question:
    kind = item.type
    if kind in ("choice", "open-choice", "coding"):
        kind = "choice"
    elif kind in ("text", "string", "url"):
        kind = "string"
    elif kind not in ("integer", "decimal", "boolean", "display"):
        kind = "display"  # dates, attachments and the like are shown but not asked here
    return Question(
        link_id=item.link_id,
        text=item.text or "",
        kind=kind,
        options=[(str(o.key), o.display or str(o.key)) for o in item.options],
        required=item.required and not item.read_only and not item.calculated_expression,
        min=item.min_value,
        max=item.max_value,
        prefix=item.prefix or "",
        item=item,
    )


def read_answers(questions: list[Question], data) -> dict:
    """The answers posted, as the engine reads them ({linkId: code or value}); every value is
    also kept on its question so the form can show it again."""
    answers = {}
    for question in questions:
        if not question.answerable or (question.item and question.item.calculated_expression):
            continue
        raw = (data.get(question.link_id) or "").strip()
        question.value = raw
        if raw == "":
            continue
        value = _convert(question, raw)
        if value is not None:
            answers[question.link_id] = value
    return answers


def _convert(question: Question, raw: str):
    if question.kind == "choice":
        for value, _label in question.options:
            if value == raw:
                option = (
                    next((o for o in question.item.options if str(o.key) == raw), None)
                    if question.item
                    else None
                )
                return option.key if option is not None else _plain(raw)
        question.errors.append("Choose one of the answers shown.")
        return None
    if question.kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        question.errors.append("Answer yes or no.")
        return None
    if question.kind in ("integer", "decimal"):
        return _number(question, raw)
    return raw


def _plain(raw: str):
    return int(raw) if raw.lstrip("-").isdigit() else raw


def _number(question: Question, raw: str):
    try:
        number = Decimal(raw)
    except InvalidOperation:
        question.errors.append("Enter a number.")
        return None
    if question.kind == "integer" and number != number.to_integral_value():
        question.errors.append("Enter a whole number.")
        return None
    if question.min is not None and number < question.min:
        question.errors.append(f"Enter a number no lower than {question.min}.")
        return None
    if question.max is not None and number > question.max:
        question.errors.append(f"Enter a number no higher than {question.max}.")
        return None
    return int(number) if question.kind == "integer" else number


def validate(instrument: Instrument, questions: list[Question], answers: dict) -> bool:
    """Mark what is missing or not allowed on each question; True when nothing is."""
    for question in questions:
        question.enabled = question.item is None or is_enabled(question.item, answers)
        if not question.enabled:
            answers.pop(question.link_id, None)
        elif question.required and question.link_id not in answers and not question.errors:
            question.errors.append("Please answer this question.")
    from kapcare.measures import scoring

    try:
        scoring.score(instrument.definition(), answers)
    except ScoringError as error:
        by_item = error.by_item
        for question in questions:
            if question.enabled and not question.errors and question.link_id in by_item:
                question.errors.extend(_patient_words(m) for m in by_item[question.link_id])
    return not any(q.errors for q in questions)


def _patient_words(message: str) -> str:
    if message == "an answer is required":
        return "Please answer this question."
    return message[0].upper() + message[1:] + "."


def restore(questions: list[Question], answers: dict) -> None:
    """Show saved answers (a draft) on the questions."""
    for question in questions:
        if question.link_id in answers:
            value = answers[question.link_id]
            question.value = ("true" if value else "false") if isinstance(value, bool) else str(value)
        question.enabled = question.item is None or is_enabled(question.item, answers)


class AssignForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.none(), empty_label=None)
    schedules = forms.MultipleChoiceField(
        label="When",
        choices=Schedule.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose when the patient is asked: once now, or on the course's schedule."
        },
    )
    channel = forms.ChoiceField(label="How", choices=Channel.choices)

    def __init__(self, *args, patient, course, clinic_instruments, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient, self.course = patient, course
        self.fields["instrument"].queryset = clinic_instruments
        self.fields["instrument"].initial = clinic_instruments.filter(name="phq-9").first()

    def clean(self):
        data = super().clean()
        schedules, channel = data.get("schedules") or [], data.get("channel")
        if any(s != Schedule.ONCE for s in schedules) and self.course is None:
            self.add_error("schedules", "Only “once, now” is possible: this patient has no open course.")
        instrument = data.get("instrument")
        if (
            instrument is not None
            and channel in (Channel.SMS, Channel.EMAIL)
            and not instrument.shows_item_text
        ):
            self.add_error(
                "channel",
                f"{instrument.title} has no item text installed (its licence is held on paper), "
                "so a patient cannot answer it by link; choose in clinic.",
            )
        if channel == Channel.SMS and not self.patient.phone:
            self.add_error("channel", "The patient has no mobile number on file; choose email or in clinic.")
        if channel == Channel.EMAIL and not self.patient.email:
            self.add_error("channel", "The patient has no email address on file; choose a text or in clinic.")
        return data


class CloseAlertForm(forms.Form):
    action = forms.ChoiceField(
        label="What was done",
        choices=[("", "Choose…"), *SafetyAction.choices],
        error_messages={"required": "Choose what was done about this alert."},
    )
    note = forms.CharField(
        label="Note of the action",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was done: an alert cannot be closed without a note."},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why it is cancelled; the reason is kept in the record."},
    )


# The clinic's settings of an instrument ----------------------------------------------------

RULE_OPERATORS = [
    (">", "above"),
    (">=", "at or above"),
    ("<", "below"),
    ("<=", "at or below"),
    ("==", "equal to"),
]
RULE_LEVELS = [
    ("urgent", "Urgent: raises a safety alert to the care team"),
    ("attention", "Attention: flagged on the result"),
    ("info", "Information: noted on the result"),
]


class ClinicRuleForm(forms.Form):
    """One of the clinic's own flags: a score or an item's score compared with a value."""

    code = forms.SlugField(
        max_length=60, help_text="A short code for reports, such as high-anxiety.", label="Code"
    )
    label = forms.CharField(max_length=300, help_text="What it means, as the care team will read it.")
    level = forms.ChoiceField(choices=RULE_LEVELS)
    target = forms.ChoiceField(label="When", choices=[])
    op = forms.ChoiceField(label="is", choices=RULE_OPERATORS)
    value = forms.DecimalField(label="Value", max_digits=8, decimal_places=2)
    source = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where the rule comes from: a guideline, a study, or the clinic's decision and its date.",
    )

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        scoring = instrument.scoring
        scores = [
            (f"score:{s['id']}", f"the {(s.get('label') or s['id']).lower()} score")
            for s in scoring.get("scores", [])
        ]
        items = [
            (f"item:{i['link_id']}", f"the score of {(i.get('label') or f'item {n}').lower()}")
            for n, i in enumerate(scoring.get("items", []), start=1)
        ]
        self.fields["target"].choices = scores + items

    def rule(self) -> dict:
        data = self.cleaned_data
        kind, name = data["target"].split(":", 1)
        value = data["value"]
        value = int(value) if value == int(value) else float(value)
        return {
            "code": data["code"],
            "label": data["label"].strip(),
            "level": data["level"],
            "when": {kind: name, "op": data["op"], "value": value},
            "source": data["source"].strip(),
        }


class RemoveRuleForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why remove it",
        max_length=500,
        error_messages={"required": "Say why the rule is removed: a safety rule goes only with a reason."},
    )


class ReferenceSDForm(forms.Form):
    sd = forms.DecimalField(
        label="Reference SD",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=7,
        decimal_places=2,
        help_text="Baseline standard deviation of the reference (clinical) sample; empty clears it.",
        error_messages={"min_value": "The reference SD must be above 0."},
    )
    source = forms.CharField(
        label="Source",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The study or sample it comes from, with a link or citation.",
    )

    def clean(self):
        data = super().clean()
        if data.get("sd") is not None and not (data.get("source") or "").strip():
            self.add_error("source", "Say where the reference SD comes from (study, sample, year).")
        return data


NOT_TEXT = "The file is not text (UTF-8); choose the Questionnaire's JSON file."


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Questionnaire file",
        help_text="A FHIR R4 Questionnaire in JSON, such as one exported from LHC-Forms.",
        error_messages={"required": "Choose the Questionnaire's JSON file."},
    )
    name = forms.SlugField(
        label="Store it as",
        required=False,
        max_length=60,
        help_text="Optional: the short name to store it under (default: the instrument's own).",
    )

    MAX_BYTES = 2_000_000

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB; a Questionnaire is far smaller.")
        try:
            resource = json.loads(upload.read().decode("utf-8"))
        except UnicodeDecodeError:
            raise forms.ValidationError(NOT_TEXT) from None
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"The file is not JSON: {error.msg} at line {error.lineno}."
            ) from None
        if not isinstance(resource, dict):
            raise forms.ValidationError("The file holds JSON, but not a FHIR resource (an object).")
        return resource
