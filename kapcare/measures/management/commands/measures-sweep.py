"""`kapcare measures-sweep`: make the questionnaire occasions that have fallen due on every
schedule, send their links, and send reminders. `kapcare worker` runs the same sweep every hour
(the measures app's periodic task); this command is for a manual run."""

from django.core.management.base import BaseCommand

from kapcare.measures.schedule import sweep


class Command(BaseCommand):
    help = "Make due questionnaire occasions, send their links and reminders."

    def handle(self, *args, **options):
        done = sweep()
        self.stdout.write(f"{done['made']} made, {done['sent']} sent, {done['reminded']} reminded.")
