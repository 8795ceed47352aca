"""Score a completed instrument against its scoring definition, and judge change over time.

A scoring definition (instruments/<name>.scoring.json; the format is described in
instruments/README.md) says which items count, how answers weigh, how totals and subscales are
formed, where the severity bands lie, which answers raise a flag, which rules give a provisional
diagnosis and how change is judged. Every clinical number lives there with its source; none is
written in this module.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from kapcare.measures.questionnaires import (
    AnswerOption,
    ParsedQuestionnaire,
    QuestionnaireItem,
    as_number,
    load_questionnaire,
    read_response,
)

INSTRUMENTS = Path(__file__).with_name("instruments")
OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
# Jacobson–Truax: |RC| above 1.96 is a reliable change at p < .05 (instruments.md §7).
RELIABLE_Z = 1.96

type Number = int | Decimal


class DefinitionError(ValueError):
    """A scoring definition contradicts itself or the questionnaire it is bound to."""


class ScoringError(ValueError):
    """The answers cannot be scored; nothing was scored. `problems` lists them item by item."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{link_id}: {message}" for link_id, message in problems))

    @property
    def by_item(self) -> dict[str, list[str]]:
        messages: dict[str, list[str]] = {}
        for link_id, message in self.problems:
            messages.setdefault(link_id, []).append(message)
        return messages


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min: Number | None = None  # None for bands decided by rules rather than by a range
    max: Number | None = None


@dataclass(frozen=True)
class Flag:
    """An answer pattern that needs a person to act, e.g. a positive PHQ-9 item 9."""

    code: str
    label: str
    level: str  # "urgent", "attention" or "info"
    source: str
    unverified: bool = False


@dataclass(frozen=True)
class RuleResult:
    """A rule from the definition and whether it is met, e.g. a provisional PCL-5 diagnosis."""

    code: str
    label: str
    met: bool
    source: str
    unverified: bool = False


@dataclass(frozen=True)
class ScoreResult:
    """What one completed instrument scored. It exists only whole: scoring either produces all
    of it or raises ScoringError."""

    instrument: str
    item_scores: dict[str, Number]
    total: Number | None
    subscales: dict[str, Number | None]
    band: Band | None
    flags: tuple[Flag, ...]
    rules: tuple[RuleResult, ...]

    def score(self, score_id: str) -> Number | None:
        return self.total if score_id == "total" else self.subscales.get(score_id)

    @property
    def is_urgent(self) -> bool:
        return any(flag.level == "urgent" for flag in self.flags)


@dataclass(frozen=True)
class ScoredItem:
    """One item that counts toward a score, with the answers it allows."""

    link_id: str
    answer_key: str  # the linkId answers arrive under (the questionnaire's, once bound)
    label: str | None = None
    options: tuple[AnswerOption, ...] = ()
    boolean_weights: tuple[tuple[bool, Number], ...] = ()
    integer_range: tuple[int, int] | None = None
    optional: bool = False
    reverse: bool = False
    asked_when: dict | None = None

    @property
    def weights(self) -> list[Number]:
        if self.integer_range:
            return list(range(self.integer_range[0], self.integer_range[1] + 1))
        return [o.weight for o in self.options]

    @property
    def min(self) -> Number:
        return min(self.weights)

    @property
    def max(self) -> Number:
        return max(self.weights)

    @property
    def always_asked(self) -> bool:
        return not self.optional and self.asked_when is None

    def allowed_answers(self) -> list:
        """What a response may record for this item: codes, or whole numbers."""
        return self.weights if self.integer_range else [o.key for o in self.options]

    def score_answer(self, answer) -> Number:
        """The item's score for one answer; ValueError with a message for the patient's record."""
        if isinstance(answer, list):
            if len(answer) != 1:
                raise ValueError(f"takes one answer, got {len(answer)}")
            answer = answer[0]
        if isinstance(answer, dict):  # a Coding
            answer = answer.get("code")
        weight = self._weight_of(answer)
        return self.min + self.max - weight if self.reverse else weight

    def _weight_of(self, answer) -> Number:
        booleans = dict(self.boolean_weights)
        if isinstance(answer, bool) and answer in booleans:
            return booleans[answer]
        if self.integer_range:
            return self._whole_number(answer)
        option = next((o for o in self.options if o.matches(answer)), None)
        if option is None:
            allowed = ", ".join(f"{o.key} ({o.display})" for o in self.options)
            raise ValueError(f"{answer!r} is not an allowed answer; allowed: {allowed}")
        return option.weight

    def _whole_number(self, answer) -> int:
        low, high = self.integer_range
        is_number = isinstance(answer, int | Decimal | float) and not isinstance(answer, bool)
        if not is_number or answer != int(answer):
            raise ValueError(f"{answer!r} is not a whole number from {low} to {high}")
        if not low <= answer <= high:
            raise ValueError(f"{answer} is outside the range {low} to {high}")
        return int(answer)


