"""A clinic's protocol: its clinical rules as data, and the helpers that read and apply them.

The rules are one JSON document (the shipped defaults are `protocol_defaults.json`, each value with
its source in reference/clinical.md). It has:

- `screening`: rules that read an evaluation's facts and produce findings. A rule has an `id`, a
  `level` (exclusion, needs_clearance, caution), a `title`, a plain `explanation`, a `source`, an
  `unverified` flag and a condition `when`. A condition is a clause on one fact,
  `{"fact": "psychosis", "is": "current"}` (also `in`, `above`, `below`, `at_least`, `at_most`,
  `includes`, `includes_none_of`), or `{"all": [...]}` / `{"any": [...]}` of conditions. A fact
  the evaluation leaves blank matches nothing.
- settings in sections (`routes`, `vitals`, `monitoring`, `ratings`, `discharge`, `integration`,
  `preparation`), each `{"value": ..., "unit": ..., "source": {...}, "unverified": bool}`.

Screening only reports; the prescriber decides.
"""

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from django.db import models

DEFAULTS_PATH = Path(__file__).with_name("protocol_defaults.json")


class Level(models.TextChoices):
    EXCLUSION = "exclusion", "Exclusion"
    NEEDS_CLEARANCE = "needs_clearance", "Needs medical clearance"
    CAUTION = "caution", "Caution"


LEVEL_ORDER = {level: n for n, level in enumerate(Level.values)}


class History(models.TextChoices):
    NONE = "none", "Never"
    PAST = "past", "In the past"
    CURRENT = "current", "Current"


class Hypertension(models.TextChoices):
    NONE = "none", "No"
    CONTROLLED = "controlled", "Yes, controlled"
    UNCONTROLLED = "uncontrolled", "Yes, not controlled"


class HeartDisease(models.TextChoices):
    NONE = "none", "No"
    STABLE = "stable", "Yes, stable"
    UNSTABLE = "unstable", "Yes, unstable"


class Recency(models.TextChoices):
    NONE = "none", "Never"
    PAST = "past", "In the past"
    RECENT = "recent", "Recently"


class Severity(models.TextChoices):
    NONE = "none", "None"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Thyroid(models.TextChoices):
    NONE = "none", "No"
    TREATED = "treated", "Yes, treated"
    UNTREATED = "untreated", "Yes, untreated"


class MedicationClass(models.TextChoices):
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    SEDATIVE_HYPNOTIC = "sedative_hypnotic", "Other sedative-hypnotic"
    OPIOID = "opioid", "Opioid"
    STIMULANT = "stimulant", "Stimulant"
    MAOI = "maoi", "MAOI"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"
    MOOD_STABILIZER = "mood_stabilizer", "Mood stabiliser (lithium, valproate…)"
    SSRI = "ssri", "SSRI"
    SNRI = "snri", "SNRI"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    OTHER = "other", "Other"


BOOL, NUMBER = "yes/no", "number"

# Every fact a screening rule may read, with the values it can take.
FACTS: dict[str, object] = {
    "age": NUMBER,
    "psychosis": History,
    "schizophrenia": BOOL,
    "bipolar_disorder": BOOL,
    "mania": History,
    "substance_use": History,
    "ketamine_misuse": History,
    "self_harm": History,
    "suicidal_thoughts_last_2_weeks": BOOL,
    "days_since_suicide_attempt": NUMBER,
    "phq9_item9": NUMBER,
    "hypertension": Hypertension,
    "systolic_bp": NUMBER,
    "diastolic_bp": NUMBER,
    "heart_rate": NUMBER,
    "weight_kg": NUMBER,
    "height_cm": NUMBER,
    "cardiovascular_disease": HeartDisease,
    "cerebrovascular_disease": Recency,
    "aneurysm_or_avm": BOOL,
    "intracerebral_haemorrhage": BOOL,
    "raised_intracranial_pressure": BOOL,
    "raised_intraocular_pressure": BOOL,
    "hepatic_impairment": Severity,
    "pregnant": BOOL,
    "lactating": BOOL,
    "interstitial_cystitis": BOOL,
    "seizures": Recency,
    "hyperthyroidism": Thyroid,
    "ketamine_allergy": BOOL,
    "medication_classes": MedicationClass,
}
LIST_FACTS = {"medication_classes"}
ROUTES = ("lozenge", "intranasal", "iv", "im")

