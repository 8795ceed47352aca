from datetime import UTC, datetime, timedelta

import pytest

from kapcare.lib.partial_dates import span


@pytest.mark.parametrize(
    ("text", "start", "length"),
    [
        ("2009", datetime(2009, 1, 1, tzinfo=UTC), timedelta(days=365)),
        ("2009-12", datetime(2009, 12, 1, tzinfo=UTC), timedelta(days=31)),
        ("2009-06-15", datetime(2009, 6, 15, tzinfo=UTC), timedelta(days=1)),
        ("2009-06-15T10:30", datetime(2009, 6, 15, 10, 30, tzinfo=UTC), timedelta(minutes=1)),
        ("2009-06-15T10:30:05Z", datetime(2009, 6, 15, 10, 30, 5, tzinfo=UTC), timedelta(seconds=1)),
        # A lastUpdated as kapcare gives it, to the millisecond: that millisecond, not its second.
        (
            "2009-06-15T10:30:05.454Z",
            datetime(2009, 6, 15, 10, 30, 5, 454000, tzinfo=UTC),
            timedelta(milliseconds=1),
        ),
        (
            "2009-06-15T12:30:05.1+02:00",
            datetime(2009, 6, 15, 10, 30, 5, 100000, tzinfo=UTC),
            timedelta(seconds=0.1),
        ),
    ],
)
def test_a_value_stands_for_the_span_its_precision_names(text, start, length):
    assert span(text) == (start, start + length)


@pytest.mark.parametrize("text", ["2009-02-30", "June 2009", "2009-6"])
def test_what_is_not_a_real_date_is_refused(text):
    with pytest.raises(ValueError):
        span(text)
