"""Sedation (MOAA/S) and dissociation ratings on the protocol's schedule: the next one due, shown on
the board and the session page, and an overdue-rating alert raised once per missed time."""

from datetime import timedelta

from django.utils import timezone

from kapcare.sessions.models import Alert
from kapcare.sessions.monitor import next_rating_due, raise_overdue, record_rating, sweep_overdue
from kapcare.sessions.tests.conftest import give


def minute(session, m, seconds=0):
    return session.dosed_at + timedelta(minutes=m, seconds=seconds)


def rate_sedation(session, nurse, at):
    record_rating(session, by=nurse, kind="sedation", score=5, taken_at=at)


def rating_alerts(session, now):
    return sorted(
        a.key.split("-")[0] for a in raise_overdue([session], {}, now) if a.rule == "rating_overdue"
    )


def test_the_first_rating_after_the_dose_is_due_at_40_minutes(dosed):
    assert next_rating_due(dosed, None) == minute(dosed, 40)


def test_a_rating_just_before_the_due_time_does_not_meet_it(dosed, nurse):
    assert next_rating_due(dosed, minute(dosed, 39, 59)) == minute(dosed, 40)


def test_a_rating_at_the_due_time_moves_the_next_to_90_minutes_then_the_schedule_ends(dosed):
    assert next_rating_due(dosed, minute(dosed, 40)) == minute(dosed, 90)
    assert next_rating_due(dosed, minute(dosed, 90)) is None


def test_no_rating_alert_at_the_due_minute_then_one_per_kind_just_after(dosed):
    assert rating_alerts(dosed, minute(dosed, 40)) == []
    assert rating_alerts(dosed, minute(dosed, 40, 1)) == ["dissociation", "sedation"]
    alert = Alert.objects.get(rule="rating_overdue", key__startswith="sedation")
    assert (
        "Sedation rating (MOAA/S) was due at" in alert.message
        and "40 minutes after the dose" in alert.message
    )
    assert (
        alert.rule_text
        == "Sedation and dissociation rated at 0, 40, 90 minutes after the dose (0 = before it)"
    )
    assert "Dissociation peaks at 40 minutes" in alert.source and "clinical.md" in alert.source
    assert alert.protocol_version == dosed.protocol.version and alert.is_open


def test_the_overdue_rating_alert_is_raised_once_per_missed_time(dosed):
    rating_alerts(dosed, minute(dosed, 40, 1))
    assert rating_alerts(dosed, minute(dosed, 45)) == []
    assert [a for a in sweep_overdue(minute(dosed, 55)) if a.rule == "rating_overdue"] == []
    assert Alert.objects.filter(rule="rating_overdue").count() == 2


def test_after_a_rating_is_recorded_only_the_next_missed_time_alerts(ordered, nurse, nurse2):
    give(ordered, nurse, nurse2, minutes_ago=45)
    rate_sedation(ordered, nurse, minute(ordered, 39))  # before the 40-minute time: does not meet it
    assert rating_alerts(ordered, minute(ordered, 40, 1)) == ["dissociation", "sedation"]
    Alert.objects.all().delete()
    rate_sedation(ordered, nurse, minute(ordered, 41))
    # Sedation is now met until 90 minutes; the dissociation rating is still missing.
    assert rating_alerts(ordered, minute(ordered, 42)) == ["dissociation"]
    assert rating_alerts(ordered, minute(ordered, 90)) == []
    assert rating_alerts(ordered, minute(ordered, 90, 1)) == ["sedation"]


def test_the_worker_sweep_raises_the_overdue_rating_alert(ordered, nurse, nurse2):
    from kapcare.sessions.tasks import raise_overdue_alerts

    give(ordered, nurse, nurse2, minutes_ago=45)
    raise_overdue_alerts.call()
    kinds = sorted(a.key.split("-")[0] for a in Alert.objects.filter(session=ordered, rule="rating_overdue"))
    assert kinds == ["dissociation", "sedation"]
    assert raise_overdue_alerts.call() == 0


def test_the_board_counts_down_to_the_next_rating(signed_in, nurse, dosed):
    body = signed_in(nurse).get(f"/staff/sessions/board/{dosed.site_id}/").content.decode()
    assert "Next sedation rating in <strong>" in body and "Next dissociation rating in <strong>" in body
    assert "rating was due" not in body


def test_the_board_says_overdue_in_words_and_raises_the_alert(signed_in, nurse, ordered, nurse2):
    give(ordered, nurse, nurse2, minutes_ago=45)
    body = signed_in(nurse).get(f"/staff/sessions/board/{ordered.site_id}/").content.decode()
    assert (
        "⏰ OVERDUE" in body and "sedation rating was due" in body and "dissociation rating was due" in body
    )
    assert "Rule: Sedation and dissociation rated at 0, 40, 90 minutes" in body
    assert Alert.objects.filter(session=ordered, rule="rating_overdue").count() == 2


def test_the_session_page_shows_the_next_rating_and_overdue_in_words(signed_in, nurse, ordered, nurse2):
    give(ordered, nurse, nurse2, minutes_ago=45)
    rate_sedation(ordered, nurse, timezone.now())
    body = signed_in(nurse).get(f"/staff/sessions/{ordered.pk}/").content.decode()
    assert "Next sedation rating due at" in body
    assert "Next dissociation rating due at" in body
    after = body.split("Next dissociation rating due at", 1)[1][:120]
    assert "OVERDUE" in after
    assert "OVERDUE" not in body.split("Next sedation rating due at", 1)[1].split("rating due at", 1)[0]
