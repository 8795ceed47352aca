"""`kapcare apitoken`: issue, list and revoke FHIR API tokens for a clinic."""

from django.core.management.base import BaseCommand, CommandError

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, User
from kapcare.fhir.models import ApiToken
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import ScopeError, parse_scopes
from kapcare.patients.models import Patient


class Command(BaseCommand):
    help = (
        "Issue a FHIR API token (printed alone on stdout): "
        "kapcare apitoken --clinic demo --scopes 'system/*.*'. "
        "--list shows a clinic's tokens; --revoke ID revokes one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="The clinic's short name.")
        parser.add_argument(
            "--scopes", help="SMART scopes, for example 'system/*.read system/Patient.write'."
        )
        parser.add_argument("--name", default="API client", help="What the token is for.")
        parser.add_argument("--patient", help="The MRN of the patient that patient/ scopes are about.")
        parser.add_argument("--by", help="Email of the staff member issuing it, for the record.")
        parser.add_argument("--revoke", type=int, metavar="ID", help="Revoke the token with this id.")
        parser.add_argument("--list", action="store_true", help="List the clinic's tokens.")

    def handle(self, *args, **options):
        if options["revoke"] is not None:
            return self.revoke(options["revoke"])
        clinic = Clinic.objects.filter(slug=options["clinic"] or "").first()
        if clinic is None:
            raise CommandError(f"No clinic with short name {options['clinic']!r} (give --clinic).")
        if options["list"]:
            return self.list(clinic)
        if not options["scopes"]:
            raise CommandError("Give --scopes, for example --scopes 'system/*.read'.")
        try:
            scopes = parse_scopes(options["scopes"], known_types=registry().types())
        except ScopeError as error:
            raise CommandError(str(error)) from None
        patient = self.patient(clinic, options["patient"], scopes)
        by = None
        if options["by"]:
            by = User.objects.filter(email__iexact=options["by"], memberships__clinic=clinic).first()
            if by is None:
                raise CommandError(f"{options['by']} is not a member of {clinic.name}.")
        token, secret = ApiToken.issue(
            clinic=clinic, scopes=options["scopes"], name=options["name"], created_by=by, patient=patient
        )
        record(
            None,
            "security",
            token,
            clinic=clinic.pk,
            actor=by or "kapcare command line",
            detail={"event": "api token issued", "scopes": token.scopes, "name": token.name},
        )
        self.stderr.write(
            f"Token {token.pk} for {clinic.name} ({token.scopes}). It is shown once; keep it secret."
        )
        self.stdout.write(secret)

    def patient(self, clinic, mrn, scopes):
        if any(scope.context == "patient" for scope in scopes) and not mrn:
            raise CommandError("patient/ scopes need --patient MRN: the patient they are about.")
        if not mrn:
            return None
        patient = Patient.objects.filter(clinic=clinic, mrn=mrn).first()
        if patient is None:
            raise CommandError(f"No patient with MRN {mrn} at {clinic.name}.")
        return patient

    def list(self, clinic):
        for token in ApiToken.objects.filter(clinic=clinic):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.is_revoked else "active"
            used = (
                f"last used {token.last_used_at:%Y-%m-%d %H:%M} UTC" if token.last_used_at else "never used"
            )
            self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\t{token.scopes}\t{state}\t{used}")

    def revoke(self, pk):
        token = ApiToken.objects.filter(pk=pk).first()
        if token is None:
            raise CommandError(f"No API token {pk}.")
        if token.is_revoked:
            raise CommandError(f"API token {pk} was already revoked on {token.revoked_at:%Y-%m-%d}.")
        token.revoke()
        record(
            None,
            "security",
            token,
            clinic=token.clinic_id,
            actor="kapcare command line",
            detail={"event": "api token revoked", "name": token.name},
        )
        self.stdout.write(f"Revoked API token {pk} ({token.name}).")
