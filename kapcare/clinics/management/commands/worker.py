"""`kapcare worker`: run queued background tasks (reminders, scheduled questionnaires, checks) and
enqueue the apps' periodic tasks when they fall due."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kapcare.clinics.periodic import Scheduler


class Command(BaseCommand):
    help = "Run the background worker that executes queued tasks and enqueues periodic ones."

    def add_arguments(self, parser):
        parser.add_argument("--no-periodic", action="store_true", help="Do not enqueue periodic tasks.")

    def handle(self, *args, no_periodic, **options):
        scheduler = None
        if not no_periodic:
            scheduler = Scheduler()
            scheduler.start()
        try:
            call_command("db_worker", verbosity=options["verbosity"])
        finally:
            if scheduler is not None:
                scheduler.stop()
