"""The am-I-a-candidate self-screen: PHQ-2, GAD-2, one question on self-harm, and the main
reasons ketamine may be unsafe. Its answer is never a diagnosis: "worth a conversation", "talk to
your doctor first", or crisis resources when self-harm is endorsed.

The mood and anxiety items, their answer options and weights are read from the licensed-to-ship
questionnaires in kapcare/measures/instruments, so the wording is exactly the published one.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INSTRUMENTS = Path(__file__).resolve().parent.parent / "measures" / "instruments"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

# (field name, instrument file, linkId): PHQ-2 is PHQ-9 items 1-2; GAD-2 is GAD-7 items 1-2;
# PHQ-9 item 9 asks about thoughts of death or self-harm (instruments.md §1.1, §1.2, §1.3).
MOOD_ITEMS = [
    ("phq_1", "phq-2", "/44250-9"),
    ("phq_2", "phq-2", "/44255-8"),
    ("gad_1", "gad-7", "/69725-0"),
    ("gad_2", "gad-7", "/68509-9"),
    ("self_harm", "phq-9", "/44260-8"),
]

# The main reasons ketamine may be unsafe or need a doctor's review first (clinical.md §4.5, §2.4):
# (field name, question, what staff see when the answer is yes).
SAFETY_QUESTIONS = [
    ("psychosis", "Have you ever been diagnosed with schizophrenia or another psychotic illness, or do you "
     "hear or see things that other people do not?", "psychosis or schizophrenia"),
    ("mania", "Have you ever had a manic episode, or been told you have bipolar disorder?",
     "mania or bipolar"),
    ("heart", "Do you have high blood pressure that is not under control, or heart disease, or have you had "
     "a heart attack or stroke?", "blood pressure or heart disease"),
    ("brain_vessels", "Have you ever had an aneurysm, an arteriovenous malformation (AVM) or bleeding in "
     "the brain?", "aneurysm, AVM or brain bleed"),
    ("pregnancy", "Are you pregnant, trying to become pregnant, or breastfeeding?",
     "pregnancy or breastfeeding"),
    ("substances", "Are you currently dependent on alcohol or drugs, or have you ever had problems with "
     "ketamine or opioids?", "substance use"),
    ("allergy", "Have you ever had an allergic reaction to ketamine?", "ketamine allergy"),
    ("other_health", "Do you have liver disease, an overactive thyroid, glaucoma, epilepsy or bladder "
     "problems?", "liver, thyroid, eye, seizure or bladder condition"),
    ("under_18", "Are you under 18?", "under 18"),
]  # fmt: skip

# Changes whenever the questions do, so a cached rendering of the empty form is never stale.
VERSION = hashlib.sha256(repr((MOOD_ITEMS, SAFETY_QUESTIONS)).encode()).hexdigest()[:12]

WORTH_A_CONVERSATION = "worth_a_conversation"
DOCTOR_FIRST = "doctor_first"
CRISIS = "crisis"
OUTCOME_LABELS = {
    WORTH_A_CONVERSATION: "Worth a conversation",
    DOCTOR_FIRST: "Talk to your doctor first",
    CRISIS: "Crisis resources shown",
}


@dataclass(frozen=True)
class Item:
    name: str
    text: str
    options: tuple[tuple[int, str], ...]


@cache
def _questionnaire(name: str) -> dict:
    return json.loads((INSTRUMENTS / f"{name}.questionnaire.json").read_text())


def _find(items: list, link_id: str) -> dict:
    for item in items:
        if item["linkId"] == link_id:
            return item
        found = _find(item.get("item", []), link_id) if item.get("item") else None
        if found:
            return found
    return {}


@cache
def mood_items() -> tuple[Item, ...]:
    result = []
    for name, instrument, link_id in MOOD_ITEMS:
        raw = _find(_questionnaire(instrument)["item"], link_id)
        options = tuple(
            (int(next(e["valueDecimal"] for e in option["extension"] if e["url"] == ORDINAL)),
             option["valueCoding"]["display"])
            for option in raw["answerOption"]
        )  # fmt: skip
        result.append(Item(name=name, text=raw["text"], options=options))
    return tuple(result)


def stem() -> str:
    return _find(_questionnaire("phq-2")["item"], "phq-2/stem")["text"]


@dataclass(frozen=True)
class Result:
    outcome: str
    phq2: int
    gad2: int
    flags: tuple[str, ...]
    low_mood: bool
    anxiety: bool | None

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def summary(self) -> dict:
        """What a lead keeps of the screen, for staff: totals, the answer shown, and the yes answers."""
        return {
            "phq2": self.phq2,
            "gad2": self.gad2,
            "outcome": self.outcome,
            "outcome_label": self.label,
            "flags": list(self.flags),
        }


def assess(answers: dict, *, phq2_cutoff: int, gad2_cutoff: int | None) -> Result:
    """The non-diagnostic answer: crisis first, then safety, then 'worth a conversation'."""
    phq2 = answers["phq_1"] + answers["phq_2"]
    gad2 = answers["gad_1"] + answers["gad_2"]
    flags = tuple(label for name, _, label in SAFETY_QUESTIONS if answers.get(name))
    # Any answer above "not at all" on the self-harm item needs a person, now (instruments.md §1.1).
    if answers["self_harm"] > 0:
        outcome = CRISIS
    elif flags:
        outcome = DOCTOR_FIRST
    else:
        outcome = WORTH_A_CONVERSATION
    return Result(
        outcome=outcome,
        phq2=phq2,
        gad2=gad2,
        flags=flags,
        low_mood=phq2 >= phq2_cutoff,
        anxiety=None if gad2_cutoff is None else gad2 >= gad2_cutoff,
    )
