"""The protocol's default alert rules, each at its edge; alerts say why and stay until a clinician
acknowledges them with the action taken."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.clinics.models import Protocol
from kapcare.sessions.models import Alert, SessionError
from kapcare.sessions.monitor import acknowledge, next_due, raise_overdue, record_rating, record_vitals

BP_OK = {"heart_rate": 80, "spo2": 97, "resp_rate": 14}


def reading(session, nurse, minute, **values):
    _, alerts = record_vitals(
        session,
        by=nurse,
        taken_at=session.dosed_at + timedelta(minutes=minute),
        values={"systolic": 120, "diastolic": 80, **BP_OK, **values},
    )
    return [a.rule for a in alerts]


def test_it_does_not_alert_at_exactly_the_single_reading_limit_of_200_over_120(dosed, nurse):
    assert reading(dosed, nurse, 5, systolic=200, diastolic=120) == []


def test_it_alerts_on_one_systolic_reading_above_200(dosed, nurse):
    assert reading(dosed, nurse, 5, systolic=201, diastolic=100) == ["bp_once"]
    alert = Alert.objects.get()
    assert "201/100" in alert.message
    assert alert.rule_text == "Alert when systolic > 200 or diastolic > 120 mmHg on any reading"
    assert "forum, anecdotal" in alert.source and "unverified" in alert.source
    assert alert.protocol_version == dosed.protocol.version


def test_it_alerts_on_one_diastolic_reading_above_120(dosed, nurse):
    assert reading(dosed, nurse, 5, systolic=170, diastolic=121) == ["bp_once"]


def test_it_alerts_when_blood_pressure_stays_above_180_over_110_on_readings_5_minutes_apart(dosed, nurse):
    assert reading(dosed, nurse, 10, systolic=181, diastolic=100) == []
    assert reading(dosed, nurse, 15, systolic=185, diastolic=104) == ["bp_confirmed"]
    assert "181/100 then 185/104, 5 minutes apart" in Alert.objects.get().message


def test_it_waits_when_the_second_high_reading_is_under_5_minutes_after_the_first(dosed, nurse):
    assert reading(dosed, nurse, 10, systolic=181, diastolic=100) == []
    assert reading(dosed, nurse, 14, systolic=182, diastolic=100) == []


def test_it_does_not_alert_at_exactly_180_over_110_on_consecutive_readings(dosed, nurse):
    reading(dosed, nurse, 10, systolic=180, diastolic=110)
    assert reading(dosed, nurse, 16, systolic=180, diastolic=110) == []


def test_a_normal_reading_between_two_high_ones_breaks_the_run(dosed, nurse):
    reading(dosed, nurse, 5, systolic=181, diastolic=100)
    reading(dosed, nurse, 8, systolic=150, diastolic=90)
    assert reading(dosed, nurse, 12, systolic=181, diastolic=100) == []


def test_it_raises_the_consecutive_alert_once_per_run(dosed, nurse):
    reading(dosed, nurse, 5, systolic=181, diastolic=100)
    reading(dosed, nurse, 10, systolic=182, diastolic=100)
    assert reading(dosed, nurse, 15, systolic=183, diastolic=100) == []
    assert Alert.objects.filter(rule="bp_confirmed").count() == 1


def test_it_alerts_when_heart_rate_above_120_is_sustained_for_5_minutes(dosed, nurse):
    assert reading(dosed, nurse, 10, heart_rate=121) == []
    assert reading(dosed, nurse, 15, heart_rate=124) == ["hr_sustained"]


def test_it_does_not_alert_on_heart_rate_above_120_for_under_5_minutes(dosed, nurse):
    reading(dosed, nurse, 10, heart_rate=121)
    assert reading(dosed, nurse, 14, heart_rate=121) == []


def test_it_does_not_alert_on_a_heart_rate_of_exactly_120_sustained(dosed, nurse):
    reading(dosed, nurse, 10, heart_rate=120)
    assert reading(dosed, nurse, 20, heart_rate=120) == []


def test_the_default_protocol_sets_no_oxygen_threshold_so_low_spo2_raises_no_alert(dosed, nurse):
    assert reading(dosed, nurse, 5, spo2=85) == []


def test_a_clinic_that_sets_an_oxygen_threshold_is_alerted_below_it(dosed, nurse, admin):
    rules = dosed.protocol.rules
    rules["vitals"]["alert_spo2_below"]["value"] = 92
    protocol = Protocol.revise(dosed.clinic, rules, by=admin, note="Set SpO2 alert")
    type(dosed).objects.filter(pk=dosed.pk).update(protocol=protocol)
    dosed.refresh_from_db()
    assert reading(dosed, nurse, 5, spo2=92) == []
    assert reading(dosed, nurse, 10, spo2=91) == ["spo2_low"]
    assert Alert.objects.get().protocol_version == protocol.version


def test_it_alerts_on_deep_sedation_at_moaas_1(dosed, nurse):
    _, alerts = record_rating(
        dosed, by=nurse, kind="sedation", score=1, taken_at=dosed.dosed_at + timedelta(minutes=20)
    )
    assert [a.rule for a in alerts] == ["deep_sedation"]
    assert "MOAA/S anchors" in alerts[0].source


def test_it_does_not_alert_on_moaas_2(dosed, nurse):
    _, alerts = record_rating(
        dosed, by=nurse, kind="sedation", score=2, taken_at=dosed.dosed_at + timedelta(minutes=20)
    )
    assert alerts == []


def use_rules(session, admin, change):
    rules = session.protocol.rules
    change(rules)
    protocol = Protocol.revise(session.clinic, rules, by=admin, note="Changed for a test")
    type(session).objects.filter(pk=session.pk).update(protocol=protocol)
    session.refresh_from_db()


def sedation(session, nurse, score):
    _, alerts = record_rating(
        session, by=nurse, kind="sedation", score=score, taken_at=timezone.now() - timedelta(minutes=1)
    )
    return [a.rule for a in alerts]


def test_the_deep_sedation_threshold_is_the_clinics_protocol_setting(dosed, nurse, admin):
    use_rules(dosed, admin, lambda r: r["ratings"]["alert_sedation_at_most"].update(value=2))
    assert sedation(dosed, nurse, 3) == []
    assert sedation(dosed, nurse, 2) == ["deep_sedation"]
    alert = Alert.objects.get()
    assert alert.rule_text == "Alert when MOAA/S is 2 or lower"
    assert "unverified" in alert.source and "§4.9" in alert.source


def test_a_protocol_saved_before_the_sedation_setting_existed_alerts_at_the_default(dosed, nurse, admin):
    use_rules(dosed, admin, lambda r: r["ratings"].pop("alert_sedation_at_most"))
    assert "alert_sedation_at_most" not in dosed.protocol.rules["ratings"]
    assert sedation(dosed, nurse, 2) == []
    assert sedation(dosed, nurse, 1) == ["deep_sedation"]
    assert "MOAA/S anchors" in Alert.objects.get().source


def test_vitals_are_due_every_15_minutes_after_the_dose(dosed):
    assert next_due(dosed, None) == dosed.dosed_at + timedelta(minutes=15)


def test_vitals_are_due_at_40_minutes_even_inside_the_15_minute_interval(dosed):
    assert next_due(dosed, dosed.dosed_at + timedelta(minutes=30)) == dosed.dosed_at + timedelta(minutes=40)


def test_after_the_40_minute_reading_the_next_is_at_45_minutes_on_the_15_minute_grid(dosed):
    assert next_due(dosed, dosed.dosed_at + timedelta(minutes=41)) == dosed.dosed_at + timedelta(minutes=45)


def test_past_the_minimum_monitoring_time_vitals_are_due_15_minutes_after_the_last(dosed):
    assert next_due(dosed, dosed.dosed_at + timedelta(minutes=125)) == dosed.dosed_at + timedelta(minutes=140)


def test_it_does_not_raise_overdue_at_the_due_minute(dosed):
    due = dosed.dosed_at + timedelta(minutes=15)
    assert raise_overdue([dosed], {}, due) == []


def test_it_raises_overdue_once_just_after_the_due_minute(dosed):
    due = dosed.dosed_at + timedelta(minutes=15)
    [alert] = raise_overdue([dosed], {}, due + timedelta(seconds=1))
    assert alert.rule == "overdue" and "Emory" in alert.source
    assert raise_overdue([dosed], {}, due + timedelta(minutes=2)) == []
    assert Alert.objects.filter(rule="overdue").count() == 1


def test_an_alert_stays_open_until_acknowledged_with_the_action_taken(dosed, nurse):
    reading(dosed, nurse, 5, systolic=205, diastolic=100)
    alert = Alert.objects.get()
    with pytest.raises(SessionError, match="Say what was done"):
        acknowledge(alert, by=nurse, action_taken=" ")
    assert Alert.objects.open().count() == 1
    acknowledge(alert, by=nurse, action_taken="Rechecked 198/98; prescriber informed; quiet room.")
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse and "prescriber informed" in alert.action_taken
    assert Alert.objects.open().count() == 0


def test_the_first_post_dose_reading_starts_monitoring(dosed, nurse):
    reading(dosed, nurse, 5)
    dosed.refresh_from_db()
    assert dosed.state == "monitoring"


def test_the_worker_raises_overdue_alerts_with_no_board_open_once_per_missed_time(dosed):
    from django.apps import apps

    from kapcare.audit.models import AuditEvent
    from kapcare.sessions.tasks import raise_overdue_alerts

    assert ("kapcare.sessions.tasks.raise_overdue_alerts", 60) in apps.get_app_config("dosing").periodic_tasks
    # Dosed 30 minutes ago with no reading since: the 15-minute reading is overdue.
    assert raise_overdue_alerts.call() == 1
    alert = Alert.objects.get(session=dosed)
    assert alert.rule == "overdue" and alert.is_open
    assert AuditEvent.objects.filter(clinic_id=dosed.clinic_id, detail__overdue_alerts=[dosed.pk]).exists()
    assert raise_overdue_alerts.call() == 0
    assert Alert.objects.filter(rule="overdue").count() == 1


def test_the_worker_leaves_a_session_alone_until_its_next_reading_is_overdue(dosed, nurse):
    from kapcare.sessions.monitor import sweep_overdue

    reading(dosed, nurse, 20)  # next due on the 15-minute grid: minute 30
    assert sweep_overdue(dosed.dosed_at + timedelta(minutes=30)) == []
    [alert] = sweep_overdue(dosed.dosed_at + timedelta(minutes=30, seconds=1))
    assert alert.rule == "overdue" and alert.session_id == dosed.pk


def test_the_worker_enqueues_the_overdue_sweep_and_running_it_raises_the_alert(dosed, settings):
    from kapcare.clinics import periodic

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert "kapcare.sessions.tasks.raise_overdue_alerts" in periodic.enqueue_due()
    assert Alert.objects.get(session=dosed).rule == "overdue"