@dataclass(frozen=True)
class ScoringDefinition:
    instrument: str
    title: str
    data: dict  # the definition as written, with its sources
    items: tuple[ScoredItem, ...]
    questionnaire: ParsedQuestionnaire | None = None

    def item(self, link_id: str) -> ScoredItem:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(f"{self.instrument} has no scored item {link_id}")

    @property
    def score_ids(self) -> list[str]:
        return [spec["id"] for spec in self.data["scores"]]

    def score_range(self, score_id: str) -> tuple[Number, Number]:
        return _score_ranges(self)[score_id]

    def with_questionnaire(self, questionnaire: ParsedQuestionnaire) -> ScoringDefinition:
        """This definition scoring another Questionnaire of the same instrument (an import).

        Items are matched by linkId, then by item code (LOINC); weights come from the
        imported answer options where it has them.
        """
        return _build(self.data, questionnaire)

    def unverified(self) -> list[str]:
        """Every fact this definition marks unverified, so a clinic can see and confirm it."""
        return list(_unverified_paths(self.data, self.instrument))


# Loading definitions ------------------------------------------------------------------------


def shipped_instruments() -> list[str]:
    return sorted(p.name.removesuffix(".scoring.json") for p in INSTRUMENTS.glob("*.scoring.json"))


def load_definition(name: str | Path) -> ScoringDefinition:
    """A shipped definition by name ("phq-9") or any definition file by path."""
    path = Path(name) if str(name).endswith(".json") else INSTRUMENTS / f"{name}.scoring.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    questionnaire_file = data.get("questionnaire")
    questionnaire = load_questionnaire(path.parent / questionnaire_file) if questionnaire_file else None
    return _build(data, questionnaire)


@cache
def shipped_definition(name: str) -> ScoringDefinition:
    """Shipped definitions are read once per process; they do not change while it runs."""
    return load_definition(name)


def definition_for(questionnaire: ParsedQuestionnaire) -> ScoringDefinition | None:
    """The shipped definition for an imported Questionnaire, recognised by its LOINC panel code
    or by the canonical url of the shipped Questionnaire."""
    for name in shipped_instruments():
        definition = shipped_definition(name)
        panel = definition.data.get("loinc", {}).get("panel", {}).get("code")
        shipped = definition.questionnaire
        same_url = shipped is not None and questionnaire.url and questionnaire.url == shipped.url
        if (panel and questionnaire.has_code(panel)) or same_url:
            return definition.with_questionnaire(questionnaire)
    return None


def _build(data: dict, questionnaire: ParsedQuestionnaire | None) -> ScoringDefinition:
    definition = ScoringDefinition(
        instrument=data["instrument"],
        title=data["title"],
        data=data,
        items=tuple(_scored_item(raw, data, questionnaire) for raw in data["items"]),
        questionnaire=questionnaire,
    )
    _check(definition)
    return definition


def _scored_item(raw: dict, data: dict, questionnaire: ParsedQuestionnaire | None) -> ScoredItem:
    link_id = raw["link_id"]
    bound = _bound_item(raw, questionnaire)
    item = ScoredItem(
        link_id=link_id,
        answer_key=bound.link_id if bound else link_id,
        label=raw.get("label"),
        optional=raw.get("optional", False),
        reverse=link_id in data.get("reversed_items", {}).get("items", []),
        asked_when=raw.get("asked_when"),
    )
    if bound is not None and bound.is_weighted:
        return replace(item, options=tuple(bound.options))
    if "answers" in raw:
        return _with_answer_set(item, data["answer_sets"][raw["answers"]])
    raise DefinitionError(
        f"{data['instrument']} item {link_id}: no weighted answers, neither in the "
        "questionnaire nor in the definition"
    )


