import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from kapcare.clinics.management.commands.serve import gunicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_runs_a_multi_process_server_that_serves_pages_and_static_files_and_stops_cleanly(tmp_path):
    port = free_port()
    env = os.environ | {"KAPCARE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kapcare.settings"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "kapcare", "serve", "--no-worker", "--processes", "2", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        assert health.status == 200
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/static/kapcare/app.css").status == 200
        # The master forks its processes one after another; the first may answer before the second is up.
        for _ in range(100):
            if len(children(server.pid)) == 2:
                break
            time.sleep(0.1)
        assert len(children(server.pid)) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0


def test_a_bad_address_is_refused_plainly():
    with pytest.raises(CommandError, match="not an address and port"):
        gunicorn_options("localhost", 2, 4)
    assert gunicorn_options("0.0.0.0:8000", 2, 4)["bind"] == "0.0.0.0:8000"
    assert gunicorn_options(":8000", 2, 4)["bind"] == "127.0.0.1:8000"
