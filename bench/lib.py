"""What the benchmarks share: a PostgreSQL to run on, Django set up against it, a signed-in staff
client, timing and p95."""

import contextlib
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, server) -> None:
    """Wait for a server process started on `port` to answer /healthz."""
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server stopped while starting")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def p95(samples_ms: list[float]) -> float:
    return statistics.quantiles(samples_ms, n=20)[18]


def timed(work, rounds: int, warm: int = 5) -> list[float]:
    """Milliseconds per call of work(), after a few calls to warm caches and connections."""
    for _ in range(warm):
        work()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@contextlib.contextmanager
def postgres(keep: Path):
    """The address of a PostgreSQL server, without a database name: the server of DATABASE_URL when
    it names one, else a private server started from Debian's PostgreSQL with its data under
    `keep`, kept between runs so a large dataset is built once, and stopped afterwards. Benchmarks
    create databases of their own on it and never touch others."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgres"):
        yield given.rsplit("/", 1)[0]
        return
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        raise SystemExit("needs PostgreSQL: install Debian's postgresql, or set DATABASE_URL")
    pgbin = binaries[-1].parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = keep / "data"
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        if as_postgres:
            shutil.chown(keep, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run(
            [*as_postgres, pgbin / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    options = f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB"
    subprocess.run(
        [*as_postgres, pgbin / "pg_ctl", "-D", data, "-o", options, "-l", keep / "server.log", "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_postgres, pgbin / "pg_ctl", "-D", data, "-m", "fast", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )


def create_database(url: str, fresh: bool = False) -> None:
    """Create the database the URL names, if it is not there yet; `fresh` drops it first."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str, var: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        KAPCARE_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="kapcare.settings",
        KAPCARE_ALLOWED_HOSTS="testserver,127.0.0.1",
        KAPCARE_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def signed_in_client(user):
    """A test client past password and second factor, as a member of staff would be."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