def _bound_item(raw: dict, questionnaire: ParsedQuestionnaire | None) -> QuestionnaireItem | None:
    if questionnaire is None:
        return None
    item = questionnaire.item(raw["link_id"])
    if item is None and raw.get("code"):
        item = questionnaire.item_with_code(raw["code"])
    return item


def _with_answer_set(item: ScoredItem, answer_set: dict) -> ScoredItem:
    if "integer" in answer_set:
        bounds = answer_set["integer"]
        return replace(item, integer_range=(bounds["min"], bounds["max"]))
    options = tuple(
        AnswerOption(o.get("code"), o.get("system"), o.get("display"), weight=o["weight"])
        for o in answer_set["options"]
    )
    booleans = tuple((o["boolean"], o["weight"]) for o in answer_set["options"] if "boolean" in o)
    return replace(item, options=options, boolean_weights=booleans)


def _check(definition: ScoringDefinition) -> None:
    """Refuse a definition whose declared ranges, bands or references do not add up."""
    problems = _reference_problems(definition)
    if problems:
        raise DefinitionError(f"{definition.instrument}: " + "; ".join(problems))
    ranges = _score_ranges(definition)
    for spec in definition.data["scores"]:
        declared = (spec.get("min"), spec.get("max"))
        if declared != (None, None) and declared != ranges[spec["id"]]:
            problems.append(
                f"score {spec['id']} is declared {declared[0]}-{declared[1]} but its items "
                f"give {ranges[spec['id']][0]}-{ranges[spec['id']][1]}"
            )
    problems += _band_problems(definition.data.get("bands"), ranges)
    if problems:
        raise DefinitionError(f"{definition.instrument}: " + "; ".join(problems))


def _band_problems(bands: dict | None, ranges: dict) -> list[str]:
    if not bands or "levels" in bands:
        return []
    low, high = ranges[bands["score"]]
    problems = []
    for name, band_list in _band_lists(bands).items():
        edges = [(b["min"], b["max"]) for b in band_list]
        if edges[0][0] != low or edges[-1][1] != high:
            problems.append(f"bands {name} do not cover the score range {low}-{high}")
        for (_, previous_max), (next_min, _) in zip(edges, edges[1:], strict=False):
            if next_min != previous_max + 1:
                problems.append(f"bands {name} leave a gap or overlap at {previous_max}-{next_min}")
    return problems


def _reference_problems(definition: ScoringDefinition) -> list[str]:
    """Every item and score a definition names must exist, and exist before it is used."""
    data, problems = definition.data, []
    items: set[str] = set()
    for item in definition.items:
        problems += _unknown_refs(item.asked_when, items, set(), f"item {item.link_id}")
        items.add(item.link_id)
    scores: set[str] = set()
    for spec in data["scores"]:
        refs = {
            "all": [{"item": i} for i in spec.get("items", [])]
            + [{"score": s} for s in spec.get("scores", [])]
        }
        problems += _unknown_refs(refs, items, scores, f"score {spec['id']}")
        scores.add(spec["id"])
    conditions = [*data.get("flags", []), *data.get("rules", [])]
    conditions += (data.get("bands") or {}).get("levels", [])
    for spec in conditions:
        problems += _unknown_refs(spec.get("when"), items, scores, spec["code"])
    for part in ("bands", "change"):
        named = (data.get(part) or {}).get("score")
        problems += _unknown_refs({"score": named}, items, scores, part)
    return problems


def _unknown_refs(condition, items: set, scores: set, where: str) -> list[str]:
    if not condition:
        return []
    nested = condition.get("all") or condition.get("any") or [condition.get("not")]
    if any(key in condition for key in ("all", "any", "not")):
        return [p for c in nested for p in _unknown_refs(c, items, scores, where)]
    named = [("item", condition.get("item")), ("score", condition.get("score"))]
    named += [("item", i) for i in condition.get("count_items", [])]
    known = {"item": items, "score": scores}
    return [
        f"{where} names unknown {kind} {name}"
        for kind, name in named
        if name is not None and name not in known[kind]
    ]


def _band_lists(bands: dict) -> dict[str, list[dict]]:
    if "variants" in bands:
        return bands["variants"]
    return {"": bands["ranges"]}


