"""`kapcare simulate-monitor` feeds every dosed session in progress at a demo clinic, in clinic or
at home. At home it is the patient's own blood-pressure cuff (reference/clinical.md §2: the at-home
kits carry a blood-pressure monitor), so it sends blood pressure and pulse, and nothing a cuff
cannot measure."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.sessions.models import VitalSign
from kapcare.sessions.tests.test_home_address import dosed_at_home, home_plan  # noqa: F401  (fixtures)


def simulate(clinic):
    Clinic.objects.filter(pk=clinic.pk).update(is_demo=True)
    call_command("simulate-monitor", clinic=clinic.slug, rounds=1, interval=0, seed=3, spike_chance=0)


def test_an_at_home_session_in_progress_gets_its_home_cuffs_readings(dosed_at_home):
    simulate(dosed_at_home.clinic)
    readings = list(VitalSign.objects.filter(session=dosed_at_home, source="device"))
    assert readings, "no reading reached the at-home session"
    assert any(r.systolic and r.diastolic for r in readings)
    assert any(r.heart_rate for r in readings)
    assert not any(r.spo2 or r.resp_rate for r in readings)


def test_an_in_clinic_session_gets_the_full_monitor(dosed):
    simulate(dosed.clinic)
    readings = list(VitalSign.objects.filter(session=dosed, source="device"))
    assert any(r.systolic for r in readings) and any(r.spo2 for r in readings)
    assert any(r.resp_rate for r in readings)


@pytest.mark.parametrize("fixture", ["dosed", "dosed_at_home"])
def test_the_reading_names_the_device_it_came_from(request, fixture):
    session = request.getfixturevalue(fixture)
    simulate(session.clinic)
    devices = set(VitalSign.objects.filter(session=session, source="device").values_list("device", flat=True))
    expected = (
        "Simulated home blood-pressure cuff" if session.at_home else f"Simulated monitor, {session.room.name}"
    )
    assert devices == {expected}
