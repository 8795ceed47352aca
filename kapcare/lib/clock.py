"""The time a record's own methods stamp on what they do (signed at, completed at).

Always the real time, except inside `at(moment)`, which only `kapcare demo` uses: the demo's past
notes and sessions go through the same methods and checks staff use, on a clock that reads the
past moment they describe. The audit trail never reads this clock; it keeps the real time.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_fixed: ContextVar[datetime | None] = ContextVar("kapcare_clock", default=None)


def now() -> datetime:
    return _fixed.get() or timezone.now()


@contextmanager
def at(moment: datetime):
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)