def _score_ranges(definition: ScoringDefinition) -> dict[str, tuple[Number, Number]]:
    """Lowest and highest possible value of every score, worked out from the items."""
    ranges: dict[str, tuple[Number, Number]] = {}
    for spec in definition.data["scores"]:
        parts = [_item_range(definition.item(i)) for i in spec.get("items", [])]
        parts += [ranges[s] for s in spec.get("scores", [])]
        low, high = _combine_ranges(spec["method"], parts)
        factor = spec.get("multiply_by", 1)
        ranges[spec["id"]] = (as_number(low * factor), as_number(high * factor))
    return ranges


def _item_range(item: ScoredItem) -> tuple[Number, Number]:
    if item.always_asked:
        return item.min, item.max
    return min(item.min, 0), max(item.max, 0)  # a skipped item adds nothing


def _combine_ranges(method: str, parts: list[tuple[Number, Number]]) -> tuple[Number, Number]:
    lows, highs = [p[0] for p in parts], [p[1] for p in parts]
    if method == "sum":
        return sum(lows), sum(highs)
    if method == "max":
        return max(lows), max(highs)
    if method == "mean":
        return min(lows), max(highs)
    raise DefinitionError(f"unknown score method '{method}'")


def _unverified_paths(node, path: str):
    if isinstance(node, dict):
        if node.get("unverified"):
            why = [node.get(key) for key in ("label", "note", "source") if node.get(key)]
            yield f"{path}: {' | '.join(why)}"
        for key, value in node.items():
            yield from _unverified_paths(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _unverified_paths(value, f"{path}[{index}]")


# Scoring ------------------------------------------------------------------------------------


def score(definition: ScoringDefinition, answers: dict, *, context: dict | None = None) -> ScoreResult:
    """Score answers ({linkId: code or value}) or raise ScoringError listing every problem.

    `context` carries facts some instruments need, e.g. {"sex": "female"} for AUDIT-C.
    """
    item_scores = _item_scores(definition, answers)
    scores = _scores(definition, item_scores)
    total = scores.get("total")
    return ScoreResult(
        instrument=definition.instrument,
        item_scores=item_scores,
        total=total,
        subscales={k: v for k, v in scores.items() if k != "total"},
        band=_band(definition.data.get("bands"), item_scores, scores, context or {}),
        flags=tuple(_flags(definition, item_scores, scores)),
        rules=tuple(_rules(definition.data.get("rules", []), item_scores, scores)),
    )


def score_response(definition: ScoringDefinition, response: dict, *, context=None) -> ScoreResult:
    """Score a FHIR QuestionnaireResponse."""
    return score(definition, read_response(response, definition.questionnaire), context=context)


def _item_scores(definition: ScoringDefinition, answers: dict) -> dict[str, Number]:
    item_scores: dict[str, Number] = {}
    problems = []
    for item in definition.items:
        if item.asked_when and not _holds(item.asked_when, item_scores, {}):
            continue  # not asked: an answer given anyway is ignored, as the form would
        answer = answers.get(item.answer_key)
        if answer in (None, "", []):
            if not item.optional:
                problems.append((item.answer_key, "an answer is required"))
            continue
        try:
            item_scores[item.link_id] = item.score_answer(answer)
        except ValueError as error:
            problems.append((item.answer_key, str(error)))
    if problems:
        raise ScoringError(problems)
    return item_scores


def _scores(definition: ScoringDefinition, item_scores: dict) -> dict[str, Number | None]:
    scores: dict[str, Number | None] = {}
    for spec in definition.data["scores"]:
        values = [item_scores[i] for i in spec.get("items", []) if i in item_scores]
        values += [scores[s] for s in spec.get("scores", []) if scores.get(s) is not None]
        value = _combine(spec["method"], values)
        factor = spec.get("multiply_by", 1)
        scores[spec["id"]] = None if value is None else as_number(value * factor)
    return scores


def _combine(method: str, values: list[Number]) -> Number | None:
    if method == "sum":
        return sum(values)
    if not values:
        return None
    if method == "max":
        return max(values)
    return as_number(Decimal(sum(values)) / len(values))  # mean


def _band(bands: dict | None, item_scores: dict, scores: dict, context: dict) -> Band | None:
    if not bands:
        return None
    if "levels" in bands:
        level = next(b for b in bands["levels"] if _holds(b.get("when"), item_scores, scores))
        return Band(level["code"], level["label"])
    value = scores[bands["score"]]
    if value is None:
        return None
    candidates = [b for b in _bands_for(bands, context) if b["min"] <= value]
    chosen = candidates[-1]  # the highest band the score has reached
    return Band(chosen["code"], chosen["label"], chosen["min"], chosen["max"])


def _bands_for(bands: dict, context: dict) -> list[dict]:
    if "variants" not in bands:
        return bands["ranges"]
    variant = context.get(bands["by"])
    return bands["variants"].get(variant) or bands["variants"][bands["when_unknown"]]


def _flags(definition, item_scores, scores):
    for spec in definition.data.get("flags", []):
        if _holds(spec["when"], item_scores, scores):
            yield Flag(
                spec["code"], spec["label"], spec["level"], spec["source"], spec.get("unverified", False)
            )


def _rules(specs: list[dict], item_scores, scores):
    for spec in specs:
        met = _holds(spec["when"], item_scores, scores)
        yield RuleResult(spec["code"], spec["label"], met, spec["source"], spec.get("unverified", False))


def _holds(condition: dict | None, item_scores: dict, scores: dict) -> bool:
    """Evaluate a condition from a definition (format in instruments/README.md)."""
    if condition is None:
        return True
    if "all" in condition:
        return all(_holds(c, item_scores, scores) for c in condition["all"])
    if "any" in condition:
        return any(_holds(c, item_scores, scores) for c in condition["any"])
    if "not" in condition:
        return not _holds(condition["not"], item_scores, scores)
    compare = OPERATORS[condition["op"]]
    if "item" in condition:
        value = item_scores.get(condition["item"])
    elif "score" in condition:
        value = scores.get(condition["score"])
    elif "count_items" in condition:
        where = condition["where"]
        value = sum(
            1
            for link_id in condition["count_items"]
            if link_id in item_scores and OPERATORS[where["op"]](item_scores[link_id], where["value"])
        )
    else:
        raise DefinitionError(f"condition not understood: {condition}")
    return value is not None and compare(value, condition["value"])


# Change between a baseline and a later score ------------------------------------------------


@dataclass(frozen=True)
class ReliableChange:
    method: str  # "jacobson-truax" or "threshold"
    label: str
    index: float | None  # the Jacobson–Truax RC statistic; None for a fixed-points rule
    threshold: Number  # the smallest change, in points, that counts as reliable
    reliable: bool
    # "improved", "deteriorated", "unchanged", or "not-judged" for a worsening under a rule
    # its source defines for improvement only.
    direction: str
    source: str
    unverified: bool = False


@dataclass(frozen=True)
class ChangeAssessment:
    instrument: str
    score: str
    baseline: Number
    latest: Number
    change: Number  # latest minus baseline
    percent_change: float | None  # None when the baseline is 0
    improvement: Number  # positive when the patient is better, whichever way the scale runs
    response: RuleResult | None
    remission: RuleResult | None
    minimal_important_change: tuple[RuleResult, ...]
    reliable_changes: tuple[ReliableChange, ...]
    outcome: str | None  # Jacobson–Truax category: recovered, improved, unchanged, deteriorated

    @property
    def reliable_change(self) -> ReliableChange | None:
        """The first applicable method the definition lists."""
        return self.reliable_changes[0] if self.reliable_changes else None


def assess_change(
    definition: ScoringDefinition,
    baseline: ScoreResult,
    latest: ScoreResult,
    *,
    sd: float | None = None,
) -> ChangeAssessment:
    """Change from baseline to a later score, judged by the definition's change rules.

    `sd` is the standard deviation of the clinic's reference sample for Jacobson–Truax, where
    the definition has no published one.
    """
    rules = definition.data.get("change")
    if not rules:
        note = definition.data.get("change_note", "no change rules are defined")
        raise DefinitionError(f"{definition.instrument}: {note}")
    if {baseline.instrument, latest.instrument} != {definition.instrument}:
        raise ValueError("baseline and later score are from different instruments")
    first, last = baseline.score(rules["score"]), latest.score(rules["score"])
    improvement = first - last if rules["direction"] == "lower_is_better" else last - first
    reliable = tuple(_reliable_changes(rules, last - first, improvement, sd))
    return ChangeAssessment(
        instrument=definition.instrument,
        score=rules["score"],
        baseline=first,
        latest=last,
        change=last - first,
        percent_change=None if first == 0 else round(float((last - first) / first * 100), 1),
        improvement=improvement,
        response=_improvement_rule("response", rules.get("response"), first, improvement),
        remission=_level_rule("remission", rules.get("remission"), last),
        minimal_important_change=tuple(
            _improvement_rule(f"mic-{n}", spec, first, improvement)
            for n, spec in enumerate(rules.get("minimal_important_change", []), start=1)
        ),
        reliable_changes=reliable,
        outcome=_outcome(rules.get("caseness"), reliable, first, last),
    )


def _improvement_rule(code: str, spec: dict | None, baseline, improvement) -> RuleResult | None:
    if spec is None:
        return None
    if "improvement_percent" in spec:
        met = baseline != 0 and improvement / baseline * 100 >= spec["improvement_percent"]
    else:
        met = improvement >= spec["improvement_points"]
    return RuleResult(code, spec["label"], bool(met), spec["source"], spec.get("unverified", False))


def _level_rule(code: str, spec: dict | None, value) -> RuleResult | None:
    if spec is None:
        return None
    met = OPERATORS[spec["op"]](value, spec["value"])
    return RuleResult(code, spec["label"], met, spec["source"], spec.get("unverified", False))


def _reliable_changes(rules: dict, change, improvement, sd):
    for spec in rules.get("reliable_change", []):
        if spec["method"] == "threshold":
            yield _threshold_change(spec, improvement)
        else:
            s_diff = _s_diff(spec, sd)
            if s_diff is not None:
                yield _jacobson_truax(spec, change, improvement, s_diff)


def _threshold_change(spec: dict, improvement) -> ReliableChange:
    points = spec["points"]
    improvement_only = spec.get("applies_to") == "improvement"
    reliable = (improvement if improvement_only else abs(improvement)) >= points
    direction = _direction(improvement, reliable)
    if improvement_only and improvement < 0:
        direction = "not-judged"
    return ReliableChange(
        "threshold",
        spec["label"],
        None,
        points,
        reliable,
        direction,
        spec["source"],
        spec.get("unverified", False),
    )


def _s_diff(spec: dict, sd: float | None) -> float | None:
    """Standard error of the difference: SD × √2 × √(1 − r) (Jacobson–Truax 1991)."""
    sd = sd if sd is not None else spec.get("sd")
    if sd is not None and spec.get("reliability") is not None:
        return float(sd) * math.sqrt(2) * math.sqrt(1 - float(spec["reliability"]))
    if spec.get("rci_points") is not None:
        # A published minimum reliable change is 1.96 × S_diff, so S_diff follows from it.
        return float(spec["rci_points"]) / RELIABLE_Z
    return None


def _jacobson_truax(spec: dict, change, improvement, s_diff: float) -> ReliableChange:
    index = float(change) / s_diff
    reliable = abs(index) > RELIABLE_Z
    # "rounded up to the next whole point" (instruments.md §7)
    threshold = math.ceil(round(RELIABLE_Z * s_diff, 6))
    return ReliableChange(
        "jacobson-truax",
        spec["label"],
        round(index, 2),
        threshold,
        reliable,
        _direction(improvement, reliable),
        spec["source"],
        spec.get("unverified", False),
    )


def _direction(improvement, reliable: bool) -> str:
    if not reliable or improvement == 0:
        return "unchanged"
    return "improved" if improvement > 0 else "deteriorated"


def _outcome(caseness: dict | None, reliable: tuple[ReliableChange, ...], baseline, latest):
    """Recovered, improved, unchanged or deteriorated (Jacobson–Truax; instruments.md §7)."""
    if not reliable or reliable[0].direction == "not-judged":
        return None
    direction = reliable[0].direction
    if direction != "improved":
        return direction
    if caseness is not None:
        is_case = OPERATORS[caseness["op"]]
        if is_case(baseline, caseness["value"]) and not is_case(latest, caseness["value"]):
            return "recovered"
    return "improved"