# The settings a protocol must have: section -> {name: kind}. Kinds: number, number-or-null,
# number-list, text, text-list, bool, whole-number. Routes are checked per route.
SETTINGS = {
    "vitals": {
        "hold_systolic_above": "number",
        "hold_diastolic_above": "number",
        "alert_systolic_above": "number",
        "alert_diastolic_above": "number",
        "alert_confirm_minutes": "number",
        "alert_systolic_once_above": "number",
        "alert_diastolic_once_above": "number",
        "alert_heart_rate_above": "number",
        "alert_heart_rate_sustained_minutes": "number",
        "alert_spo2_below": "number-or-null",
        "temperature_plausible_low": "number",
        "temperature_plausible_high": "number",
        "systolic_plausible_low": "number",
        "systolic_plausible_high": "number",
        "diastolic_plausible_low": "number",
        "diastolic_plausible_high": "number",
        "heart_rate_plausible_low": "number",
        "heart_rate_plausible_high": "number",
        "spo2_plausible_low": "number",
        "resp_rate_plausible_low": "number",
        "resp_rate_plausible_high": "number",
    },
    "monitoring": {
        "blood_pressure_at_minutes": "number-list",
        "vitals_every_minutes": "number",
        "pulse_oximetry": "bool",
        "minimum_minutes": "number",
    },
    "ratings": {
        "sedation_scale": "text",
        "dissociation_scale": "text",
        "at_minutes": "number-list",
        "alert_sedation_at_most": "whole-number",
    },
    "discharge": {
        "minimum_minutes": "number",
        "checklist": "text-list",
        "score_scale": "text",
        "score_minimum": "number-or-null",
    },
    "integration": {"within_hours": "number", "cadence": "text"},
    "preparation": {
        "fasting_food_hours": "number",
        "fasting_liquids_hours": "number",
        "no_alcohol_hours": "number",
        "ride_home_required": "bool",
    },
}
# Settings added after protocols were first saved. A version saved before a setting existed does
# not hold it; reading it then gives the shipped default (with its source), and a revision may
# leave it out.
ADDED_SETTINGS = {
    "ratings.alert_sedation_at_most",
    "vitals.temperature_plausible_low",
    "vitals.temperature_plausible_high",
    "vitals.systolic_plausible_low",
    "vitals.systolic_plausible_high",
    "vitals.diastolic_plausible_low",
    "vitals.diastolic_plausible_high",
    "vitals.heart_rate_plausible_low",
    "vitals.heart_rate_plausible_high",
    "vitals.spo2_plausible_low",
    "vitals.resp_rate_plausible_low",
    "vitals.resp_rate_plausible_high",
}
ROUTE_SETTINGS = {
    "bioavailability": "fraction",
    "max_iv_equivalent_mg_per_kg": "number",
    "minimum_monitoring_minutes": "number",
}
# Route settings added after protocols were first saved. A version saved before the per-route
# minimum monitoring time applied its one `discharge.minimum_minutes` to every route, so reading
# the route's minimum from such a version gives that value: a session keeps the minimum it was
# run under.
ADDED_ROUTE_SETTINGS = {"minimum_monitoring_minutes"}
CARRIED_MINIMUM_CITATION = (
    "This protocol version set one minimum for every route (discharge.minimum_minutes); the "
    "reference verifies that 2-hour minimum for esketamine (Spravato) only"
)
OPTIONAL_ROUTE_SETTINGS = {"max_mg": "number"}
COMPARISONS = {"above", "below", "at_least", "at_most"}


