"""`kapcare worker`: run queued background tasks (reminders, scheduled questionnaires, checks)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker that executes queued tasks."

    def handle(self, *args, **options):
        call_command("db_worker", verbosity=options["verbosity"])
