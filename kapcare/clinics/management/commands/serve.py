"""`kapcare serve`: the web server and the background worker together, stopped together."""

import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve kapcare on http://127.0.0.1:8000 and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")

    def handle(self, *args, addrport, no_worker, **options):
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "kapcare", "worker"])
            self.stdout.write(f"Worker started (process {worker.pid}).")
        self.stdout.write(f"Serving kapcare on http://{addrport}/  (staff app: http://{addrport}/staff/)")
        try:
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