@cache
def default_rules_text() -> str:
    return DEFAULTS_PATH.read_text()


def default_rules() -> dict:
    return json.loads(default_rules_text())


# Applying the rules -------------------------------------------------------------------------


@dataclass
class Finding:
    """What one screening rule found in one evaluation."""

    rule: str
    level: str
    title: str
    explanation: str
    source: dict
    unverified: bool
    facts: dict = field(default_factory=dict)

    @property
    def level_label(self) -> str:
        return Level(self.level).label

    def as_dict(self) -> dict:
        return asdict(self)


def screen(facts: dict, rules: dict) -> list[Finding]:
    """The findings of a protocol's screening rules on one set of facts, gravest first."""
    findings = []
    for rule in rules.get("screening", []):
        used: dict = {}
        if matches(rule["when"], facts, used):
            findings.append(
                Finding(
                    rule=rule["id"],
                    level=rule["level"],
                    title=rule["title"],
                    explanation=rule["explanation"],
                    source=rule["source"],
                    unverified=bool(rule.get("unverified")),
                    facts=used,
                )
            )
    return sorted(findings, key=lambda f: LEVEL_ORDER[f.level])


def matches(condition: dict, facts: dict, used: dict) -> bool:
    if "all" in condition:
        return all([matches(part, facts, used) for part in condition["all"]])
    if "any" in condition:
        return any([matches(part, facts, used) for part in condition["any"]])
    name = condition["fact"]
    value = facts.get(name)
    if value is None:
        return False
    hit = clause_holds(condition, value)
    if hit:
        used[name] = sorted(value) if isinstance(value, set | list | tuple) else value
    return hit


def clause_holds(condition: dict, value) -> bool:
    if "is" in condition:
        return value == condition["is"]
    if "in" in condition:
        return value in condition["in"]
    if "includes" in condition:
        return condition["includes"] in value
    if "includes_none_of" in condition:
        return not set(condition["includes_none_of"]) & set(value)
    op = next(iter(COMPARISONS & condition.keys()))
    limit = condition[op]
    return {
        "above": value > limit,
        "below": value < limit,
        "at_least": value >= limit,
        "at_most": value <= limit,
    }[op]


def setting_entry(rules: dict, path: str) -> dict:
    """A setting by dotted path (`routes.iv.bioavailability`): its value, unit, source and flags.
    A setting added after this protocol version was saved comes from the shipped defaults."""
    node = rules
    try:
        for part in path.split("."):
            node = node[part]
    except KeyError:
        if is_carried_minimum(rules, path):
            return carried_minimum(rules)
        if path not in ADDED_SETTINGS:
            raise
        return setting_entry(default_rules_cached(), path)
    return node


def is_carried_minimum(rules: dict, path: str) -> bool:
    parts = path.split(".")
    return (
        len(parts) == 3
        and parts[0] == "routes"
        and parts[2] in ADDED_ROUTE_SETTINGS
        and isinstance(rules.get("routes", {}).get(parts[1]), dict)
    )


def carried_minimum(rules: dict) -> dict:
    """A route's minimum monitoring time in a version saved before it was set per route: the
    version's one minimum, kept as it was run, marked as the clinic's setting it always was."""
    entry = setting_entry(rules, "discharge.minimum_minutes")
    return {
        "value": entry["value"],
        "unit": entry.get("unit", "min"),
        "source": {"section": "3, 4.8", "citation": CARRIED_MINIMUM_CITATION},
        "unverified": True,
        "set_at": "discharge.minimum_minutes",
    }


def setting(rules: dict, path: str):
    """A setting's value by dotted path, for example `routes.iv.bioavailability`."""
    return setting_entry(rules, path)["value"]


@cache
def default_rules_cached() -> dict:
    # Read-only use: callers never change what setting_entry returns.
    return default_rules()


