"""Implausible readings are refused with a clear message, or kept only when the nurse confirms them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.sessions.models import SessionError, VitalSign
from kapcare.sessions.monitor import Implausible, record_vitals


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
