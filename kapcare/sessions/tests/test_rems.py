"""Esketamine sessions: the REMS monitoring form is required before signing; a queue shows forms due
within 7 calendar days."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kapcare.sessions.models import RemsForm, SessionError
from kapcare.sessions.models.rems import rems_missing
from kapcare.sessions.tests.conftest import GOOD_ANSWERS, schedule

COMPLETE = dict(
    first_treatment=True,
    patient_enrolled=True,
    benzodiazepines=False,
    sedative_hypnotics=False,
    psychostimulants=False,
    maois=False,
    opioids=False,
    monitoring_hcp_name="Ben Ortiz, RN",
    monitoring_hcp_phone="+1 617 555 0100",
    monitoring_hcp_email="nurse@riverside.example",
    setting_name="Main Street",
    setting_address="1 Main Street",
    treatment_date=timezone.localdate(),
    dose="56",
    lot="ES123",
    total_minutes=125,
    ready_minutes=95,
    vitals_ok_before=True,
    vitals_ok_end=True,
    bp_before="124/78",
    bp_40="150/92",
    bp_end="128/80",
    sedation=True,
    sedation_resolved=True,
    dissociation=False,
    respiratory_depression=False,
    pulse_oximetry_checked=True,
    serious_adverse_event=False,
)


def book_esketamine(course, nurse):
    """A Spravato session: intranasal, two 28 mg devices."""
    return schedule(
        course,
        nurse,
        route="intranasal",
        medication="esketamine",
        planned_mg_per_kg=None,
        planned_dose_mg=Decimal("56"),
    )


@pytest.fixture
def esketamine(ready_patient, active_course, nurse, nurse2, prescriber):
    from kapcare.sessions.models import dose
    from kapcare.sessions.monitor import record_vitals
    from kapcare.sessions.tests.test_discharge import ALDRETE_10

    session = book_esketamine(active_course, nurse)
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    dose.order_dose(session, by=prescriber, route="intranasal", amount_mg=Decimal("56"))
    dose.receive(session.site, "Spravato 28 mg device", 280, by=nurse, lot="ES123")
    dose.administer(
        session,
        by=nurse,
        verified_by=nurse2,
        given_at=timezone.now() - timedelta(minutes=125),
        route="intranasal",
        amount_mg=Decimal("56"),
        product="Spravato 28 mg device",
        lot="ES123",
    )
    record_vitals(
        session, by=nurse, taken_at=timezone.now(), values={"systolic": 126, "diastolic": 80, "spo2": 98}
    )
    session.mark_ready(by=nurse, score_items=ALDRETE_10)
    session.discharge(by=nurse, escort_present=True, escort_name="Sam", instructions_given=True)
    return session


def test_an_esketamine_session_cannot_be_signed_without_the_rems_form(esketamine, prescriber):
    with pytest.raises(SessionError, match="REMS monitoring form"):
        esketamine.sign(by=prescriber)


def test_every_missing_rems_field_is_named(esketamine):
    RemsForm.objects.create(session=esketamine, **(COMPLETE | {"lot": "", "bp_40": ""}))
    assert rems_missing(esketamine) == ["lot number", "BP at 40 minutes"]


def test_resolved_is_asked_only_when_the_effect_occurred(esketamine):
    RemsForm.objects.create(session=esketamine, **(COMPLETE | {"sedation_resolved": None}))
    assert rems_missing(esketamine) == ["sedation resolved"]


def test_a_total_duration_under_the_two_hour_minimum_is_refused(esketamine):
    RemsForm.objects.create(session=esketamine, **(COMPLETE | {"total_minutes": 110}))
    assert rems_missing(esketamine) == ["a total duration of at least 120 minutes (the form says 110)"]


def test_an_esketamine_session_with_a_complete_form_is_signed(esketamine, prescriber):
    RemsForm.objects.create(session=esketamine, **COMPLETE)
    esketamine.sign(by=prescriber)
    assert esketamine.signed_at is not None


@pytest.fixture
def midday(time_machine):
    """Early afternoon at the site, so the dose two hours back was given the same calendar day."""
    time_machine.move_to("2026-11-27 18:00:00+00:00", tick=True)


def test_the_queue_shows_forms_due_within_7_calendar_days(midday, esketamine, signed_in, nurse):
    response = signed_in(nurse).get("/staff/sessions/rems/")
    body = response.content.decode()
    assert esketamine.patient.name in body
    assert "7 days left" in body


def test_a_submitted_form_leaves_the_queue(esketamine, signed_in, prescriber):
    RemsForm.objects.create(session=esketamine, **COMPLETE)
    client = signed_in(prescriber)
    client.post(f"/staff/sessions/{esketamine.pk}/rems/submitted/")
    assert esketamine.patient.name not in client.get("/staff/sessions/rems/").content.decode()


def test_the_rems_page_fills_what_the_session_already_knows(esketamine, signed_in, nurse):
    body = signed_in(nurse).get(f"/staff/sessions/{esketamine.pk}/rems/").content.decode()
    assert 'value="ES123"' in body and 'value="124/78"' in body and 'value="Main Street"' in body


def test_the_queue_counts_calendar_days_in_the_sites_time_zone(esketamine, signed_in, nurse):
    import datetime as dt

    import time_machine

    from kapcare.sessions.models import DosingSession

    # 11:00 UTC on March 10 is already March 11 at a site on UTC+14.
    type(esketamine.site).objects.filter(pk=esketamine.site_id).update(time_zone="Pacific/Kiritimati")
    DosingSession.objects.filter(pk=esketamine.pk).update(
        dosed_at=dt.datetime(2026, 3, 10, 11, tzinfo=dt.UTC)
    )
    with time_machine.travel(dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC), tick=False):
        body = signed_in(nurse).get("/staff/sessions/rems/").content.decode()
    assert "Mar 11" in body and "Wed Mar 18" in body
    assert "5 days left" in body
