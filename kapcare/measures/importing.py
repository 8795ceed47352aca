"""Import a FHIR R4 Questionnaire into a clinic as an instrument, binding it to kapcare's scoring
definition of the same instrument where there is one (recognised by LOINC panel code or url)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from kapcare.audit.trail import record
from kapcare.measures.models import Instrument
from kapcare.measures.questionnaires import ParsedQuestionnaire, parse_questionnaire
from kapcare.measures.scoring import DefinitionError, ScoringDefinition, definition_for


@dataclass
class Imported:
    instrument: Instrument
    parsed: ParsedQuestionnaire
    definition: ScoringDefinition | None
    binding_problem: str | None = None


def import_questionnaire(
    clinic, resource: dict, *, name: str | None = None, actor=None, request=None
) -> Imported:
    """Parse, bind and store; raises QuestionnaireError (nothing stored) if it is no Questionnaire."""
    parsed = parse_questionnaire(resource)
    definition, problem = _bind(parsed)
    name = name or _name_for(clinic, parsed, definition)
    copyright_text = resource.get("copyright") or ""
    with transaction.atomic():
        instrument, _ = Instrument.objects.update_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "title": parsed.title or parsed.name or name,
                "questionnaire": resource,
                "installed_at": timezone.now(),  # a new import replaces the one of its name
                "scoring": definition.data if definition else {},
                "is_shipped": False,
                # A clinic imports the text of a licensed instrument because it holds the licence.
                "shows_item_text": True,
                "copyright": copyright_text,
                "licence_note": (definition.data.get("licence", {}).get("summary", "") if definition else ""),
                "import_report": [
                    {"link_id": i.link_id, "kind": i.kind, "message": i.message, "severity": i.severity}
                    for i in parsed.report.issues
                ],
            },
        )
        record(
            request,
            "create",
            instrument,
            clinic=clinic,
            actor=actor or "kapcare import-questionnaire",
            detail={"instrument": name, "bound_to": definition.instrument if definition else None},
        )
    return Imported(instrument, parsed, definition, problem)


def _bind(parsed: ParsedQuestionnaire) -> tuple[ScoringDefinition | None, str | None]:
    try:
        return definition_for(parsed), None
    except DefinitionError as error:
        return None, str(error)


def _name_for(clinic, parsed, definition) -> str:
    """The shipped instrument's name, unless the clinic already shows that one's own text."""
    if definition is not None:
        existing = Instrument.objects.filter(clinic=clinic, name=definition.instrument).first()
        if existing is None or not existing.questionnaire or not existing.is_shipped:
            return definition.instrument
    name = slugify(parsed.name or parsed.title or parsed.resource.get("id") or "questionnaire")[:50]
    shipped = set(Instrument.objects.filter(clinic=clinic, is_shipped=True).values_list("name", flat=True))
    # Never overwrite an instrument kapcare installed: the import goes beside it.
    return f"{name}-imported" if name in shipped else name


@dataclass
class ItemLine:
    """One item of an imported Questionnaire: what kapcare understood of it, and what not."""

    link_id: str
    what: str
    issues: list  # [(severity, message)]


@dataclass
class ImportReport:
    questionnaire_issues: list  # [(severity, message)]
    items: list[ItemLine]
    scored_with: str | None  # the title of the definition that scores it
    not_scored_why: str | None
    warnings: int
    notes: int


def report_for(imported: Imported) -> ImportReport:
    """Item by item, what was understood and what was not (the command and the staff page)."""
    parsed, report = imported.parsed, imported.parsed.report
    scored = {i.answer_key: i for i in imported.definition.items} if imported.definition else {}
    lines, reported = [], set()
    for item in parsed.walk():
        what = f"{item.type}"
        if item.options:
            what += f", {len(item.options)} answers, {'weighted' if item.is_weighted else 'no weights'}"
        if item.calculated_expression:
            what += ", calculated"
        if item.link_id in scored:
            what += f", scored as {scored[item.link_id].label or scored[item.link_id].link_id}"
        # A duplicated linkId's issues are said once.
        issues = [] if item.link_id in reported else report.for_item(item.link_id)
        reported.add(item.link_id)
        lines.append(ItemLine(item.link_id or "(no linkId)", what, [(i.severity, i.message) for i in issues]))
    warnings = len(report.warnings)
    return ImportReport(
        questionnaire_issues=[(i.severity, i.message) for i in report.for_item(None)],
        items=lines,
        scored_with=imported.definition.title if imported.definition else None,
        not_scored_why=None
        if imported.definition
        else imported.binding_problem or "no shipped scoring definition matches its code or url",
        warnings=warnings,
        notes=len(report.issues) - warnings,
    )
