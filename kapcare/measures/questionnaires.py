"""Read FHIR R4 Questionnaires and QuestionnaireResponses into plain structures.

The scoring engine and the forms work on these structures rather than on raw JSON, so the many
ways questionnaires in the wild carry answer weights (R4 ordinalValue, R5 itemWeight, the older
iso21090-CO-value that LHC-Forms wrote on the Coding, contained value sets) are handled in one
place. Whatever the reader cannot understand goes into an import report, item by item, instead
of failing the import or being dropped silently.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path

import fhirpathpy
from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser

FHIR = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"

ORDINAL_VALUE = FHIR + "ordinalValue"
ITEM_WEIGHT = FHIR + "itemWeight"
CO_VALUE = FHIR + "iso21090-CO-value"
# Most specific first: when an option carries two of these, the first one found wins.
WEIGHT_EXTENSIONS = (
    ITEM_WEIGHT,
    ORDINAL_VALUE,
    FHIR + "questionnaire-ordinalValue",  # STU3
    FHIR + "valueset-ordinalValue",
    CO_VALUE,
)
CALCULATED_EXPRESSION = SDC + "sdc-questionnaire-calculatedExpression"
VARIABLE = FHIR + "variable"
MIN_VALUE = FHIR + "minValue"
MAX_VALUE = FHIR + "maxValue"

# Extensions that only change how an item looks; nothing to report.
PRESENTATION_EXTENSIONS = {
    FHIR + name
    for name in """
        questionnaire-optionPrefix questionnaire-itemControl questionnaire-choiceOrientation
        questionnaire-hidden questionnaire-unit questionnaire-displayCategory
        questionnaire-supportLink questionnaire-sliderStepValue questionnaire-usageMode
        questionnaire-minOccurs questionnaire-maxOccurs entryFormat maxDecimalPlaces minLength
        maxSize rendering-xhtml rendering-markdown rendering-style rendering-styleSensitive
        translation artifact-versionAlgorithm instance-name instance-description
    """.split()
} | {
    SDC + name
    for name in """
        sdc-questionnaire-shortText sdc-questionnaire-collapsible sdc-questionnaire-width
        sdc-questionnaire-entryMode sdc-questionnaire-optionalDisplay
    """.split()
}
UNDERSTOOD_EXTENSIONS = (
    set(WEIGHT_EXTENSIONS) | {CALCULATED_EXPRESSION, VARIABLE, MIN_VALUE, MAX_VALUE} | PRESENTATION_EXTENSIONS
)

ANSWERABLE_TYPES = {
    *"boolean decimal integer date dateTime time string text url quantity".split(),
    *"choice open-choice coding".split(),
}
STRUCTURAL_TYPES = {"group", "display"}


class QuestionnaireError(ValueError):
    """The resource cannot be read as a Questionnaire at all, or an expression failed."""


@dataclass(frozen=True)
class Coding:
    system: str | None
    code: str | None
    display: str | None = None


@dataclass(frozen=True)
class AnswerOption:
    """One answer a patient may choose, with the weight it scores."""

    code: str | None
    system: str | None
    display: str | None
    value: object = None  # the option's value when it is not a Coding (integer, string, date)
    weight: int | Decimal | None = None

    @property
    def key(self) -> object:
        """What a response records for this option: the code, or the plain value."""
        return self.code if self.code is not None else self.value

    def matches(self, answer: object) -> bool:
        if isinstance(answer, bool) or answer is None:
            return False
        if self.code is not None:
            return answer == self.code
        return answer == self.value


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: str
    answer: object  # a code for answerCoding, else the plain value


@dataclass(frozen=True)
class Variable:
    name: str
    expression: str


@dataclass
class QuestionnaireItem:
    link_id: str
    type: str
    text: str | None = None
    prefix: str | None = None
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    codes: list[Coding] = field(default_factory=list)
    options: list[AnswerOption] = field(default_factory=list)
    enable_when: list[EnableWhen] = field(default_factory=list)
    enable_behavior: str = "all"
    calculated_expression: str | None = None
    variables: list[Variable] = field(default_factory=list)
    min_value: int | Decimal | None = None
    max_value: int | Decimal | None = None
    items: list[QuestionnaireItem] = field(default_factory=list)

    @property
    def is_weighted(self) -> bool:
        return bool(self.options) and all(o.weight is not None for o in self.options)

    def has_code(self, code: str) -> bool:
        return any(c.code == code for c in self.codes)

    def option_for(self, answer: object) -> AnswerOption | None:
        return next((o for o in self.options if o.matches(answer)), None)


@dataclass(frozen=True)
class ImportIssue:
    """Something in an imported Questionnaire that kapcare could not fully understand."""

    link_id: str | None  # None for the Questionnaire as a whole
    kind: str
    message: str
    severity: str = "warning"  # "warning" changes what the form does; "note" is for information

    def __str__(self) -> str:
        where = f"item {self.link_id}" if self.link_id else "questionnaire"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    issues: list[ImportIssue] = field(default_factory=list)

    def add(self, link_id, kind, message, severity="warning"):
        self.issues.append(ImportIssue(link_id, kind, message, severity))

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def is_clean(self) -> bool:
        return not self.warnings

    def for_item(self, link_id: str) -> list[ImportIssue]:
        return [i for i in self.issues if i.link_id == link_id]

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues) or "Everything was understood."


@dataclass
class ParsedQuestionnaire:
    url: str | None
    title: str | None
    name: str | None
    version: str | None
    codes: list[Coding]
    copyright: str | None
    items: list[QuestionnaireItem]
    variables: list[Variable]
    report: ImportReport
    resource: dict

    def walk(self) -> Iterator[QuestionnaireItem]:
        """Every item, depth first, in the order a patient meets them."""
        return _walk(self.items)

    def item(self, link_id: str) -> QuestionnaireItem | None:
        return self._by_link_id.get(link_id)

    @cached_property
    def _by_link_id(self) -> dict[str, QuestionnaireItem]:
        by_link_id: dict[str, QuestionnaireItem] = {}
        for item in self.walk():
            by_link_id.setdefault(item.link_id, item)  # with duplicates, the first one wins
        return by_link_id

    def item_with_code(self, code: str) -> QuestionnaireItem | None:
        return next((i for i in self.walk() if i.has_code(code)), None)

    def has_code(self, code: str) -> bool:
        return any(c.code == code for c in self.codes)


def _walk(items: list[QuestionnaireItem]) -> Iterator[QuestionnaireItem]:
    for item in items:
        yield item
        yield from _walk(item.items)


# Reading a Questionnaire -------------------------------------------------------------------


def load_questionnaire(path: str | Path) -> ParsedQuestionnaire:
    return parse_questionnaire(json.loads(Path(path).read_text(encoding="utf-8")))


def parse_questionnaire(resource: dict) -> ParsedQuestionnaire:
    """Read a FHIR R4 Questionnaire; problems go to `.report`, not exceptions."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireError("This is not a FHIR Questionnaire resource.")
    report = ImportReport()
    reader = _Reader(resource, report)
    _check_extensions(resource, None, report)
    items = [reader.item(raw) for raw in resource.get("item", [])]
    _check_link_ids(items, report)
    return ParsedQuestionnaire(
        url=resource.get("url"),
        title=resource.get("title"),
        name=resource.get("name"),
        version=resource.get("version"),
        codes=[_coding(c) for c in resource.get("code", [])],
        copyright=resource.get("copyright"),
        items=items,
        variables=_variables(resource, None, report),
        report=report,
        resource=resource,
    )


