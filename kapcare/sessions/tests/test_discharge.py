"""Discharge: the readiness score, the minimum monitoring time, vitals back within limits, no open
alert, escort and instructions; the minute ready is recorded; then the record is signed and frozen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.sessions.models import SessionError
from kapcare.sessions.monitor import record_vitals
from kapcare.sessions.tests.conftest import give

ALDRETE_10 = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}


@pytest.fixture
def monitored(ordered, nurse, nurse2):
    give(ordered, nurse, nurse2, minutes_ago=125)
    record_vitals(
        ordered,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=2),
        values={"systolic": 128, "diastolic": 80, "heart_rate": 76, "spo2": 98, "resp_rate": 14},
    )
    ordered.refresh_from_db()
    assert ordered.state == "monitoring"
    return ordered


def test_the_patient_is_ready_when_every_criterion_holds_and_the_minute_is_recorded(monitored, nurse):
    monitored.mark_ready(by=nurse, score_items=ALDRETE_10)
    monitored.refresh_from_db()
    assert monitored.state == "ready_for_discharge"
    assert monitored.ready_at.second == 0
    assert monitored.discharge_score == {
        "scale": "modified_aldrete",
        "label": "Modified Aldrete",
        "items": ALDRETE_10,
        "total": 10,
    }


def test_it_refuses_readiness_before_the_protocols_minimum_monitoring_time(ordered, nurse, nurse2):
    give(ordered, nurse, nurse2, minutes_ago=119)
    record_vitals(ordered, by=nurse, taken_at=timezone.now(), values={"systolic": 120, "diastolic": 80})
    with pytest.raises(SessionError, match="lasted 119 minutes; the protocol asks for at least 120"):
        ordered.mark_ready(by=nurse, score_items=ALDRETE_10)
    ordered.refresh_from_db()
    assert ordered.state == "monitoring" and ordered.ready_at is None


def test_it_refuses_readiness_while_blood_pressure_is_above_the_dosing_limit(monitored, nurse):
    record_vitals(monitored, by=nurse, taken_at=timezone.now(), values={"systolic": 152, "diastolic": 88})
    with pytest.raises(SessionError, match="152/88 above 140/90"):
        monitored.mark_ready(by=nurse, score_items=ALDRETE_10)


def test_it_refuses_readiness_with_an_open_alert(monitored, nurse):
    record_vitals(
        monitored,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=1),
        values={"systolic": 205, "diastolic": 95},
    )
    record_vitals(monitored, by=nurse, taken_at=timezone.now(), values={"systolic": 130, "diastolic": 80})
    with pytest.raises(SessionError, match="open alert"):
        monitored.mark_ready(by=nurse, score_items=ALDRETE_10)


def test_it_refuses_readiness_below_a_minimum_score_the_clinic_sets(monitored, nurse, admin):
    from kapcare.clinics.models import Protocol

    rules = monitored.protocol.rules
    rules["discharge"]["score_minimum"]["value"] = 9
    protocol = Protocol.revise(monitored.clinic, rules, by=admin)
    type(monitored).objects.filter(pk=monitored.pk).update(protocol=protocol)
    monitored.refresh_from_db()
    with pytest.raises(SessionError, match="Modified Aldrete is 8; the protocol asks for at least 9"):
        monitored.mark_ready(by=nurse, score_items=ALDRETE_10 | {"activity": 1, "spo2": 1})
    monitored.mark_ready(by=nurse, score_items=ALDRETE_10 | {"activity": 1})


def test_a_score_with_an_item_missing_is_refused(monitored, nurse):
    with pytest.raises(ValueError, match="respiration"):
        monitored.mark_ready(by=nurse, score_items={"activity": 2})


def test_discharge_needs_an_escort_and_the_instructions(monitored, nurse):
    monitored.mark_ready(by=nurse, score_items=ALDRETE_10)
    with pytest.raises(SessionError, match="responsible adult") as error:
        monitored.discharge(by=nurse, escort_present=False, escort_name="", instructions_given=False)
    assert "instructions" in str(error.value)
    monitored.refresh_from_db()
    assert monitored.state == "ready_for_discharge"


def test_discharge_before_ready_is_refused(monitored, nurse):
    with pytest.raises(SessionError, match="ready to leave first"):
        monitored.discharge(
            by=nurse, escort_present=True, escort_name="Sam (partner)", instructions_given=True
        )


def discharge(session, nurse):
    session.mark_ready(by=nurse, score_items=ALDRETE_10)
    session.discharge(by=nurse, escort_present=True, escort_name="Sam (partner)", instructions_given=True)


def test_a_signed_session_is_frozen(monitored, nurse, prescriber):
    from kapcare.sessions.models import Frozen
    from kapcare.sessions.monitor import add_note

    discharge(monitored, nurse)
    monitored.sign(by=prescriber)
    monitored.refresh_from_db()
    assert monitored.signed_by == prescriber
    with pytest.raises(Frozen):
        add_note(monitored, by=nurse, text="Late entry")
    with pytest.raises(Frozen):
        record_vitals(monitored, by=nurse, taken_at=timezone.now(), values={"heart_rate": 70})
    monitored.escort_name = "Someone else"
    with pytest.raises(Frozen):
        monitored.save()
    with pytest.raises(Frozen):
        monitored.sign(by=prescriber)
    with pytest.raises(Frozen):
        monitored.delete()
    assert monitored.notes.count() == 0


def test_a_session_is_signed_only_after_discharge(monitored, prescriber):
    with pytest.raises(SessionError, match="after the patient is discharged"):
        monitored.sign(by=prescriber)


def test_the_database_refuses_a_signature_on_a_session_in_progress(monitored, prescriber):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        type(monitored).objects.filter(pk=monitored.pk).update(signed_at=timezone.now())


def test_completing_a_session_assigns_the_after_dosing_questionnaires(monitored, nurse, monkeypatch):
    from kapcare.measures import schedule

    calls = []
    monkeypatch.setattr(
        schedule, "dosing_session_completed", lambda course, key, at: calls.append((course, key))
    )
    discharge(monitored, nurse)
    assert calls == [(monitored.course, f"dosing-{monitored.pk}")]
