"""The patient's integration journal: prompts tied to their last dosing session."""

from django.utils import timezone

from kapcare.integration import dosing

GENERAL_PROMPTS = [
    "What is on your mind today?",
    "What have you noticed in your daily life since your last session?",
    "What would you like to talk about with your therapist?",
]


def prompts_for(patient, now=None) -> tuple[dosing.Dosing | None, list[str]]:
    """The patient's last dosing session and the prompts that fit the days since it."""
    last = dosing.last_dosing(patient)
    if last is None:
        return None, GENERAL_PROMPTS
    zone = patient.clinic.zone
    day = timezone.localtime(last.at, zone)
    when = f"{day:%A} {day:%B} {day.day}"
    days = (timezone.localdate(now or timezone.now(), zone) - day.date()).days
    prompts = [
        f"What stood out for you from your session on {when}?",
        "What did you feel in your body during or after the session?",
        "Which emotions came up, and where are they now?",
        "Was there an insight or image you want to remember?",
    ]
    if days >= 3:
        prompts.append("What has changed in your days since the session, even a little?")
    prompts.append("What intention would you like to carry into this week?")
    return last, prompts
