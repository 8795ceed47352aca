"""Each default screening rule, case by case at its edge: the case that just triggers it and the
case that just does not. Test ids state the clinical case."""

from datetime import date, timedelta

import pytest

from kapcare.clinics.protocol import default_rules
from kapcare.evaluation.screening import DocumentError, screen_document
from kapcare.evaluation.tests.factories import CLEAN_HISTORY

EVALUATED = date(2026, 11, 20)


def clean(**changes) -> dict:
    document = {k: float(v) if not isinstance(v, bool | int | str) else v for k, v in CLEAN_HISTORY.items()}
    document |= {"evaluated_on": EVALUATED.isoformat(), "date_of_birth": "1984-03-09", "phq9_item9": 0}
    return document | changes


def med(drug_class: str, name: str = "a medicine") -> dict:
    return {"medications": [{"name": name, "class": drug_class, "dose": 1, "unit": "mg"}]}


def days_ago(n: int) -> str:
    return (EVALUATED - timedelta(days=n)).isoformat()


# (clinical case, changes to a clean evaluation, rule, whether it fires)
CASES = [
    ("17-year-old is excluded", {"date_of_birth": "2008-11-21"}, "under-18", True),
    ("18th birthday on the day is not excluded for age", {"date_of_birth": "2008-11-20"}, "under-18", False),
    ("aneurysm or AVM is excluded", {"aneurysm_or_avm": True}, "aneurysm-or-avm", True),
    ("no aneurysm is not excluded", {"aneurysm_or_avm": False}, "aneurysm-or-avm", False),
    (
        "past intracerebral haemorrhage is excluded",
        {"intracerebral_haemorrhage": True},
        "intracerebral-haemorrhage",
        True,
    ),
    (
        "no intracerebral haemorrhage",
        {"intracerebral_haemorrhage": False},
        "intracerebral-haemorrhage",
        False,
    ),
    (
        "ketamine allergy is excluded",
        {"allergies": [{"substance": "Ketamine", "reaction": "hives"}]},
        "ketamine-allergy",
        True,
    ),
    (
        "esketamine allergy is excluded",
        {"allergies": [{"substance": "esketamine (Spravato)"}]},
        "ketamine-allergy",
        True,
    ),
    (
        "penicillin allergy is not a ketamine allergy",
        {"allergies": [{"substance": "penicillin"}]},
        "ketamine-allergy",
        False,
    ),
    ("current psychosis is excluded", {"psychosis": "current"}, "active-psychosis", True),
    ("schizophrenia is excluded", {"schizophrenia": True}, "active-psychosis", True),
    ("past psychosis is not an exclusion", {"psychosis": "past"}, "active-psychosis", False),
    ("current mania is excluded", {"mania": "current"}, "active-mania", True),
    ("past mania is not an exclusion", {"mania": "past"}, "active-mania", False),
    ("active substance use disorder is excluded", {"substance_use": "current"}, "active-substance-use", True),
    ("current ketamine misuse is excluded", {"ketamine_misuse": "current"}, "active-substance-use", True),
    ("past substance use is not an exclusion", {"substance_use": "past"}, "active-substance-use", False),
    ("pregnancy is excluded", {"pregnant": True}, "pregnancy-or-lactation", True),
    ("breastfeeding is excluded", {"lactating": True}, "pregnancy-or-lactation", True),
    ("not pregnant nor breastfeeding", {}, "pregnancy-or-lactation", False),
    (
        "severe liver impairment is excluded",
        {"hepatic_impairment": "severe"},
        "severe-hepatic-impairment",
        True,
    ),
    (
        "moderate liver impairment is not excluded",
        {"hepatic_impairment": "moderate"},
        "severe-hepatic-impairment",
        False,
    ),
    (
        "raised intracranial pressure is excluded",
        {"raised_intracranial_pressure": True},
        "raised-intracranial-pressure",
        True,
    ),
    (
        "no raised intracranial pressure",
        {"raised_intracranial_pressure": False},
        "raised-intracranial-pressure",
        False,
    ),
    (
        "uncontrolled hypertension needs clearance",
        {"hypertension": "uncontrolled"},
        "uncontrolled-hypertension",
        True,
    ),
    (
        "controlled hypertension needs no clearance",
        {"hypertension": "controlled"},
        "uncontrolled-hypertension",
        False,
    ),
    (
        "systolic 141 needs clearance",
        {"systolic_bp": 141, "diastolic_bp": 80},
        "blood-pressure-high-at-evaluation",
        True,
    ),
    (
        "diastolic 91 needs clearance",
        {"systolic_bp": 130, "diastolic_bp": 91},
        "blood-pressure-high-at-evaluation",
        True,
    ),
    (
        "exactly 140/90 needs no clearance",
        {"systolic_bp": 140, "diastolic_bp": 90},
        "blood-pressure-high-at-evaluation",
        False,
    ),
    (
        "blood pressure not taken fires nothing",
        {"systolic_bp": None, "diastolic_bp": None},
        "blood-pressure-high-at-evaluation",
        False,
    ),
    (
        "unstable heart disease needs clearance",
        {"cardiovascular_disease": "unstable"},
        "unstable-cardiovascular-disease",
        True,
    ),
    (
        "recent stroke needs clearance",
        {"cerebrovascular_disease": "recent"},
        "unstable-cardiovascular-disease",
        True,
    ),
    (
        "stable heart disease needs no clearance",
        {"cardiovascular_disease": "stable"},
        "unstable-cardiovascular-disease",
        False,
    ),
    ("glaucoma needs clearance", {"raised_intraocular_pressure": True}, "raised-intraocular-pressure", True),
    ("no glaucoma", {"raised_intraocular_pressure": False}, "raised-intraocular-pressure", False),
    (
        "untreated hyperthyroidism needs clearance",
        {"hyperthyroidism": "untreated"},
        "untreated-hyperthyroidism",
        True,
    ),
    (
        "treated hyperthyroidism needs no clearance",
        {"hyperthyroidism": "treated"},
        "untreated-hyperthyroidism",
        False,
    ),
    ("recent seizures need clearance", {"seizures": "recent"}, "recent-seizures", True),
    ("seizures long ago need no clearance", {"seizures": "past"}, "recent-seizures", False),
    ("PHQ-9 item 9 answered 1 needs a risk assessment", {"phq9_item9": 1}, "phq9-item9-positive", True),
    ("PHQ-9 item 9 answered 0 needs none", {"phq9_item9": 0}, "phq9-item9-positive", False),
    ("no PHQ-9 on file fires nothing", {"phq9_item9": None}, "phq9-item9-positive", False),
    (
        "suicidal thoughts in the last two weeks need a risk assessment",
        {"suicidal_thoughts_last_2_weeks": True},
        "recent-suicidal-thoughts",
        True,
    ),
    (
        "no suicidal thoughts in the last two weeks",
        {"suicidal_thoughts_last_2_weeks": False},
        "recent-suicidal-thoughts",
        False,
    ),
    (
        "suicide attempt 365 days ago needs a risk assessment",
        {"suicide_attempt": True, "last_suicide_attempt": days_ago(365)},
        "recent-suicide-attempt",
        True,
    ),
    (
        "suicide attempt 366 days ago is outside the window",
        {"suicide_attempt": True, "last_suicide_attempt": days_ago(366)},
        "recent-suicide-attempt",
        False,
    ),
    ("current self-harm needs a risk assessment", {"self_harm": "current"}, "current-self-harm", True),
    (
        "past self-harm needs no risk assessment by this rule",
        {"self_harm": "past"},
        "current-self-harm",
        False,
    ),
    ("benzodiazepine is a caution", med("benzodiazepine", "clonazepam"), "benzodiazepines", True),
    ("an SSRI is not a benzodiazepine caution", med("ssri", "sertraline"), "benzodiazepines", False),
    ("lamotrigine is a caution", med("lamotrigine", "lamotrigine"), "lamotrigine", True),
    ("lithium is not a lamotrigine caution", med("mood_stabilizer", "lithium"), "lamotrigine", False),
    ("an MAOI is a blood-pressure caution", med("maoi", "phenelzine"), "maoi", True),
    ("no MAOI", med("snri", "venlafaxine"), "maoi", False),
    ("a stimulant is a blood-pressure caution", med("stimulant", "methylphenidate"), "stimulants", True),
    ("no stimulant", med("ssri"), "stimulants", False),
    ("a sleeping pill is a sedation caution", med("sedative_hypnotic", "zolpidem"), "cns-depressants", True),
    ("an opioid is a sedation caution", med("opioid", "oxycodone"), "cns-depressants", True),
    (
        "an antipsychotic is not a sedation caution by this rule",
        med("antipsychotic"),
        "cns-depressants",
        False,
    ),
    (
        "bipolar disorder with no mood stabiliser is a caution",
        {"bipolar_disorder": True},
        "bipolar-without-mood-stabilizer",
        True,
    ),
    (
        "bipolar disorder on lithium is not",
        {"bipolar_disorder": True, **med("mood_stabilizer", "lithium")},
        "bipolar-without-mood-stabilizer",
        False,
    ),
    (
        "bipolar disorder on lamotrigine is not",
        {"bipolar_disorder": True, **med("lamotrigine")},
        "bipolar-without-mood-stabilizer",
        False,
    ),
    ("past psychosis is a caution", {"psychosis": "past"}, "past-psychosis", True),
    ("current psychosis is not merely a caution", {"psychosis": "current"}, "past-psychosis", False),
    ("past mania is a caution", {"mania": "past"}, "past-mania", True),
    ("no mania", {"mania": "none"}, "past-mania", False),
    ("past substance use is a caution", {"substance_use": "past"}, "substance-use-history", True),
    ("past ketamine misuse is a caution", {"ketamine_misuse": "past"}, "substance-use-history", True),
    ("no substance use history", {}, "substance-use-history", False),
    (
        "stable heart disease is a caution",
        {"cardiovascular_disease": "stable"},
        "stable-cardiovascular-disease",
        True,
    ),
    (
        "a stroke in the past is a caution",
        {"cerebrovascular_disease": "past"},
        "stable-cardiovascular-disease",
        True,
    ),
    ("no heart or cerebrovascular disease", {}, "stable-cardiovascular-disease", False),
    ("treated hypertension is a caution", {"hypertension": "controlled"}, "controlled-hypertension", True),
    ("no hypertension", {"hypertension": "none"}, "controlled-hypertension", False),
    (
        "moderate liver impairment is a caution",
        {"hepatic_impairment": "moderate"},
        "moderate-hepatic-impairment",
        True,
    ),
    ("mild liver impairment is not", {"hepatic_impairment": "mild"}, "moderate-hepatic-impairment", False),
    ("interstitial cystitis is a caution", {"interstitial_cystitis": True}, "interstitial-cystitis", True),
    ("no cystitis", {"interstitial_cystitis": False}, "interstitial-cystitis", False),
]


