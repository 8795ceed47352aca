"""`kapcare import-questionnaire FILE --clinic SHORT`: import a FHIR R4 Questionnaire (LHC-Forms
style included), printing item by item what was understood and what was not."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic
from kapcare.measures.importing import import_questionnaire, report_for
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
        report, out = report_for(imported), self.stdout
        out.write(
            f"Imported '{imported.instrument.title}' as {imported.instrument.name} "
            f"into {imported.instrument.clinic.name}."
        )
        for severity, message in report.questionnaire_issues:
            out.write(f"  questionnaire: {severity}: {message}")
        for line in report.items:
            out.write(f"  item {line.link_id}: {line.what}")
            for severity, message in line.issues:
                out.write(f"    {severity}: {message}")
        if report.scored_with:
            out.write(self.style.SUCCESS(f"Scored with kapcare's {report.scored_with} definition."))
        else:
            out.write(
                self.style.WARNING(
                    f"Not scored: {report.not_scored_why}. "
                    "It cannot be assigned until a scoring definition is added."
                )
            )
        w, n = report.warnings, report.notes
        out.write(f"{w} warning{'s' if w != 1 else ''}, {n} note{'s' if n != 1 else ''}.")
