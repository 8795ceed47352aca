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
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
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
