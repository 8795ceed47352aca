"""ICD-10-CM look-ups over the current code set.

simple-icd-10-cm ships the code set offline, but builds a tree of every code in memory on import
(about 170 MB), and every web and worker process would carry it. So the code set is read once,
in a short-lived process, into a small SQLite file beside the other cached data
(`ICD10_CACHE_DIR`), one per release of the library; look-ups read that file and cost no memory.
"""

import importlib.metadata
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from django.conf import settings


class UnknownCode(ValueError):
    """The text is not a billable ICD-10-CM code; the message says what to do."""


def cache_path() -> Path:
    release = importlib.metadata.version("simple-icd-10-cm")
    return Path(settings.ICD10_CACHE_DIR) / f"icd10cm-{release}.sqlite3"


def build(path: Path) -> None:
    """Write the code set to `path` (a SQLite file): code, code without its dot, description, and
    whether it is billable (a leaf of the tree). Runs in its own process (`python -m`)."""
    import simple_icd_10_cm as cm

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(fd)
    db = sqlite3.connect(temporary)
    db.execute(
        "CREATE TABLE code (code TEXT PRIMARY KEY, plain TEXT NOT NULL, description TEXT NOT NULL,"
        " billable INTEGER NOT NULL, search TEXT NOT NULL) WITHOUT ROWID"
    )
    rows = []
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        plain = code.replace(".", "")
        description = cm.get_description(code)
        rows.append((code, plain, description, cm.is_leaf(code), f"{code} {plain} {description}".lower()))
    db.executemany("INSERT INTO code VALUES (?, ?, ?, ?, ?)", rows)
    db.execute("CREATE INDEX code_plain ON code (plain)")
    db.commit()
    db.close()
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)  # atomic: a reader sees the whole file or none


_local = threading.local()
_building = threading.Lock()


def connection() -> sqlite3.Connection:
    """This thread's read-only connection to the cached code set, building it the first time."""
    path = cache_path()
    db = getattr(_local, "db", None)
    if db is not None and _local.path == path:
        return db
    with _building:
        if not path.exists():
            subprocess.run([sys.executable, "-m", __name__, str(path)], check=True)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    _local.db, _local.path = db, path
    return db


def lookup(code: str) -> tuple[str, bool] | None:
    """(description, billable) of a code written with or without its dot, or None."""
    row = (
        connection()
        .execute("SELECT description, billable FROM code WHERE plain = ?", (code.replace(".", ""),))
        .fetchone()
    )
    return (row[0], bool(row[1])) if row else None


def normalise(text: str) -> str:
    code = text.strip().upper().replace(" ", "")
    row = connection().execute("SELECT code FROM code WHERE plain = ?", (code.replace(".", ""),)).fetchone()
    return row[0] if row else code


def billable(text: str) -> str:
    """The code, dotted, if it is a billable code of the current code set; else UnknownCode."""
    code = normalise(text)
    if not code:
        raise UnknownCode("Give an ICD-10-CM code, for example F33.2.")
    found = lookup(code)
    if found is None:
        raise UnknownCode(f"{code} is not an ICD-10-CM code in the current code set.")
    if not found[1]:
        examples = ", ".join(leaves_under(code)[:3])
        raise UnknownCode(
            f"{code} is a category, not a billable code; choose a more specific one ({examples}…)."
        )
    return code


def describe(code: str) -> str:
    found = lookup(code)
    return found[0] if found else ""


def leaves_under(code: str) -> list[str]:
    plain = code.replace(".", "")
    return [
        row[0]
        for row in connection().execute(
            "SELECT code FROM code WHERE billable AND plain > ? AND plain < ? ORDER BY plain",
            (plain, plain + "\uffff"),
        )
    ]


def search(query: str, limit: int = 12) -> list[tuple[str, str]]:
    """Billable codes whose code starts with the query, or whose description has all its words."""
    words = query.lower().split()
    if not words:
        return []
    prefix = query.strip().upper().replace(".", "")
    db = connection()
    by_code = db.execute(
        "SELECT code, description FROM code WHERE billable AND plain >= ? AND plain < ? ORDER BY plain"
        " LIMIT ?",
        (prefix, prefix + "\uffff", limit),
    ).fetchall()
    if by_code:
        return by_code
    # instr() rather than LIKE: the words are matched as they are, with no wildcards of their own.
    where = " AND ".join("instr(search, ?) > 0" for _ in words)
    return db.execute(
        f"SELECT code, description FROM code WHERE billable AND {where} ORDER BY plain LIMIT ?",  # noqa: S608
        (*words, limit),
    ).fetchall()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
