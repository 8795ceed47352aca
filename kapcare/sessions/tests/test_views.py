"""The session pages: each step as a nurse or prescriber takes it; bad input re-renders with the
reason and changes nothing; outsiders get 404 and roles that may not get 403."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.sessions.models import VitalSign
from kapcare.sessions.monitor import record_vitals
from kapcare.sessions.tests.conftest import PRODUCT


def url(session, step=""):
    return f"/staff/sessions/{session.pk}/{step}"


CHECK_IN = {
    "identity_confirmed": "on",
    "pregnancy": "test_negative",
    "systolic": "124",
    "diastolic": "78",
    "heart_rate": "72",
    "spo2": "98",
    "resp_rate": "14",
    "weight_kg": "70",
}


def test_a_nurse_checks_a_patient_in_and_the_session_is_cleared(signed_in, nurse, session):
    response = signed_in(nurse).post(url(session, "check-in/"), CHECK_IN)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == "cleared" and session.prechecks.count() == 9


def test_check_in_with_a_diastolic_above_the_systolic_re_renders_and_saves_nothing(signed_in, nurse, session):
    response = signed_in(nurse).post(
        url(session, "check-in/"), CHECK_IN | {"systolic": "80", "diastolic": "95"}
    )
    assert response.status_code == 200
    assert "at or above the systolic" in response.content.decode()
    session.refresh_from_db()
    assert session.state == "scheduled" and not session.prechecks.exists() and not VitalSign.objects.exists()


def test_check_in_with_a_weight_of_700_kg_is_refused(signed_in, nurse, session):
    response = signed_in(nurse).post(url(session, "check-in/"), CHECK_IN | {"weight_kg": "700"})
    assert "Ensure this value is less than or equal to 350" in response.content.decode()
    session.refresh_from_db()
    assert session.state == "scheduled"


def test_the_session_page_shows_a_hold_and_the_prescriber_can_override(signed_in, nurse, prescriber, session):
    signed_in(nurse).post(url(session, "check-in/"), CHECK_IN | {"systolic": "150", "diastolic": "95"})
    client = signed_in(prescriber)
    body = client.get(url(session)).content.decode()
    assert "Held." in body and "150/95 is above 140/90" in body
    client.post(url(session, "override/"), {"reason": "Anxious; home BP 128/80; recheck at 10 min"})
    session.refresh_from_db()
    assert session.state == "cleared"


def test_an_override_without_a_reason_re_renders_with_the_error(signed_in, nurse, prescriber, session):
    signed_in(nurse).post(url(session, "check-in/"), CHECK_IN | {"identity_confirmed": ""})
    response = signed_in(prescriber).post(url(session, "override/"), {"reason": ""})
    assert response.status_code == 200 and "Give the reason" in response.content.decode()
    session.refresh_from_db()
    assert session.state == "held"


def test_a_nurse_may_not_order_a_dose(signed_in, nurse, cleared):
    assert signed_in(nurse).get(url(cleared, "order/")).status_code == 403


def test_the_prescriber_orders_in_mg_per_kg_and_sees_the_iv_equivalent(signed_in, prescriber, cleared):
    client = signed_in(prescriber)
    page = client.get(url(cleared, "order/")).content.decode()
    assert "Maximum today by this route: <strong>140.00 mg</strong>" in page
    client.post(url(cleared, "order/"), {"route": "im", "unit": "mg/kg", "amount": "0.5"})
    order = cleared.orders.get()
    assert str(order.amount_mg) == "35.00" and str(order.iv_equivalent_mg) == "32.55"


def test_an_order_above_the_maximum_re_renders_with_the_limit_and_its_source(signed_in, prescriber, cleared):
    response = signed_in(prescriber).post(
        url(cleared, "order/"), {"route": "iv", "unit": "mg", "amount": "200"}
    )
    body = response.content.decode()
    assert "above the protocol&#x27;s maximum of 140.00 mg" in body and "Kolp" in body
    assert not cleared.orders.exists()


def test_the_nurse_records_administration_with_a_verifier(signed_in, nurse, nurse2, ordered):
    from kapcare.sessions.models import dose

    dose.receive(ordered.site, PRODUCT, 500, by=nurse, lot="L1")
    given = (timezone.localtime() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(nurse).post(
        url(ordered, "administer/"),
        {
            "given_at": given,
            "route": "iv",
            "amount_mg": "35",
            "product": PRODUCT,
            "lot": "L1",
            "verified_by": nurse2.pk,
        },
    )
    assert response.status_code == 302
    ordered.refresh_from_db()
    assert ordered.state == "dosed"


def test_the_verifier_cannot_be_the_nurse_giving_the_dose(signed_in, nurse, ordered):
    given = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = signed_in(nurse).post(
        url(ordered, "administer/"),
        {
            "given_at": given,
            "route": "iv",
            "amount_mg": "35",
            "product": PRODUCT,
            "lot": "L1",
            "verified_by": nurse.pk,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    ordered.refresh_from_db()
    assert ordered.state == "cleared"


def test_an_implausible_reading_needs_the_nurses_confirmation(signed_in, nurse, dosed):
    client = signed_in(nurse)
    response = client.post(url(dosed, "vitals/"), {"heart_rate": "0", "spo2": "98"})
    assert "heart rate of 0" in response.content.decode()
    assert not VitalSign.objects.filter(pre_dose=False).exists()
    client.post(
        url(dosed, "vitals/"), {"heart_rate": "25", "confirmed_note": "Manual pulse 25, patient well"}
    )
    assert VitalSign.objects.get(pre_dose=False).heart_rate == 25


def test_the_nurse_records_a_temperature_in_fahrenheit_and_sees_it_as_taken(signed_in, nurse, dosed):
    client = signed_in(nurse)
    response = client.post(
        url(dosed, "vitals/"), {"heart_rate": "72", "temperature": "98.6", "temperature_unit": "[degF]"}
    )
    assert response.status_code == 302
    reading = VitalSign.objects.get(pre_dose=False)
    assert (reading.temperature_c, reading.temperature_unit, reading.heart_rate) == (
        Decimal("37.00"),
        "[degF]",
        72,
    )
    assert 'data-label="Temp">98.6 °F</td>' in client.get(url(dosed)).content.decode()
    assert 'data-label="Temp">98.6 °F</td>' in client.get(url(dosed, "summary/")).content.decode()


def test_a_temperature_alone_is_a_reading_and_celsius_is_the_default_unit(signed_in, nurse, dosed):
    signed_in(nurse).post(url(dosed, "vitals/"), {"temperature": "36.8"})
    reading = VitalSign.objects.get(pre_dose=False)
    assert (reading.temperature_c, reading.temperature_unit, reading.heart_rate) == (
        Decimal("36.80"),
        "Cel",
        None,
    )


def test_an_implausible_temperature_needs_the_nurses_confirmation(signed_in, nurse, dosed):
    client = signed_in(nurse)
    response = client.post(url(dosed, "vitals/"), {"temperature": "33.9"})
    assert "outside 35.0–41.0 °C (the protocol&#x27;s range, marked unverified)" in response.content.decode()
    assert not VitalSign.objects.filter(pre_dose=False).exists()
    client.post(
        url(dosed, "vitals/"), {"temperature": "33.9", "confirmed_note": "Rechecked orally; cold room"}
    )
    assert VitalSign.objects.get(pre_dose=False).temperature_c == Decimal("33.90")


def test_a_high_reading_shows_an_alert_that_is_acknowledged_with_the_action(signed_in, nurse, dosed):
    client = signed_in(nurse)
    client.post(url(dosed, "vitals/"), {"systolic": "210", "diastolic": "100"})
    alert = dosed.alerts.get(rule="bp_once")
    body = client.get(url(dosed)).content.decode()
    assert "OPEN ALERT" in body and "210/100" in body
    client.post(
        f"/staff/sessions/alerts/{alert.pk}/acknowledge/",
        {"action_taken": "Rechecked; prescriber at bedside"},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse


def test_the_session_page_is_404_for_another_clinic_and_403_for_billing(signed_in, outsider, billing, dosed):
    assert signed_in(outsider).get(url(dosed)).status_code == 404
    assert signed_in(billing).get(url(dosed)).status_code == 403


def test_viewing_a_session_is_audited(signed_in, therapist, dosed):
    signed_in(therapist).get(url(dosed))
    event = AuditEvent.objects.filter(action="view", object_type="DosingSession").latest("seq")
    assert event.patient_id == dosed.patient_id and event.actor == therapist.email


def test_the_session_page_queries_do_not_grow_with_readings(signed_in, nurse, dosed):
    client = signed_in(nurse)
    for minute in (1, 2):
        record_vitals(
            dosed, by=nurse, taken_at=dosed.dosed_at + timedelta(minutes=minute), values={"heart_rate": 70}
        )
    client.get(url(dosed))  # the sign-in session is rewritten at most once a minute: do it now
    with CaptureQueriesContext(connection) as few:
        client.get(url(dosed))
    for minute in range(3, 25):
        record_vitals(
            dosed, by=nurse, taken_at=dosed.dosed_at + timedelta(minutes=minute), values={"heart_rate": 70}
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url(dosed))
    assert len(many) == len(few)


def test_the_session_page_names_the_route_of_the_order_and_the_dose_as_the_protocol_does(
    signed_in, nurse, dosed
):
    body = signed_in(nurse).get(url(dosed)).content.decode()
    assert body.count("mg Intravenous (IV)") == 3  # the order, the dose given and the history
    assert "35.00 mg Intravenous (IV) at" in body
    assert "mg iv" not in body


def test_the_summary_shows_the_dose_vitals_chart_and_alerts(signed_in, nurse, dosed):
    record_vitals(
        dosed,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=5),
        values={"systolic": 205, "diastolic": 101, "heart_rate": 90},
    )
    body = signed_in(nurse).get(url(dosed, "summary/")).content.decode()
    assert "Given 35.00 mg Intravenous (IV)" in body and "lot K2026A" in body
    assert "<svg" in body and "Systolic blood pressure" in body
    assert "205/101" in body and "Still open" in body


def test_the_summary_pdf_is_a_pdf(signed_in, nurse, dosed):
    response = signed_in(nurse).get(url(dosed, "summary.pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_patients_chart_panel_lists_their_sessions(signed_in, therapist, dosed):
    body = (
        signed_in(therapist)
        .get(f"/staff/sessions/patients/{dosed.patient_id}/panel/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "Session 1" in body and "Dosed" in body


def test_the_chart_panel_shows_readings_from_outside_a_session_apart_from_the_sessions(
    signed_in, therapist, dosed, other_clinic
):
    from datetime import UTC, datetime

    patient = dosed.patient
    outside = dict(clinic=patient.clinic, patient=patient, session=None, source="device")
    VitalSign.objects.create(
        **outside, taken_at=datetime(1999, 7, 2, tzinfo=UTC), date_only=True, systolic=109, diastolic=44
    )
    VitalSign.objects.create(
        **outside, taken_at=timezone.now() - timedelta(days=3), heart_rate=71, device="Home cuff 3"
    )
    for day in range(12):
        VitalSign.objects.create(**outside, taken_at=datetime(1998, 1, 1 + day, 9, tzinfo=UTC), spo2=97)
    client = signed_in(therapist)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(
            f"/staff/sessions/patients/{patient.pk}/panel/", HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "Readings outside a session" in body
    assert "Jul 2, 1999" in body and "109/44" in body  # a day, as the record gave it
    assert "Home cuff 3" in body and "71" in body
    assert "The latest 10 of 14." in body
    assert len(queries) <= 13  # the readings in force, their count, and those marked in error
    # The session's own readings stay in the session, not in this list.
    assert body.count("<tr>") == 1 + 10


def test_a_session_is_scheduled_from_the_signed_treatment_plan(signed_in, nurse, active_course):
    from kapcare.evaluation.tests.factories import signed_plan

    plan = signed_plan(active_course)
    room = active_course.clinic.sites.get().rooms.get()
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(nurse).post(
        f"/staff/sessions/courses/{active_course.pk}/schedule/",
        {"planned_start": start, "room": room.pk, "medication": "ketamine"},
    )
    assert response.status_code == 302
    session = active_course.dosing_sessions.get()
    assert (session.route, session.planned_mg_per_kg, session.plan_ref) == ("im", plan.dose_amount, plan.pk)
