import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic, Protocol
from kapcare.clinics.protocol import default_rules, validate_rules
from kapcare.evaluation.screening import DocumentError, screen_document

HELP = """Screen an evaluation against a protocol and print the findings as JSON.

FILE is one evaluation as a JSON object (or a list of them). Every key is optional; a rule never
fires on a fact that is not given:

  evaluated_on            "YYYY-MM-DD" (default today)
  date_of_birth or age    "YYYY-MM-DD", or whole years
  psychosis, mania, substance_use, ketamine_misuse, self_harm      "none" | "past" | "current"
  schizophrenia, bipolar_disorder, suicide_attempt, suicidal_thoughts_last_2_weeks,
  aneurysm_or_avm, intracerebral_haemorrhage, raised_intracranial_pressure,
  raised_intraocular_pressure, pregnant, lactating, interstitial_cystitis       true | false
  last_suicide_attempt    "YYYY-MM-DD"
  hypertension            "none" | "controlled" | "uncontrolled"
  cardiovascular_disease  "none" | "stable" | "unstable"
  cerebrovascular_disease, seizures                                 "none" | "past" | "recent"
  hepatic_impairment      "none" | "mild" | "moderate" | "severe"
  hyperthyroidism         "none" | "treated" | "untreated"
  systolic_bp, diastolic_bp (mmHg), heart_rate (/min), weight_kg, height_cm     numbers
  phq9_item9              0-3, the answer to PHQ-9 item 9
  medications             [{"name": "clonazepam", "class": "benzodiazepine", "dose": 0.5, "unit": "mg"}]
                          class: benzodiazepine, sedative_hypnotic, opioid, stimulant, maoi,
                          lamotrigine, mood_stabilizer, ssri, snri, antipsychotic, other;
                          unit (UCUM): mg, ug, g, mL, [iU]
  allergies               [{"substance": "ketamine", "reaction": "rash"}]

The protocol is the clinic's active one (--clinic, needed if there are several clinics), the
shipped defaults if there is no clinic, or a protocol JSON file (--protocol). The staff app's
screening runs the same function, so both give the same findings. Exit status 2 if the file is
not a valid evaluation or protocol.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="the evaluation as JSON (- for standard input)")
        parser.add_argument("--protocol", help="a protocol JSON file instead of the clinic's active one")
        parser.add_argument("--clinic", help="the clinic's short name, for its active protocol")

    def handle(self, *args, file, protocol, clinic, **options):
        rules, version = self.rules(protocol, clinic)
        documents = load_json(file, "evaluation")
        single = isinstance(documents, dict)
        results = []
        for document in [documents] if single else documents:
            try:
                findings = screen_document(document, rules)
            except DocumentError as error:
                raise CommandError(
                    "The evaluation is not valid:\n  " + "\n  ".join(error.errors), returncode=2
                ) from None
            results.append({"protocol_version": version, "findings": [f.as_dict() for f in findings]})
        self.stdout.write(json.dumps(results[0] if single else results, indent=2, ensure_ascii=False))

    def rules(self, path, slug):
        if path:
            rules = load_json(path, "protocol")
            errors = validate_rules(rules)
            if errors:
                raise CommandError("The protocol is not valid:\n  " + "\n  ".join(errors), returncode=2)
            return rules, rules.get("version", "file")
        clinics = Clinic.objects.filter(slug=slug) if slug else Clinic.objects.all()
        if slug and not clinics.exists():
            raise CommandError(f"No clinic with the short name {slug!r}.", returncode=2)
        if clinics.count() > 1:
            raise CommandError("There are several clinics: say which with --clinic.", returncode=2)
        clinic = clinics.first()
        if clinic is None:
            return default_rules(), "defaults"
        protocol = Protocol.active_for(clinic)
        return protocol.rules, protocol.version


def load_json(path: str, what: str):
    try:
        text = Path("/dev/stdin").read_text() if path == "-" else Path(path).read_text()
        return json.loads(text)
    except OSError as error:
        raise CommandError(f"Cannot read the {what} file: {error.strerror}.", returncode=2) from None
    except json.JSONDecodeError as error:
        raise CommandError(
            f"The {what} file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
            returncode=2,
        ) from None
