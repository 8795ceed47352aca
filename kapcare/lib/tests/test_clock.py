"""The records' clock reads the real time, except inside `clock.at`, and comes back after it."""

from datetime import UTC, datetime

from django.utils import timezone

from kapcare.lib import clock


def test_the_clock_reads_the_given_moment_only_inside_at_and_the_real_time_after():
    past = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    with clock.at(past):
        assert clock.now() == past
        assert timezone.now() != past  # only the records' clock moves, not Django's
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5
