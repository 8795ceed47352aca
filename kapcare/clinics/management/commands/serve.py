"""`kapcare serve`: the web server and the background worker together, stopped together.

The web server is gunicorn (a production WSGI server; Django's runserver is for development only):
the application is loaded once and forked into `--processes` processes of `--threads` threads each,
so requests run in parallel on every core and the forked processes share the loaded code.
Its worker is gunicorn's threaded one, changed to spread connections kept open over the processes
(kapcare/lib/web.py).
"""

import os
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from kapcare.lib.env import env_int


class Server(BaseApplication):
    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def gunicorn_options(addrport: str, processes: int, threads: int) -> dict:
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"{addrport!r} is not an address and port, for example 127.0.0.1:8000.")
    return {
        "bind": f"{host or '127.0.0.1'}:{port}",
        "workers": processes,
        "worker_class": "kapcare.lib.web.BalancedThreadWorker",
        "threads": threads,
        "preload_app": True,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "kapcare-web",
    }


class Command(BaseCommand):
    help = "Serve kapcare on http://127.0.0.1:8000 and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")
        parser.add_argument(
            "--processes",
            type=int,
            default=env_int("KAPCARE_WEB_PROCESSES", 2),
            help="Web server processes (default 2, or KAPCARE_WEB_PROCESSES).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env_int("KAPCARE_WEB_THREADS", 4),
            help="Threads per process (default 4, or KAPCARE_WEB_THREADS).",
        )

    def handle(self, *args, addrport, no_worker, processes, threads, **options):
        if processes < 1 or threads < 1:
            raise CommandError("--processes and --threads must be at least 1.")
        server_options = gunicorn_options(addrport, processes, threads)
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()
        connections.close_all()  # nothing open may be shared with the forked processes
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "kapcare", "worker"])
            self.stdout.write(f"Worker started (process {worker.pid}).")
        self.stdout.write(
            f"Serving kapcare on http://{addrport}/  (staff app: http://{addrport}/staff/)"
            f"  [{processes} processes × {threads} threads, pid {os.getpid()}]"
        )
        self.stdout.flush()
        try:
            Server(application, server_options).run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
