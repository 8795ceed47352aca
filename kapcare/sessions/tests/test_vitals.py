"""Implausible readings are refused with a clear message, or kept only when the nurse confirms them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.sessions.models import SessionError, VitalSign
from kapcare.sessions.monitor import Implausible, record_vitals
from kapcare.sessions.tests.test_alerts import use_rules


def save(session, nurse, note="", **values):
    return record_vitals(
        session, by=nurse, taken_at=timezone.now() - timedelta(minutes=1), values=values, confirmed_note=note
    )


def test_a_diastolic_above_the_systolic_is_refused(dosed, nurse):
    with pytest.raises(SessionError, match="diastolic of 130 at or above the systolic of 120"):
        save(dosed, nurse, systolic=120, diastolic=130)
    assert not VitalSign.objects.filter(pre_dose=False).exists()


def test_spo2_over_100_is_refused_even_when_confirmed(dosed, nurse):
    with pytest.raises(SessionError, match="cannot exceed 100%"):
        save(dosed, nurse, note="Really", spo2=101)


def test_a_heart_rate_of_0_in_a_talking_patient_is_refused_unless_confirmed(dosed, nurse):
    with pytest.raises(Implausible, match="heart rate of 0"):
        save(dosed, nurse, heart_rate=0, spo2=98)
    assert not VitalSign.objects.filter(pre_dose=False).exists()


def test_an_implausible_reading_is_kept_when_the_nurse_confirms_it_as_real(dosed, nurse):
    reading, _ = save(dosed, nurse, note="Athlete; manual pulse 28 confirmed", heart_rate=28)
    assert reading.heart_rate == 28 and "manual pulse" in reading.confirmed_note


def test_blood_pressure_needs_both_numbers(dosed, nurse):
    with pytest.raises(SessionError, match="both systolic and diastolic"):
        save(dosed, nurse, systolic=120)


def test_an_empty_reading_is_refused(dosed, nurse):
    with pytest.raises(SessionError, match="at least one"):
        save(dosed, nurse)


def test_readings_are_not_taken_after_discharge(dosed, nurse, prescriber):
    dosed.abort(by=prescriber, reason="Patient asked to stop")
    with pytest.raises(SessionError, match="aborted"):
        save(dosed, nurse, heart_rate=80)


# The plausible ranges are the clinic's protocol settings, marked unverified ------------------------

PLAUSIBLE_DEFAULTS = {
    "systolic_plausible_low": 60,
    "systolic_plausible_high": 260,
    "diastolic_plausible_low": 30,
    "diastolic_plausible_high": 160,
    "heart_rate_plausible_low": 30,
    "heart_rate_plausible_high": 220,
    "spo2_plausible_low": 60,
    "resp_rate_plausible_low": 4,
    "resp_rate_plausible_high": 50,
}


def test_the_shipped_plausible_ranges_are_the_numbers_kapcare_used_marked_unverified():
    from kapcare.clinics.protocol import default_rules

    vitals = default_rules()["vitals"]
    assert {name: vitals[name]["value"] for name in PLAUSIBLE_DEFAULTS} == PLAUSIBLE_DEFAULTS
    for name in PLAUSIBLE_DEFAULTS:
        assert vitals[name]["unverified"] is True
        assert vitals[name]["source"]["section"] == "4.7"
        assert "no measurement limits" in vitals[name]["source"]["citation"]


def test_a_reading_outside_the_range_names_the_limit_and_that_it_is_the_clinics_setting(dosed, nurse):
    with pytest.raises(Implausible) as refused:
        save(dosed, nurse, systolic=270, diastolic=100)
    assert (
        "A systolic blood pressure of 270 is outside 60–260 mmHg, the plausible range the clinic's "
        "protocol sets (vitals.systolic_plausible_low and _high, marked unverified)"
    ) in str(refused.value)
    assert not VitalSign.objects.filter(pre_dose=False).exists()


def test_the_plausible_range_is_the_clinics_protocol_setting(dosed, nurse, admin):
    use_rules(dosed, admin, lambda r: r["vitals"]["heart_rate_plausible_low"].update(value=40))
    with pytest.raises(Implausible, match=r"heart rate of 35 is outside 40–220 /min"):
        save(dosed, nurse, heart_rate=35)
    use_rules(dosed, admin, lambda r: r["vitals"]["resp_rate_plausible_high"].update(value=60))
    reading, _ = save(dosed, nurse, resp_rate=55)
    assert reading.resp_rate == 55 and reading.confirmed_note == ""


def test_spo2_has_only_a_low_setting_and_the_impossible_ceiling(dosed, nurse, admin):
    use_rules(dosed, admin, lambda r: r["vitals"]["spo2_plausible_low"].update(value=85))
    with pytest.raises(
        Implausible, match=r"SpO2 of 80 is outside 85–100 %.*vitals.spo2_plausible_low, marked"
    ):
        save(dosed, nurse, spo2=80)
    assert save(dosed, nurse, spo2=100)[0].spo2 == 100


def test_a_protocol_saved_before_the_plausible_settings_uses_the_shipped_ranges(dosed, nurse, admin):
    def old_version(rules):
        for name in PLAUSIBLE_DEFAULTS:
            rules["vitals"].pop(name)

    use_rules(dosed, admin, old_version)
    with pytest.raises(Implausible, match="outside 30–160 mmHg"):
        save(dosed, nurse, systolic=180, diastolic=170)
    assert save(dosed, nurse, systolic=180, diastolic=150)[0].diastolic == 150


def test_a_protocol_with_a_wrong_plausible_limit_is_refused(clinic, admin):
    from django.core.exceptions import ValidationError

    from kapcare.clinics.models import Protocol
    from kapcare.clinics.protocol import default_rules

    rules = default_rules()
    rules["vitals"]["heart_rate_plausible_high"]["value"] = "fast"
    with pytest.raises(
        ValidationError, match='vitals.heart_rate_plausible_high.value: "fast" is not a positive'
    ):
        Protocol.revise(clinic, rules, by=admin)
