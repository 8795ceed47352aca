from django import forms
from django.utils import timezone

from kapcare.integration.models import (
    Goal,
    IntegrationSettings,
    JournalEntry,
    Kind,
    Mode,
    Mood,
    Progress,
    ProgressNote,
    PsychotherapyNote,
    TherapySession,
)


class ScheduleForm(forms.ModelForm):
    scheduled_at = forms.DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = TherapySession
        fields = [
            "kind",
            "follows_dosing",
            "scheduled_at",
            "duration_minutes",
            "therapist",
            "mode",
            "video_url",
        ]
        labels = {"duration_minutes": "Length (minutes)", "video_url": "Video link (for a video session)"}

    def __init__(self, *args, therapists, dosings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        labels = {d.id: f"Dosing session {d.number}, {timezone.localtime(d.at):%b %-d, %Y}" for d in dosings}
        field = self.fields["follows_dosing"]
        field.label, field.required = "Follows dosing session", False
        field.empty_label = "None (a preparation session)"
        # Only this course's dosing sessions that took place, newest first.
        field.queryset = field.queryset.model.objects.filter(pk__in=list(labels)).order_by("-planned_start")
        field.label_from_instance = lambda session: labels[session.pk]

    def clean(self):
        data = super().clean()
        if data.get("mode") == Mode.VIDEO and not data.get("video_url"):
            self.add_error("video_url", "A video session needs the link the patient will open.")
        if data.get("kind") == Kind.PREPARATION and data.get("follows_dosing"):
            self.add_error("follows_dosing", "A preparation session does not follow a dosing session.")
        if (
            data.get("kind") == Kind.INTEGRATION
            and not data.get("follows_dosing")
            and self.fields["follows_dosing"].queryset.exists()
        ):
            self.add_error("follows_dosing", "Choose the dosing session this integration session follows.")
        return data


NOTE_FIELDS = [
    "dosing_experience",
    "insights",
    "emotions",
    "body_experience",
    "themes",
    "observations",
    "assessment",
    "risk_review",
    "intentions",
    "next_steps",
]
# Which fields sit under which heading, per template. The fields are the same; the headings are
# how the clinic's notes read.
SECTIONS = {
    "dap": [
        ("Data", ["dosing_experience", "insights", "emotions", "body_experience", "themes", "observations"]),
        ("Assessment", ["assessment", "risk_review"]),
        ("Plan", ["intentions", "next_steps"]),
    ],
    "soap": [
        ("Subjective", ["dosing_experience", "insights", "emotions", "body_experience", "themes"]),
        ("Objective", ["observations"]),
        ("Assessment", ["assessment", "risk_review"]),
        ("Plan", ["intentions", "next_steps"]),
    ],
}


class ProgressNoteForm(forms.ModelForm):
    class Meta:
        model = ProgressNote
        fields = NOTE_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in NOTE_FIELDS}
        help_texts = {
            "risk_review": (
                "Required to sign: suicidal thoughts, self-harm, safety since the session, and the plan."
            ),
            "observations": "",
        }

    def __init__(self, *args, goals=(), ratings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        ratings = ratings or {}
        for goal in self.goals:
            self.fields[f"goal_{goal.pk}"] = forms.TypedChoiceField(
                label=goal.text,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "Not rated today")] + list(Progress.choices),
                initial=ratings.get(goal.pk),
            )

    def sections(self, note_format: str):
        return [(title, [self[name] for name in names]) for title, names in SECTIONS[note_format]]

    def goal_fields(self):
        return [self[f"goal_{goal.pk}"] for goal in self.goals]

    def ratings(self) -> dict[int, int | None]:
        return {goal.pk: self.cleaned_data.get(f"goal_{goal.pk}") for goal in self.goals}


class AmendmentForm(forms.Form):
    text = forms.CharField(label="Correction or addition", widget=forms.Textarea(attrs={"rows": 4}))


class PsychotherapyNoteForm(forms.ModelForm):
    class Meta:
        model = PsychotherapyNote
        fields = ["text"]
        labels = {"text": "Psychotherapy note (private to you)"}
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}


class GoalForm(forms.Form):
    text = forms.CharField(label="New goal, in the patient's words", max_length=300)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if Goal.objects.filter(course=self.course, text=text).exists():
            raise forms.ValidationError("This goal is already on the list.")
        return text


class SettingsForm(forms.ModelForm):
    class Meta:
        model = IntegrationSettings
        fields = ["note_format"]
        labels = {"note_format": "Progress note template"}
        widgets = {"note_format": forms.RadioSelect}


class JournalForm(forms.ModelForm):
    mood = forms.TypedChoiceField(
        label="How is your mood? (optional)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Rather not say")] + list(Mood.choices),
        widget=forms.RadioSelect,
    )
    share = forms.BooleanField(label="Share this entry with my therapist", required=False)

    class Meta:
        model = JournalEntry
        fields = ["prompt", "text", "mood"]
        labels = {"text": "Your entry", "prompt": "Prompt"}
        widgets = {"text": forms.Textarea(attrs={"rows": 8}), "prompt": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = "Write something before saving."
