"""`kapcare x12 parse FILE` and `kapcare x12 build-270 ...`: eligibility X12 from the command line."""

import argparse
import json
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapcare.coverage.x12 import (
    BEHAVIORAL_HEALTH_SERVICE_TYPES,
    Dependent,
    EligibilityInquiry,
    InquiryError,
    Subscriber,
    X12Error,
    behavioral_health_summary,
    build_270,
    parse_270,
    parse_271,
)
from kapcare.coverage.x12.segments import tokenize


class Command(BaseCommand):
    help = "Read a 270 or 271 as JSON, or build a 270 eligibility inquiry."
    requires_system_checks = []

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        read = commands.add_parser("parse", help="Print a 270 or 271 file as JSON (a 271 with its summary).")
        read.add_argument("file")
        build = commands.add_parser("build-270", help="Print a 270 for one patient and one service type.")
        build.add_argument("--payer-id", required=True)
        build.add_argument("--payer-name", default="PAYER")
        build.add_argument("--member-id", required=True)
        build.add_argument("--first", required=True, help="Subscriber's first name")
        build.add_argument("--last", required=True, help="Subscriber's last name")
        build.add_argument("--dob", required=True, type=_day, help="Subscriber's date of birth, YYYY-MM-DD")
        build.add_argument("--gender", default="", choices=["", "F", "M", "U"])
        build.add_argument("--service-type", default="MH", choices=BEHAVIORAL_HEALTH_SERVICE_TYPES)
        build.add_argument("--npi", required=True, help="The clinic's billing NPI")
        build.add_argument("--provider-name", default="KAPCARE CLINIC")
        build.add_argument("--service-date", type=_day, help="Defaults to today")
        build.add_argument("--control-number", type=int, default=1)
        build.add_argument("--trace", default="", help="Trace number (TRN02), returned in the 271")
        build.add_argument("--dependent-first")
        build.add_argument("--dependent-last")
        build.add_argument("--dependent-dob", type=_day)
        build.add_argument("--relationship", default="19", choices=["01", "19", "34"])
        build.add_argument("--usage", default="P", choices=["P", "T"])

    def handle(self, *args, action, **options):
        if action == "parse":
            self.stdout.write(json.dumps(read(options["file"]), indent=2))
        else:
            self.stdout.write(build(options))


def read(path: str) -> dict:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from error
    try:
        segments = tokenize(text)[1]
        kind = next((segment[1] for segment in segments if segment[0] == "ST" and len(segment) > 1), "")
        if kind == "270":
            return {"transaction_set": "270", "inquiry": _jsonable(parse_270(text))}
        response = parse_271(text)
    except X12Error as error:
        raise CommandError(f"{path}: {error}") from error
    return {
        "transaction_set": "271",
        "response": response.to_dict(),
        "summary": behavioral_health_summary(response).to_dict(),
    }


def build(options: dict) -> str:
    dependent = None
    if options["dependent_first"] or options["dependent_last"] or options["dependent_dob"]:
        if not (options["dependent_first"] and options["dependent_last"] and options["dependent_dob"]):
            raise CommandError("a dependent needs --dependent-first, --dependent-last and --dependent-dob")
        dependent = Dependent(
            options["dependent_last"].upper(),
            options["dependent_first"].upper(),
            options["dependent_dob"],
            relationship=options["relationship"],
        )
    now = timezone.now()
    number = options["control_number"]
    inquiry = EligibilityInquiry(
        provider_npi=options["npi"],
        provider_name=options["provider_name"].upper(),
        payer_id=options["payer_id"],
        payer_name=options["payer_name"].upper(),
        subscriber=Subscriber(
            options["last"].upper(),
            options["first"].upper(),
            options["member_id"],
            options["dob"],
            options["gender"],
        ),
        dependent=dependent,
        service_type=options["service_type"],
        service_date=options["service_date"] or now.date(),
        created=now.replace(tzinfo=None),
        interchange_control_number=number,
        group_control_number=number,
        transaction_control_number=f"{number:04d}",
        trace_number=options["trace"],
        usage=options["usage"],
    )
    try:
        return build_270(inquiry, line_breaks=True)
    except InquiryError as error:
        raise CommandError(f"cannot build the 270: {error}") from error


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 1985-04-12") from None


def _jsonable(value):
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
