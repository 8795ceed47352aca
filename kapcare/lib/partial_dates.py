"""A FHIR date or dateTime as the span of time it stands for.

"2009" is the whole of 2009, "2009-06" the whole of June, "2009-06-15" that day, and a time the
minute, second or fraction of a second it names (FHIR R4 search, "date": a value's range is set
by its precision). The span is half-open, [start, end), in UTC; a date, or a time without a zone,
is read as UTC.
"""

import re
from datetime import UTC, datetime, timedelta

DATE_TIME = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def span(text: str) -> tuple[datetime, datetime]:
    """The first moment the value allows and the moment after its last; ValueError if it is not
    a date or dateTime, or not a real one (2009-02-30)."""
    match = DATE_TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a date or dateTime")
    parts = match.groupdict()
    if parts["hour"] is None:
        year, month, day = int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1)
        start = datetime(year, month, day, tzinfo=UTC)
        if parts["day"]:
            return start, start + timedelta(days=1)
        if parts["month"]:
            return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return start, datetime(year + 1, 1, 1, tzinfo=UTC)
    start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    start = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    if parts["fraction"]:
        # To the millisecond (as kapcare's own lastUpdated is given), or finer: that fraction.
        digits = len(parts["fraction"]) - 1
        return start, start + timedelta(microseconds=10 ** max(6 - digits, 0))
    return start, start + (timedelta(seconds=1) if parts["second"] else timedelta(minutes=1))