@pytest.mark.parametrize(("changes", "rule", "fires"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_screening_rule_at_its_edge(changes, rule, fires):
    found = {f.rule for f in screen_document(clean(**changes), default_rules())}
    assert (rule in found) is fires, f"findings: {sorted(found)}"


def test_every_default_rule_is_tested_on_both_sides_of_its_edge():
    rules = {rule["id"] for rule in default_rules()["screening"]}
    assert {c[2] for c in CASES if c[3]} == rules
    assert {c[2] for c in CASES if not c[3]} == rules


def test_a_clean_evaluation_has_no_findings():
    assert screen_document(clean(), default_rules()) == []


def test_an_evaluation_with_nothing_answered_has_no_findings():
    assert screen_document({}, default_rules()) == []


def test_findings_come_gravest_first_with_the_facts_that_triggered_them():
    findings = screen_document(
        clean(psychosis="current", hypertension="uncontrolled", **med("stimulant")), default_rules()
    )
    assert [f.level for f in findings] == ["exclusion", "needs_clearance", "caution"]
    assert findings[0].facts == {"psychosis": "current"}
    assert findings[2].facts == {"medication_classes": ["stimulant"]}


def test_a_finding_carries_its_source_and_unverified_flag():
    (finding,) = screen_document(clean(systolic_bp=150, diastolic_bp=85), default_rules())
    assert finding.source["section"] == "3, 4.7"
    assert finding.unverified is True


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"psychosis": "sometimes"}, "psychosis: Value 'sometimes' is not a valid choice."),
        ({"weight_kg": 700}, "weight_kg: Weight must be between 20 and 400 kg."),
        ({"medications": [{"name": "x", "class": "ssri", "dose": 5}]}, "Give the unit of the dose"),
        ({"phq9_item9": 4}, "phq9_item9: must be a whole number from 0 to 3."),
        ({"favourite_colour": "blue"}, "favourite_colour: not a field of the evaluation."),
    ],
    ids=["unknown-choice", "weight-700", "dose-without-unit", "phq9-out-of-range", "unknown-field"],
)
def test_a_document_that_is_not_a_valid_evaluation_is_refused_by_name(document, message):
    with pytest.raises(DocumentError) as error:
        screen_document(document, default_rules())
    assert any(message in e for e in error.value.errors), error.value.errors
