"""`kapcare createstaff`: add a member of staff to a clinic from the command line."""

import getpass
import os

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kapcare.clinics.models import Clinic, Membership, User
from kapcare.clinics.roles import Role
from kapcare.lib.npi import is_valid_npi


class Command(BaseCommand):
    help = (
        "Add a member of staff: kapcare createstaff --clinic demo --email a@b.org --name 'A B' --role admin"
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's short name.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--credentials", default="")
        parser.add_argument("--npi", default="", help="A clinician's individual NPI.")

    def handle(self, *args, clinic, email, name, role, credentials, npi, **options):
        found = Clinic.objects.filter(slug=clinic).first()
        if found is None:
            raise CommandError(f"No clinic with short name {clinic!r}.")
        user = User.objects.filter(email__iexact=email).first()
        if npi and not is_valid_npi(npi):
            raise CommandError(f"{npi!r} is not an NPI: 10 digits with a correct check digit.")
        if npi and User.objects.filter(npi=npi).exclude(pk=getattr(user, "pk", None)).exists():
            raise CommandError(f"Another kapcare account already has the NPI {npi}.")
        with transaction.atomic():
            if user is None:
                password = self.password(User(email=email, full_name=name))
                user = User.objects.create_user(
                    email, password, full_name=name, credentials=credentials, npi=npi
                )
            if Membership.objects.filter(user=user, clinic=found).exists():
                raise CommandError(f"{email} is already a member of {found.name}.")
            Membership.objects.create(user=user, clinic=found, role=role)
        self.stdout.write(f"{user.display_name} is now {Role(role).label.lower()} at {found.name}.")

    def password(self, candidate) -> str:
        """From KAPCARE_PASSWORD, or asked twice at the terminal; checked against the policy."""
        password = os.environ.get("KAPCARE_PASSWORD") or getpass.getpass("Password: ")
        if "KAPCARE_PASSWORD" not in os.environ and getpass.getpass("Again: ") != password:
            raise CommandError("The two passwords differ.")
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