def settings_table(rules: dict) -> list[dict]:
    """Every setting with its section, name, value, unit, source and flags, for display."""
    rows = []
    for route in ROUTES:
        for name in [*ROUTE_SETTINGS, *OPTIONAL_ROUTE_SETTINGS]:
            entry = rules.get("routes", {}).get(route, {}).get(name)
            if entry is None and is_carried_minimum(rules, f"routes.{route}.{name}"):
                entry = carried_minimum(rules)
            if entry:
                rows.append({"section": f"routes: {route}", "name": name, **entry})
    for section, names in SETTINGS.items():
        for name in names:
            rows.append({"section": section, "name": name, **setting_entry(rules, f"{section}.{name}")})
    return rows


# Validating a protocol ----------------------------------------------------------------------


def validate_rules(rules) -> list[str]:
    """Everything wrong with a protocol document, each as 'where: what', or [] if it is sound."""
    if not isinstance(rules, dict):
        return ["The protocol must be a JSON object."]
    errors: list[str] = []
    screening = rules.get("screening")
    if not isinstance(screening, list):
        errors.append("screening: must be a list of rules.")
    else:
        seen: set[str] = set()
        for n, rule in enumerate(screening):
            errors += check_rule(rule, f"screening[{n}]", seen)
    errors += check_routes(rules.get("routes"))
    for section, names in SETTINGS.items():
        block = rules.get(section)
        if not isinstance(block, dict):
            errors.append(f"{section}: missing; it must hold {', '.join(names)}.")
            continue
        for name, kind in names.items():
            if name not in block and f"{section}.{name}" in ADDED_SETTINGS:
                continue  # the shipped default applies
            errors += check_setting(block.get(name), kind, f"{section}.{name}")
        errors += [f"{section}.{extra}: unknown setting." for extra in block.keys() - names.keys()]
    return errors


def check_rule(rule, where: str, seen: set[str]) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where}: must be an object."]
    errors = []
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        errors.append(f"{where}.id: give the rule an id.")
    elif rule_id in seen:
        errors.append(f"{where}.id: {rule_id!r} is used by another rule.")
    else:
        seen.add(rule_id)
        where = f"{where} ({rule_id})"
    if rule.get("level") not in Level.values:
        errors.append(f"{where}.level: must be one of {', '.join(Level.values)}.")
    for text in ("title", "explanation"):
        if not isinstance(rule.get(text), str) or not rule[text].strip():
            errors.append(f"{where}.{text}: must be a non-empty text.")
    errors += check_source(rule.get("source"), where)
    if not isinstance(rule.get("unverified", False), bool):
        errors.append(f"{where}.unverified: must be true or false.")
    if "when" not in rule:
        errors.append(f"{where}.when: give the condition.")
    else:
        errors += check_condition(rule["when"], f"{where}.when")
    return errors


def check_source(source, where: str) -> list[str]:
    if not isinstance(source, dict) or not str(source.get("section", "")).strip():
        return [f"{where}.source: give the source's section in reference/clinical.md and a citation."]
    if not str(source.get("citation", "")).strip():
        return [f"{where}.source.citation: say where the value comes from."]
    return []


def check_condition(condition, where: str) -> list[str]:
    if not isinstance(condition, dict):
        return [f"{where}: must be an object."]
    for group in ("all", "any"):
        if group in condition:
            parts = condition[group]
            if not isinstance(parts, list) or not parts:
                return [f"{where}.{group}: must be a non-empty list of conditions."]
            return [e for n, part in enumerate(parts) for e in check_condition(part, f"{where}.{group}[{n}]")]
    name = condition.get("fact")
    if name not in FACTS:
        return [f"{where}.fact: {name!r} is not a fact the evaluation records."]
    ops = condition.keys() - {"fact"}
    if len(ops) != 1:
        return [
            f"{where}: give exactly one test "
            "(is, in, above, below, at_least, at_most, includes, includes_none_of)."
        ]
    return check_test(name, ops.pop(), condition, where)


