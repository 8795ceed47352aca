"""Read single X12 elements (codes, dates, numbers) with errors that say where they failed."""

import re
from datetime import date, datetime
from decimal import Decimal

from .errors import X12Error
from .response import Code, DatePeriod
from .segments import Segment, element

NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def code_table(meanings: dict[str, str]) -> dict[str, Code]:
    """Build each known Code once, so reading a 271 looks codes up instead of building them."""
    return {value: Code(value, meaning) for value, meaning in meanings.items()}


def code(table: dict[str, Code], value: str) -> Code | None:
    """A code with its plain meaning; an unknown code is kept, never dropped."""
    if not value:
        return None
    return table.get(value) or Code(value, f"unknown code {value}")


def required(segment: Segment, n: int, position: int, what: str) -> str:
    value = element(segment, n)
    if not value:
        raise X12Error(
            f"{segment[0]}{n:02d} ({what}) is required", segment_id=segment[0], position=position, element=n
        )
    return value


def number(segment: Segment, n: int, position: int) -> Decimal | None:
    value = element(segment, n)
    if not value:
        return None
    if NUMBER.fullmatch(value) is None:
        raise X12Error(
            f"{segment[0]}{n:02d} {value!r} is not a number",
            segment_id=segment[0],
            position=position,
            element=n,
        )
    return Decimal(value)


def ccyymmdd(value: str, segment: Segment, n: int, position: int) -> date:
    try:
        if len(value) != 8 or not value.isascii() or not value.isdigit():
            raise ValueError
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise X12Error(
            f"{value!r} is not a date (CCYYMMDD)", segment_id=segment[0], position=position, element=n
        ) from None


def date_period(segment: Segment, position: int, qualifiers: dict[str, Code]) -> DatePeriod | None:
    """A DTP segment as a period; None for a date format kapcare does not read."""
    qualifier = code(qualifiers, required(segment, 1, position, "date qualifier"))
    form = required(segment, 2, position, "date format")
    value = required(segment, 3, position, "date")
    if form == "D8":
        return DatePeriod(qualifier, ccyymmdd(value, segment, 3, position))
    if form == "RD8":
        first, _, last = value.partition("-")
        start = ccyymmdd(first, segment, 3, position)
        end = ccyymmdd(last, segment, 3, position)
        if end < start:
            raise X12Error(
                f"date range {value!r} ends before it starts",
                segment_id=segment[0],
                position=position,
                element=3,
            )
        return DatePeriod(qualifier, start, end)
    return None


def moment(segment: Segment, n: int, position: int) -> datetime | None:
    """A CCYYMMDD date in element n and an HHMM time after it, as in BHT04/05."""
    if not element(segment, n):
        return None
    day = ccyymmdd(segment[n], segment, n, position)
    clock = element(segment, n + 1)[:4]
    if (
        len(clock) != 4
        or not clock.isascii()
        or not clock.isdigit()
        or int(clock[:2]) > 23
        or int(clock[2:]) > 59
    ):
        raise X12Error(
            f"{element(segment, n + 1)!r} is not a time (HHMM)",
            segment_id=segment[0],
            position=position,
            element=n + 1,
        )
    return datetime(day.year, day.month, day.day, int(clock[:2]), int(clock[2:]))