class _Reader:
    """Walks the item tree; keeps the contained value sets at hand for answerValueSet."""

    def __init__(self, resource: dict, report: ImportReport):
        self.report = report
        self.value_sets = {
            "#" + c["id"]: c
            for c in resource.get("contained", [])
            if c.get("resourceType") == "ValueSet" and "id" in c
        }

    def item(self, raw: dict) -> QuestionnaireItem:
        link_id = raw.get("linkId") or ""
        if not link_id:
            self.report.add(None, "missing-link-id", "an item has no linkId; answers cannot reach it")
        item_type = raw.get("type", "")
        self._check_type(link_id, item_type)
        _check_extensions(raw, link_id, self.report)
        item = QuestionnaireItem(
            link_id=link_id,
            type=item_type,
            text=raw.get("text"),
            prefix=raw.get("prefix"),
            required=bool(raw.get("required", False)),
            repeats=bool(raw.get("repeats", False)),
            read_only=bool(raw.get("readOnly", False)),
            codes=[_coding(c) for c in raw.get("code", [])],
            options=self.options(raw, link_id),
            enable_when=[_enable_when(e) for e in raw.get("enableWhen", [])],
            enable_behavior=raw.get("enableBehavior", "all"),
            calculated_expression=_calculated_expression(raw, link_id, self.report),
            variables=_variables(raw, link_id, self.report),
            min_value=_bound(raw, MIN_VALUE),
            max_value=_bound(raw, MAX_VALUE),
            items=[self.item(child) for child in raw.get("item", [])],
        )
        self._check_weights(item)
        return item

    def _check_type(self, link_id: str, item_type: str) -> None:
        if item_type not in ANSWERABLE_TYPES | STRUCTURAL_TYPES:
            self.report.add(
                link_id,
                "unsupported-type",
                f"item type '{item_type}' is not supported; the item is shown but not answered",
            )

    def options(self, raw: dict, link_id: str) -> list[AnswerOption]:
        if "answerOption" in raw:
            return [self._answer_option(o, link_id) for o in raw["answerOption"]]
        if "answerValueSet" in raw:
            return self._value_set_options(raw["answerValueSet"], link_id)
        return []

    def _answer_option(self, raw: dict, link_id: str) -> AnswerOption:
        _check_extensions(raw, link_id, self.report)
        coding = raw.get("valueCoding")
        weight = _weight(raw.get("extension", []))
        if coding is not None:
            _check_extensions(coding, link_id, self.report)
            if weight is None:
                weight = _weight(coding.get("extension", []))
            code, display = coding.get("code"), coding.get("display")
            # A Coding with no code is known by its display; responses will record that.
            value = display if code is None else None
            return AnswerOption(code, coding.get("system"), display, value=value, weight=weight)
        value = next((v for k, v in raw.items() if k.startswith("value")), None)
        if weight is None and isinstance(value, int) and not isinstance(value, bool):
            weight = value  # an integer option is its own score unless it says otherwise
        return AnswerOption(None, None, str(value), value=value, weight=weight)

    def _value_set_options(self, reference: str, link_id: str) -> list[AnswerOption]:
        value_set = self.value_sets.get(reference)
        if value_set is None:
            self.report.add(
                link_id,
                "unresolved-value-set",
                f"answer value set {reference} is not contained in the Questionnaire; "
                "its answers and weights are unknown",
            )
            return []
        options = []
        for include in value_set.get("compose", {}).get("include", []):
            for concept in include.get("concept", []):
                options.append(_concept_option(concept, include.get("system")))
        for contains in value_set.get("expansion", {}).get("contains", []):
            options.append(_concept_option(contains, contains.get("system")))
        return options

    def _check_weights(self, item: QuestionnaireItem) -> None:
        weighted = [o for o in item.options if o.weight is not None]
        if item.options and not weighted and item.type in ("choice", "open-choice", "coding"):
            self.report.add(
                item.link_id,
                "missing-weights",
                "answer options carry no weights (ordinalValue, itemWeight or "
                "iso21090-CO-value); the item cannot count toward a score",
                severity="note",
            )
        elif weighted and len(weighted) < len(item.options):
            missing = ", ".join(str(o.display or o.key) for o in item.options if o.weight is None)
            self.report.add(item.link_id, "partial-weights", f"some answer options have no weight: {missing}")


