from django.core.management.base import BaseCommand, CommandError

from kapcare.audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "Work with the audit trail. `kapcare audit verify` proves it intact or names the first broken event."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action, **options):
        verdict = verify_chain()
        if not verdict.intact:
            raise CommandError(verdict.message)
        self.stdout.write(verdict.message)
