"""`kapcare import-questionnaire FILE --clinic SHORT`: import a FHIR R4 Questionnaire (LHC-Forms
style included), printing item by item what was understood and what was not."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic
from kapcare.measures.importing import import_questionnaire
from kapcare.measures.questionnaires import QuestionnaireError


class Command(BaseCommand):
    help = "Import a FHIR R4 Questionnaire JSON file into a clinic and report what was understood."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--clinic", required=True, help="The clinic's short name.")
        parser.add_argument("--name", help="Name to store it under (default: the instrument's).")

    def handle(self, *args, file, clinic, name=None, **options):
        found = Clinic.objects.filter(slug=clinic).first()
        if found is None:
            raise CommandError(f"No clinic with the short name {clinic!r}.")
        try:
            resource = json.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except json.JSONDecodeError as error:
            raise CommandError(f"{file} is not JSON: {error.msg} at line {error.lineno}.") from error
        try:
            imported = import_questionnaire(found, resource, name=name)
        except QuestionnaireError as error:
            raise CommandError(f"{file}: {error}") from error
        self._report(imported)

    def _report(self, imported):
        parsed, report, out = imported.parsed, imported.parsed.report, self.stdout
        out.write(
            f"Imported '{imported.instrument.title}' as {imported.instrument.name} "
            f"into {imported.instrument.clinic.name}."
        )
        for issue in report.for_item(None):
            out.write(f"  questionnaire: {issue.severity}: {issue.message}")
        scored = {i.answer_key: i for i in imported.definition.items} if imported.definition else {}
        reported = set()
        for item in parsed.walk():
            what = f"{item.type}"
            if item.options:
                weighted = "weighted" if item.is_weighted else "no weights"
                what += f", {len(item.options)} answers, {weighted}"
            if item.calculated_expression:
                what += ", calculated"
            if item.link_id in scored:
                what += f", scored as {scored[item.link_id].label or scored[item.link_id].link_id}"
            out.write(f"  item {item.link_id or '(no linkId)'}: {what}")
            if item.link_id not in reported:  # a duplicated linkId's issues are said once
                for issue in report.for_item(item.link_id):
                    out.write(f"    {issue.severity}: {issue.message}")
            reported.add(item.link_id)
        if imported.definition is not None:
            out.write(self.style.SUCCESS(f"Scored with kapcare's {imported.definition.title} definition."))
        else:
            why = imported.binding_problem or "no shipped scoring definition matches its code or url"
            out.write(
                self.style.WARNING(
                    f"Not scored: {why}. It cannot be assigned until a scoring definition is added."
                )
            )
        warnings = len(report.warnings)
        out.write(
            f"{warnings} warning{'s' if warnings != 1 else ''}, "
            f"{len(report.issues) - warnings} note{'s' if len(report.issues) - warnings != 1 else ''}."
        )