def check_test(name: str, op: str, condition: dict, where: str) -> list[str]:
    kind, operand = FACTS[name], condition[op]
    if op in COMPARISONS:
        if kind != NUMBER or isinstance(operand, bool) or not isinstance(operand, int | float):
            return [f"{where}.{op}: compare a number fact with a number ({name} is {describe(kind)})."]
        return []
    if op in {"includes", "includes_none_of"}:
        if name not in LIST_FACTS:
            return [f"{where}.{op}: only medication_classes is a list."]
        values = operand if op == "includes_none_of" else [operand]
        if not isinstance(values, list) or not values:
            return [f"{where}.{op}: give a list of values."]
        return check_values(kind, values, f"{where}.{op}")
    if op not in {"is", "in"}:
        return [f"{where}: {op!r} is not a test."]
    values = operand if op == "in" else [operand]
    if not isinstance(values, list) or not values:
        return [f"{where}.in: give a list of values."]
    if name in LIST_FACTS:
        return [f"{where}.{op}: use includes with medication_classes."]
    return check_values(kind, values, f"{where}.{op}")


def check_values(kind, values: list, where: str) -> list[str]:
    if kind == BOOL:
        ok = all(isinstance(v, bool) for v in values)
    elif kind == NUMBER:
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    else:
        ok = all(v in kind.values for v in values)
    return [] if ok else [f"{where}: {values!r} is not {describe(kind)}."]


def describe(kind) -> str:
    if kind in (BOOL, NUMBER):
        return f"a {kind}" if kind == NUMBER else "true or false"
    return "one of " + ", ".join(kind.values)


def check_routes(routes) -> list[str]:
    if not isinstance(routes, dict):
        return [f"routes: missing; it must hold {', '.join(ROUTES)}."]
    errors = [
        f"routes.{extra}: unknown route (use {', '.join(ROUTES)})." for extra in routes.keys() - set(ROUTES)
    ]
    for route in ROUTES:
        block = routes.get(route)
        if not isinstance(block, dict):
            errors.append(f"routes.{route}: missing.")
            continue
        for name, kind in ROUTE_SETTINGS.items():
            if name not in block and name in ADDED_ROUTE_SETTINGS:
                continue  # the version's discharge.minimum_minutes applies
            errors += check_setting(block.get(name), kind, f"routes.{route}.{name}")
        for name, kind in OPTIONAL_ROUTE_SETTINGS.items():
            if name in block:
                errors += check_setting(block[name], kind, f"routes.{route}.{name}")
    return errors


def check_setting(entry, kind: str, where: str) -> list[str]:
    if not isinstance(entry, dict) or "value" not in entry:
        return [f'{where}: missing; give {{"value": ..., "source": {{...}}}}.']
    errors = check_source(entry.get("source"), where)
    value = entry["value"]
    if not value_fits(value, kind):
        errors.append(f"{where}.value: {json.dumps(value)} is not {KIND_WORDS[kind]}.")
    return errors


KIND_WORDS = {
    "number": "a positive number",
    "number-or-null": "a positive number or null",
    "whole-number": "a whole number, 0 or more",
    "fraction": "a number above 0 and at most 1",
    "number-list": "a list of numbers of minutes",
    "text": "a text",
    "text-list": "a list of texts",
    "bool": "true or false",
}


def value_fits(value, kind: str) -> bool:
    def positive(v):
        return isinstance(v, int | float) and not isinstance(v, bool) and v > 0

    if kind == "number-or-null":
        return value is None or positive(value)
    if kind == "number":
        return positive(value)
    if kind == "whole-number":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == "fraction":
        return positive(value) and value <= 1
    if kind == "number-list":
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
        )
    if kind == "text":
        return isinstance(value, str) and bool(value.strip())
    if kind == "text-list":
        return (
            isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)
        )
    return isinstance(value, bool)
