from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic


class Command(BaseCommand):
    help = "Create a clinic organisation: kapcare createclinic SHORT_NAME 'Full name' [--time-zone ZONE]."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--time-zone", default="America/New_York")

    def handle(self, *args, slug, name, time_zone, **options):
        clinic = Clinic(slug=slug, name=name, time_zone=time_zone)
        try:
            clinic.full_clean()
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from None
        clinic.save()
        self.stdout.write(f"Created clinic {clinic.name} ({clinic.slug}).")
