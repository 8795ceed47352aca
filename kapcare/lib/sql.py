"""Helpers for the few queries written out by hand on hot paths."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def aware(value) -> datetime | None:
    """A timestamp as a written-out query gives it back, as an aware datetime: PostgreSQL gives
    one already; SQLite gives text or a naive datetime in UTC, as Django stores it there."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