def _concept_option(concept: dict, system: str | None) -> AnswerOption:
    return AnswerOption(
        concept.get("code"),
        system,
        concept.get("display"),
        weight=_weight(concept.get("extension", [])),
    )


def _weight(extensions: list[dict]) -> int | Decimal | None:
    for url in WEIGHT_EXTENSIONS:
        for ext in extensions:
            if ext.get("url") == url:
                value = ext.get("valueDecimal", ext.get("valueInteger"))
                if value is not None:
                    return as_number(value)
    return None


def as_number(value) -> int | Decimal:
    """Whole numbers as int, others as exact Decimal, so band edges compare exactly."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else number


def _coding(raw: dict) -> Coding:
    return Coding(raw.get("system"), raw.get("code"), raw.get("display"))


def _enable_when(raw: dict) -> EnableWhen:
    answer = next((v for k, v in raw.items() if k.startswith("answer")), None)
    if isinstance(answer, dict):  # answerCoding, answerQuantity
        answer = answer.get("code", answer.get("value"))
    return EnableWhen(raw.get("question", ""), raw.get("operator", "="), answer)


def _bound(raw: dict, url: str) -> int | Decimal | None:
    for ext in raw.get("extension", []):
        if ext.get("url") == url:
            value = ext.get("valueInteger", ext.get("valueDecimal"))
            return as_number(value) if value is not None else None
    return None


def _calculated_expression(raw: dict, link_id: str, report: ImportReport) -> str | None:
    for ext in raw.get("extension", []):
        if ext.get("url") == CALCULATED_EXPRESSION:
            return _expression(ext.get("valueExpression", {}), link_id, report)
    return None


def _variables(raw: dict, link_id: str | None, report: ImportReport) -> list[Variable]:
    variables = []
    for ext in raw.get("extension", []):
        if ext.get("url") == VARIABLE:
            value = ext.get("valueExpression", {})
            expression = _expression(value, link_id, report)
            if expression is not None and value.get("name"):
                variables.append(Variable(value["name"], expression))
    return variables


def _expression(value: dict, link_id: str | None, report: ImportReport) -> str | None:
    language = value.get("language", "text/fhirpath")
    expression = value.get("expression")
    if language != "text/fhirpath" or not expression:
        report.add(
            link_id,
            "unsupported-expression",
            f"expression in language '{language}' cannot be evaluated; ignored",
        )
        return None
    try:
        check_fhirpath(expression)
    except QuestionnaireError as error:
        report.add(link_id, "bad-expression", f"FHIRPath '{expression}' cannot be read: {error}")
        return None
    return expression


class _RaiseOnSyntaxError(ErrorListener):
    def syntaxError(self, recognizer, offending_symbol, line, column, message, error):
        raise QuestionnaireError(f"column {column}: {message.split(' expecting')[0]}")


def check_fhirpath(expression: str) -> None:
    """Raise QuestionnaireError if the expression is not valid FHIRPath.

    fhirpathpy.parse() quietly recovers from syntax errors, so parse again with a listener
    that refuses them, and insist the whole text is one expression.
    """
    listener = _RaiseOnSyntaxError()
    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = FHIRPathParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    parser.entireExpression()


def _check_extensions(element: dict, link_id: str | None, report: ImportReport) -> None:
    for ext in element.get("modifierExtension", []):
        report.add(
            link_id,
            "unknown-modifier",
            f"modifier extension {ext.get('url')} changes the meaning of this item "
            "and kapcare cannot honour it",
        )
    for ext in element.get("extension", []):
        url = ext.get("url", "")
        if url not in UNDERSTOOD_EXTENSIONS:
            report.add(link_id, "unknown-extension", _unknown_extension_message(url))
    text_extensions = element.get("_text", {}).get("extension", [])
    for ext in text_extensions:
        if ext.get("url") not in PRESENTATION_EXTENSIONS:
            report.add(link_id, "unknown-extension", _unknown_extension_message(ext.get("url")))


def _unknown_extension_message(url: str) -> str:
    if url.startswith(SDC) or url.startswith(FHIR + "cqf-"):
        name = url.rsplit("/", 1)[-1]
        return f"SDC behaviour '{name}' is not applied by kapcare; ignored ({url})"
    return f"unknown extension {url}; ignored"


def _check_link_ids(items: list[QuestionnaireItem], report: ImportReport) -> None:
    seen = set()
    for item in _walk(items):
        if item.link_id and item.link_id in seen:
            report.add(
                item.link_id,
                "duplicate-link-id",
                "linkId used by more than one item; answers may land on the wrong one",
            )
        seen.add(item.link_id)
    for item in _walk(items):
        for rule in item.enable_when:
            if rule.question not in seen:
                report.add(
                    item.link_id,
                    "unknown-enable-when",
                    f"enableWhen refers to item {rule.question}, which does not exist; "
                    "the item will never be asked",
                )


# enableWhen -------------------------------------------------------------------------------


def is_enabled(item: QuestionnaireItem, answers: dict) -> bool:
    """Whether the item is asked, given the answers so far ({linkId: code or value})."""
    if not item.enable_when:
        return True
    results = [_enable_when_holds(rule, answers) for rule in item.enable_when]
    return any(results) if item.enable_behavior == "any" else all(results)


def _enable_when_holds(rule: EnableWhen, answers: dict) -> bool:
    given = answers.get(rule.question)
    values = given if isinstance(given, list) else ([] if given is None else [given])
    if rule.operator == "exists":
        return bool(values) == bool(rule.answer)
    if rule.operator == "!=":
        return all(v != rule.answer for v in values)
    return any(_compare(v, rule.operator, rule.answer) for v in values)


def _compare(left, operator: str, right) -> bool:
    try:
        return {
            "=": lambda: left == right,
            ">": lambda: left > right,
            "<": lambda: left < right,
            ">=": lambda: left >= right,
            "<=": lambda: left <= right,
        }[operator]()
    except (KeyError, TypeError):
        return False


# Reading a QuestionnaireResponse ----------------------------------------------------------


def read_response(response: dict, questionnaire: ParsedQuestionnaire | None = None) -> dict:
    """Answers of a QuestionnaireResponse as {linkId: code or value}; a list where it repeats.

    A Coding answer becomes its code. Where the code is missing (some exporters keep only the
    display), the answer is matched to the Questionnaire's options by display text.
    """
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise QuestionnaireError("This is not a FHIR QuestionnaireResponse resource.")
    answers: dict = {}
    for raw in _response_items(response.get("item", [])):
        item = questionnaire.item(raw.get("linkId", "")) if questionnaire else None
        values = [_answer_value(a, item) for a in raw.get("answer", [])]
        values = [v for v in values if v is not None]
        if values:
            repeats = len(values) > 1 or (item is not None and item.repeats)
            answers[raw["linkId"]] = values if repeats else values[0]
    return answers


def _response_items(items: list[dict]) -> Iterator[dict]:
    for raw in items:
        yield raw
        yield from _response_items(raw.get("item", []))
        for answer in raw.get("answer", []):
            yield from _response_items(answer.get("item", []))


def _answer_value(answer: dict, item: QuestionnaireItem | None):
    for key, value in answer.items():
        if not key.startswith("value"):
            continue
        if key == "valueCoding":
            return value.get("code") or _by_display(value.get("display"), item)
        if key == "valueString" and item is not None and item.options:
            return _by_display(value, item)
        if key == "valueDecimal":
            return as_number(value)
        if key == "valueQuantity":
            return as_number(value["value"]) if "value" in value else None
        return value
    return None


def _by_display(display: str | None, item: QuestionnaireItem | None):
    """The option whose code or display matches; else the text itself, for the engine to refuse."""
    if display is None or item is None:
        return display
    wanted = " ".join(display.split()).casefold()
    for option in item.options:
        texts = (option.code, option.display, None if option.value is None else str(option.value))
        if any(t is not None and " ".join(t.split()).casefold() == wanted for t in texts):
            return option.key
    return display


# SDC calculated expressions ----------------------------------------------------------------


def calculate(questionnaire: ParsedQuestionnaire, response: dict) -> dict:
    """Evaluate every SDC calculatedExpression against a response: {linkId: value or None}.

    Expressions run in document order and each result is written into a working copy of the
    response, so a total may build on subscales computed before it.
    """
    working = _with_answer_weights(copy.deepcopy(response), questionnaire)
    results = {}
    for item in _items_with_calculations(questionnaire):
        value = _evaluate_item(questionnaire, item, working)
        results[item.link_id] = value
        _set_answer(working, item, value)
    return results


def _items_with_calculations(questionnaire: ParsedQuestionnaire) -> list[QuestionnaireItem]:
    return [i for i in questionnaire.walk() if i.calculated_expression]


def _evaluate_item(questionnaire, item, working):
    variables = {"resource": working, "questionnaire": questionnaire.resource}
    for variable in [*questionnaire.variables, *_ancestor_variables(questionnaire, item)]:
        variables[variable.name] = _evaluate(variable.expression, working, variables, item)
    result = _evaluate(item.calculated_expression, working, variables, item)
    if not result:
        return None
    return as_number(result[0]) if _is_number(result[0]) else result[0]


def _ancestor_variables(questionnaire, target) -> list[Variable]:
    """Variables declared on the item and on the groups around it, outermost first."""

    def path_to(items, trail):
        for item in items:
            if item is target:
                return [*trail, item]
            found = path_to(item.items, [*trail, item])
            if found:
                return found
        return None

    return [v for item in path_to(questionnaire.items, []) or [] for v in item.variables]


def _evaluate(expression: str, resource: dict, variables: dict, item: QuestionnaireItem) -> list:
    try:
        return _compiled(expression)(resource, variables)
    except Exception as error:  # fhirpathpy raises bare Exceptions for unknown functions etc.
        raise QuestionnaireError(f"item {item.link_id}: FHIRPath '{expression}' failed: {error}") from error


@cache
def _compiled(expression: str):
    """Parsing is half the cost of an evaluation, and the same expressions run for every response."""
    return fhirpathpy.compile(expression, models["r4"], {"userInvocationTable": SDC_FUNCTIONS})


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _coding_weights(codings: list) -> list:
    """SDC weight() and LHC-Forms ordinal(): the weight each answer Coding carries."""
    weights = []
    for coding in codings:
        if isinstance(coding, dict):
            weight = _weight(coding.get("extension", []))
            if weight is not None:
                weights.append(Decimal(weight))
    return weights


def _all_answers(nodes: list) -> list:
    """SDC answers(): every answer in a response or item, however deeply nested."""
    found = []

    def collect(items):
        for item in items:
            for answer in item.get("answer", []):
                # Typed nodes, so that .value resolves to valueCoding, valueInteger and so on.
                found.append(ResourceNode(answer, "QuestionnaireResponse.item.answer"))
                collect(answer.get("item", []))
            collect(item.get("item", []))

    for node in nodes:
        if isinstance(node, dict):
            collect([node] if "linkId" in node else node.get("item", []))
    return found


SDC_FUNCTIONS = {
    "weight": {"fn": _coding_weights, "arity": {0: []}},
    "ordinal": {"fn": _coding_weights, "arity": {0: []}},
    "answers": {"fn": _all_answers, "arity": {0: []}},
}


def _with_answer_weights(response: dict, questionnaire: ParsedQuestionnaire) -> dict:
    """Copy each option's weight onto the answer Coding, where weight() can find it."""
    for raw in _response_items(response.get("item", [])):
        item = questionnaire.item(raw.get("linkId", ""))
        if item is None:
            continue
        for answer in raw.get("answer", []):
            coding = answer.get("valueCoding")
            if coding is None or _weight(coding.get("extension", [])) is not None:
                continue
            option = item.option_for(coding.get("code") or _by_display(coding.get("display"), item))
            if option is not None and option.weight is not None:
                extension = {"url": ORDINAL_VALUE, "valueDecimal": option.weight}
                coding.setdefault("extension", []).append(extension)
    return response


def _set_answer(response: dict, item: QuestionnaireItem, value) -> None:
    """Put a calculated value into the response, replacing what was there."""
    answer = [] if value is None else [{_value_key(item, value): value}]
    for raw in _response_items(response.get("item", [])):
        if raw.get("linkId") == item.link_id:
            raw["answer"] = answer
            return
    if answer:
        response.setdefault("item", []).append({"linkId": item.link_id, "answer": answer})


def _value_key(item: QuestionnaireItem, value) -> str:
    if item.type == "integer" and isinstance(value, int):
        return "valueInteger"
    if _is_number(value):
        return "valueDecimal"
    return "valueString"
