"""The live board: every active session at a site with its latest vitals, countdown and alerts, in a
number of queries that does not grow with the readings."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapcare.sessions.models import VitalSign
from kapcare.sessions.monitor import record_vitals


def add_readings(session, count, tag="q"):
    start = session.dosed_at + timedelta(seconds=30)
    VitalSign.objects.bulk_create(
        [
            VitalSign(
                clinic_id=session.clinic_id,
                patient_id=session.patient_id,
                session=session,
                taken_at=start + timedelta(seconds=2 * n),
                systolic=120 + n % 7,
                diastolic=80,
                heart_rate=70,
                spo2=98,
                source="device",
                identifier=f"{tag}{session.pk}-{n}",
            )
            for n in range(count)
        ]
    )


def board_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_board_shows_the_session_with_its_latest_vitals_and_trend(signed_in, nurse, dosed):
    record_vitals(
        dosed,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=3),
        values={"systolic": 130, "diastolic": 82, "heart_rate": 80},
    )
    record_vitals(
        dosed,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=1),
        values={"systolic": 142, "diastolic": 88, "heart_rate": 78},
    )
    body = signed_in(nurse).get(f"/staff/sessions/board/{dosed.site_id}/").content.decode()
    assert dosed.patient.name in body and "Willow" in body
    assert "142/88" in body
    assert "rising" in body
    assert "falling" in body
    assert "min since dose" in body
    assert 'hx-trigger="every 5s"' in body


def test_an_alert_on_the_board_says_alert_in_words_with_its_rule(signed_in, nurse, dosed):
    record_vitals(
        dosed,
        by=nurse,
        taken_at=timezone.now() - timedelta(minutes=1),
        values={"systolic": 206, "diastolic": 100},
    )
    body = signed_in(nurse).get(f"/staff/sessions/board/{dosed.site_id}/").content.decode()
    assert "ALERT" in body and "206/100" in body and "HIGH" in body
    assert "Rule: Alert when systolic &gt; 200" in body
    assert "open alert" in body


def test_the_board_counts_down_to_the_next_reading_then_shows_overdue(signed_in, nurse, dosed):
    # Dosed 30 minutes ago with no reading since: the 15- and 30-minute readings were missed.
    body = signed_in(nurse).get(f"/staff/sessions/board/{dosed.site_id}/").content.decode()
    assert "OVERDUE" in body
    record_vitals(dosed, by=nurse, taken_at=timezone.now(), values={"systolic": 120, "diastolic": 80})
    body = (
        signed_in(nurse)
        .get(f"/staff/sessions/board/{dosed.site_id}/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "Next vitals in" in body


def test_the_htmx_poll_returns_only_the_board(signed_in, nurse, dosed):
    body = (
        signed_in(nurse)
        .get(f"/staff/sessions/board/{dosed.site_id}/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body


def test_board_queries_do_not_grow_with_the_number_of_readings(signed_in, nurse, dosed):
    client = signed_in(nurse)
    url = f"/staff/sessions/board/{dosed.site_id}/"
    add_readings(dosed, 3)
    client.get(url)  # raise what is due once, so both counts below see the same state
    few, _ = board_queries(client, url)
    add_readings(dosed, 400, tag="r")
    many, _ = board_queries(client, url)
    assert many == few


def test_board_queries_do_not_grow_with_the_number_of_sessions(
    signed_in, nurse, nurse2, prescriber, dosed, clinic
):
    from conftest import make_member  # noqa: F401
    from kapcare.evaluation.tests.factories import make_evaluation, signed_decision
    from kapcare.patients.models import Course, Patient
    from kapcare.sessions.models import dose
    from kapcare.sessions.tests.conftest import GOOD_ANSWERS, confirm_checklist, give, schedule, sign_consent

    client = signed_in(nurse)
    url = f"/staff/sessions/board/{dosed.site_id}/"
    client.get(url)
    one, _ = board_queries(client, url)
    for n in range(3):
        patient = Patient.objects.create(
            clinic=clinic,
            legal_first_name=f"Test{n}",
            legal_last_name="Board",
            date_of_birth="1990-01-01",
            sex_at_birth="male",
        )
        course = Course.objects.create(clinic=clinic, patient=patient, condition="trd", prescriber=prescriber)
        make_evaluation(course)
        signed_decision(course, by=prescriber)
        course.decide("eligible", by=prescriber)
        course.start(by=prescriber)
        sign_consent(patient, prescriber)
        confirm_checklist(patient)
        session = schedule(course, nurse)
        session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
        dose.order_dose(session, by=prescriber, route="iv", amount_mg=30)
        give(session, nurse, nurse2)
        add_readings(session, 5)
    client.get(url)
    four, body = board_queries(client, url)
    assert body.count('<li class="tile') == 4
    assert four == one


def test_the_board_shows_nothing_of_another_clinic(signed_in, outsider, dosed):
    response = signed_in(outsider).get(f"/staff/sessions/board/{dosed.site_id}/")
    assert response.status_code == 404
    assert dosed.patient.legal_last_name not in response.content.decode()


def test_the_board_is_for_the_clinical_team(signed_in, billing, dosed):
    assert signed_in(billing).get(f"/staff/sessions/board/{dosed.site_id}/").status_code == 403


def test_moaas_levels_read_as_the_scale_words_never_as_an_alert():
    """MOAA/S 5 is 'responds readily to name' (reference/clinical.md); on a board where alerts
    are safety alerts, the word 'alert' next to a normal score would mislead."""
    from kapcare.sessions.board import MOAAS

    assert MOAAS[5] == "responds readily to name"
    assert not any("alert" in words for words in MOAAS.values())
