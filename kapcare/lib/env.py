"""Read settings from the environment, with `*_FILE` variants for secrets."""

import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

# Memory-backed where the machine has it, so a file-based test database costs little.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def env(name: str, default: str = "") -> str:
    """The variable's value, or the contents of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """A Django DATABASES entry from sqlite:///path or postgres://user:pass@host:port/name."""
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        name = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or ":memory:",
            # IMMEDIATE makes each write transaction take the lock up front, so the audit
            # chain head is never read by two writers at once.
            # WAL lets readers go on while one writer writes; with synchronous=NORMAL a commit
            # no longer waits for the disk, at the cost of the last commits on power loss
            # (never corruption).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests get a file, not Django's shared in-memory database: browser tests load several
            # chart panels at once, and in memory a concurrent write fails at once ("table is
            # locked") where a file waits its turn.
            "TEST": {"NAME": str(Path(SCRATCH) / f"kapcare-test-{os.getpid()}.sqlite3")},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        options = postgres_options({key: values[-1] for key, values in parse_qs(parts.query).items()})
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"DATABASE_URL must start with sqlite:// or postgres://, not {url!r}")


def postgres_options(given: dict[str, str]) -> dict:
    """The connection's options: those in the URL's query (sslmode=require, ...), and by default
    server-side parameters with statements prepared once run five times. A query the API asks on
    every call (the token, a page of a search, the audit event) is then parsed once per
    connection and, where PostgreSQL finds a generic plan as good, planned once (320 searches by
    category planned each statement 11 times): on a search this halves PostgreSQL's time.
    Behind a pooler in transaction mode older than PgBouncer 1.21, which cannot keep prepared
    statements, add `?prepare_threshold=none` to the URL."""
    options = dict(given)
    binding = options.pop("server_side_binding", "true").lower()
    if binding not in {"true", "false"}:
        raise ValueError(f"DATABASE_URL's server_side_binding must be true or false, not {binding!r}")
    threshold = options.pop("prepare_threshold", "5").lower()
    if threshold != "none" and not threshold.isdigit():
        raise ValueError(
            f"DATABASE_URL's prepare_threshold must be a whole number or none, not {threshold!r}"
        )
    options["server_side_binding"] = binding == "true"
    options["prepare_threshold"] = None if threshold == "none" else int(threshold)
    return options
