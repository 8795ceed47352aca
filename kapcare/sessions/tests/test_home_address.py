"""Where the patient is for an at-home dosing session: recorded at booking (prefilled from the
address on file), required at home and refused in clinic, shown wherever the session is, and
carried into the REMS form's location."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.tests.factories import signed_esketamine_plan, signed_plan
from kapcare.patients.models import Patient
from kapcare.sessions import views
from kapcare.sessions.models import DosingSession, SessionError, dose
from kapcare.sessions.scheduling import address_on_file, schedule_from_plan
from kapcare.sessions.tests.conftest import GOOD_ANSWERS, PRODUCT
from kapcare.sessions.tests.test_setting import HOME, book, sign_at_home_consent

ON_FILE = "14 Alder Street\nSomerville, MA 02144"


@pytest.fixture
def home_plan(ready_patient, active_course):
    Patient.objects.filter(pk=ready_patient.pk).update(
        address_line="14 Alder Street", city="Somerville", state="MA", postal_code="02144"
    )
    active_course.patient.refresh_from_db()
    return signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)


def page(course):
    return f"/staff/sessions/courses/{course.pk}/schedule/"


def tomorrow():
    return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


# The record -------------------------------------------------------------------------------------


def test_an_at_home_session_keeps_the_address_given_at_booking_and_audits_it(home_plan, active_course, nurse):
    session = book(active_course, nurse, "home", home_address="  9 Birch Lane\nMedford, MA 02155 ")
    session.refresh_from_db()
    assert session.home_address == "9 Birch Lane\nMedford, MA 02155"
    assert session.home_address_line == "9 Birch Lane, Medford, MA 02155"
    created = AuditEvent.objects.get(object_type="DosingSession", object_id=str(session.pk), action="create")
    assert created.detail["home_address"] == "9 Birch Lane\nMedford, MA 02155"
    assert created.patient_id == session.patient_id


def test_an_at_home_session_without_an_address_is_refused(home_plan, active_course, nurse):
    with pytest.raises(SessionError, match="needs the address where the patient will be"):
        book(active_course, nurse, "home", home_address="  \n ")
    assert not DosingSession.objects.exists()


def test_the_plans_refusal_is_said_before_a_missing_address(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=False)
    with pytest.raises(SessionError, match="does not allow at-home sessions"):
        book(active_course, nurse, "home", home_address="")


def test_an_in_clinic_session_refuses_a_home_address(ready_patient, active_course, nurse):
    room = active_course.clinic.sites.get().rooms.get()
    with pytest.raises(SessionError, match="in-clinic session takes no home address"):
        book(active_course, nurse, "clinic", room=room, home_address=HOME)
    assert not DosingSession.objects.exists()


def test_the_database_keeps_home_addresses_off_in_clinic_sessions(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        DosingSession.objects.filter(pk=session.pk).update(home_address=HOME)


def test_the_address_on_file_is_the_patients_street_city_state_and_postcode(home_plan, patient):
    assert address_on_file(Patient.objects.get(pk=patient.pk)) == ON_FILE
    Patient.objects.filter(pk=patient.pk).update(address_line="", city="", state="", postal_code="")
    assert address_on_file(Patient.objects.get(pk=patient.pk)) == ""


# Booking on the page ----------------------------------------------------------------------------


def test_the_schedule_page_prefills_the_address_on_file(signed_in, nurse, home_plan, active_course):
    body = signed_in(nurse).get(page(active_course)).content.decode()
    assert ">\n14 Alder Street\nSomerville, MA 02144</textarea>" in body
    assert "Address for an at-home session" in body


def test_the_schedule_page_books_at_home_at_the_address_given_one_line_per_part(
    signed_in, nurse, home_plan, active_course
):
    data = {"planned_start": tomorrow(), "setting": "home", "home_address": "Flat 2, 30 Elm Road\r\nBoston"}
    assert signed_in(nurse).post(page(active_course), data | {"medication": "ketamine"}).status_code == 302
    assert DosingSession.objects.get().home_address == "Flat 2, 30 Elm Road\nBoston"


def test_the_schedule_page_refuses_at_home_without_an_address(signed_in, nurse, home_plan, active_course):
    data = {"planned_start": tomorrow(), "setting": "home", "home_address": " ", "medication": "ketamine"}
    response = signed_in(nurse).post(page(active_course), data)
    assert response.status_code == 200
    assert "needs the address where the patient will be" in response.content.decode()
    assert not DosingSession.objects.exists()


def test_an_in_clinic_booking_sets_the_prefilled_address_aside(signed_in, nurse, home_plan, active_course):
    room = active_course.clinic.sites.get().rooms.get()
    data = {"planned_start": tomorrow(), "setting": "clinic", "room": room.pk, "medication": "ketamine"}
    response = signed_in(nurse).post(
        page(active_course), data | {"home_address": ON_FILE.replace("\n", "\r\n")}
    )
    assert response.status_code == 302
    assert DosingSession.objects.get().home_address == ""


def test_an_in_clinic_booking_refuses_an_address_typed_by_hand(signed_in, nurse, home_plan, active_course):
    room = active_course.clinic.sites.get().rooms.get()
    data = {"planned_start": tomorrow(), "setting": "clinic", "room": room.pk, "medication": "ketamine"}
    response = signed_in(nurse).post(page(active_course), data | {"home_address": "9 Birch Lane"})
    assert response.status_code == 200
    assert (
        "An in-clinic session takes no home address: clear it, or choose At home."
        in response.content.decode()
    )
    assert not DosingSession.objects.exists()


# Where it shows ---------------------------------------------------------------------------------


@pytest.fixture
def dosed_at_home(home_plan, active_course, nurse, nurse2, prescriber):
    sign_at_home_consent(active_course.patient, prescriber)
    session = book(active_course, nurse, "home", home_address="9 Birch Lane\nMedford, MA 02155")
    session = DosingSession.objects.select_related("protocol", "patient", "site").get(pk=session.pk)
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    assert session.state == "cleared", session.held_reason
    order = dose.order_dose(session, by=prescriber, route="im", mg_per_kg=Decimal("0.5"))
    dose.receive(session.site, PRODUCT, 500, by=nurse, lot="K2026A")
    dose.administer(
        session,
        by=nurse,
        verified_by=nurse2,
        given_at=timezone.now() - timedelta(minutes=20),
        route=order.route,
        amount_mg=order.amount_mg,
        product=PRODUCT,
        lot="K2026A",
    )
    return session


LINE = "9 Birch Lane, Medford, MA 02155"


def test_the_session_page_shows_the_address(signed_in, nurse, dosed_at_home):
    body = signed_in(nurse).get(f"/staff/sessions/{dosed_at_home.pk}/").content.decode()
    assert f"The patient's address for this session: <strong>{LINE}</strong>" in body


def test_an_in_clinic_session_page_shows_no_address_line(signed_in, nurse, session):
    body = signed_in(nurse).get(f"/staff/sessions/{session.pk}/").content.decode()
    assert "address for this session" not in body


def test_the_board_tile_shows_the_address_without_a_query_per_tile(signed_in, nurse, dosed_at_home):
    client = signed_in(nurse)
    url = f"/staff/sessions/board/{dosed_at_home.site_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as home:
        body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'<p class="tile-address"><span class="visually-hidden">Address: </span>{LINE}</p>' in body
    # The address rides in the board's one query for its sessions, as an in-clinic tile's room does.
    DosingSession.objects.filter(pk=dosed_at_home.pk).update(setting="clinic", home_address="")
    with CaptureQueriesContext(connection) as clinic:
        client.get(url, HTTP_HX_REQUEST="true")
    assert len(home) == len(clinic)


def test_the_summary_on_screen_and_in_the_pdf_shows_the_address(signed_in, nurse, dosed_at_home):
    client = signed_in(nurse)
    screen = client.get(f"/staff/sessions/{dosed_at_home.pk}/summary/").content.decode()
    assert f"At home, at {LINE}; supervised from {dosed_at_home.site.name}." in screen
    pdf = client.get(f"/staff/sessions/{dosed_at_home.pk}/summary.pdf").content
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"At home, at {LINE}; supervised from {dosed_at_home.site.name}." in text


def test_the_rems_form_gives_where_an_at_home_patient_was(dosed_at_home):
    # An esketamine session at home predating the REMS refusal: the form must say where the patient was.
    DosingSession.objects.filter(pk=dosed_at_home.pk).update(medication="esketamine")
    dosed_at_home.refresh_from_db()
    assert views.rems_prefill(dosed_at_home)["setting_address"] == "9 Birch Lane\nMedford, MA 02155"


def test_the_rems_form_gives_the_sites_address_for_a_session_in_clinic(session):
    assert views.rems_prefill(session)["setting_address"] == session.site.address


# Esketamine -------------------------------------------------------------------------------------


@pytest.fixture
def esketamine_plan(ready_patient, active_course):
    return signed_esketamine_plan(active_course)


def test_esketamine_is_never_booked_at_home(esketamine_plan, active_course, nurse):
    with pytest.raises(SessionError, match="never dispensed for home use"):
        schedule_from_plan(
            esketamine_plan,
            active_course,
            planned_start=timezone.now() + timedelta(days=1),
            site=active_course.clinic.sites.get(),
            setting="home",
            home_address=HOME,
            by=nurse,
        )
    assert not DosingSession.objects.exists()


def test_the_schedule_page_refuses_esketamine_at_home_with_the_rems_rule(
    signed_in, nurse, esketamine_plan, active_course
):
    data = {"planned_start": tomorrow(), "setting": "home", "home_address": HOME, "medication": "esketamine"}
    body = signed_in(nurse).post(page(active_course), data).content.decode()
    assert "under the SPRAVATO REMS it is never dispensed for home use" in body
    assert not DosingSession.objects.exists()


# Correcting the address of a booked session -----------------------------------------------------

NEW = "Flat 3, 2 Cedar Court\nArlington, MA 02474"


def address_page(session):
    return f"/staff/sessions/{session.pk}/address/"


@pytest.fixture
def booked_at_home(home_plan, active_course, nurse):
    return book(active_course, nurse, "home", home_address="9 Birch Lane\nMedford, MA 02155")


def updates(session):
    return list(
        AuditEvent.objects.filter(object_type="DosingSession", object_id=str(session.pk), action="update")
    )


def test_a_nurse_corrects_a_booked_sessions_address_and_the_old_one_stays_in_the_audit_trail(
    signed_in, nurse, booked_at_home
):
    response = signed_in(nurse).post(
        address_page(booked_at_home), {"home_address": " Flat 3, 2 Cedar Court \r\nArlington, MA 02474\r\n"}
    )
    assert response.status_code == 302 and response["Location"] == f"/staff/sessions/{booked_at_home.pk}/"
    booked_at_home.refresh_from_db()
    assert booked_at_home.home_address == NEW
    [event] = updates(booked_at_home)
    assert event.detail == {"home_address": {"from": "9 Birch Lane\nMedford, MA 02155", "to": NEW}}
    assert event.patient_id == booked_at_home.patient_id and event.actor_id == nurse.pk


def test_the_sessions_history_and_summary_say_the_address_was_corrected_from_what_and_by_whom(
    signed_in, nurse, booked_at_home
):
    client = signed_in(nurse)
    client.post(address_page(booked_at_home), {"home_address": NEW})
    page = client.get(f"/staff/sessions/{booked_at_home.pk}/").content.decode()
    history = page[page.index('id="history-h"') :]
    assert "Home address corrected" in history and nurse.display_name in history
    assert "Was: 9 Birch Lane<br>Medford, MA 02155" in history
    summary = client.get(f"/staff/sessions/{booked_at_home.pk}/summary/").content.decode()
    assert "Home address corrected" in summary and "was 9 Birch Lane, Medford, MA 02155; now " in summary
    # A failed correction leaves no trace in the history.
    client.post(address_page(booked_at_home), {"home_address": NEW})
    assert booked_at_home.address_corrections.count() == 1


def test_the_intake_coordinator_who_books_may_correct_it_and_returns_to_the_chart(
    signed_in, intake, booked_at_home
):
    response = signed_in(intake).post(address_page(booked_at_home), {"home_address": NEW})
    assert response["Location"] == f"/staff/patients/{booked_at_home.patient_id}/"
    booked_at_home.refresh_from_db()
    assert booked_at_home.home_address == NEW


def test_a_therapist_may_not_correct_it_and_an_outsider_does_not_find_it(
    signed_in, therapist, outsider, booked_at_home
):
    assert signed_in(therapist).post(address_page(booked_at_home), {"home_address": NEW}).status_code == 403
    assert signed_in(outsider).post(address_page(booked_at_home), {"home_address": NEW}).status_code == 404
    booked_at_home.refresh_from_db()
    assert booked_at_home.home_address == "9 Birch Lane\nMedford, MA 02155" and updates(booked_at_home) == []


def test_the_model_refuses_a_correction_by_a_role_that_does_not_book(therapist, booked_at_home):
    with pytest.raises(SessionError, match="Only staff who book"):
        booked_at_home.correct_home_address(NEW, by=therapist)


def test_an_empty_address_is_refused_and_nothing_changes(signed_in, nurse, booked_at_home):
    response = signed_in(nurse).post(address_page(booked_at_home), {"home_address": " \r\n "})
    assert response.status_code == 200
    assert "needs the address where the patient will be" in response.content.decode()
    booked_at_home.refresh_from_db()
    assert booked_at_home.home_address == "9 Birch Lane\nMedford, MA 02155" and updates(booked_at_home) == []


def test_the_same_address_again_changes_nothing(nurse, booked_at_home):
    with pytest.raises(SessionError, match="already recorded"):
        booked_at_home.correct_home_address("9 Birch Lane\r\nMedford, MA 02155", by=nurse)
    assert updates(booked_at_home) == []


def test_the_address_of_a_session_in_progress_may_be_corrected(nurse, dosed_at_home):
    dosed_at_home.correct_home_address(NEW, by=nurse)
    assert DosingSession.objects.get(pk=dosed_at_home.pk).home_address == NEW


def test_a_stopped_session_keeps_the_address_it_was_at(signed_in, nurse, prescriber, booked_at_home):
    booked_at_home.abort(by=prescriber, reason="Patient unwell")
    response = signed_in(nurse).post(address_page(booked_at_home), {"home_address": NEW})
    assert "part of the record and is not corrected afterwards" in response.content.decode()
    booked_at_home.refresh_from_db()
    assert booked_at_home.home_address == "9 Birch Lane\nMedford, MA 02155"
    page_body = signed_in(nurse).get(address_page(booked_at_home)).content.decode()
    assert "Correct the address</button>" not in page_body and "part of the record" in page_body


def test_an_in_clinic_session_has_no_address_to_correct(nurse, session):
    with pytest.raises(SessionError, match="in clinic; it has no home address"):
        session.correct_home_address(NEW, by=nurse)
    assert DosingSession.objects.get(pk=session.pk).home_address == ""


def test_the_session_page_links_the_correction_for_those_who_book(
    signed_in, nurse, therapist, booked_at_home
):
    link = f'<a href="{address_page(booked_at_home)}">Correct the address</a>'
    assert link in signed_in(nurse).get(f"/staff/sessions/{booked_at_home.pk}/").content.decode()
    assert link not in signed_in(therapist).get(f"/staff/sessions/{booked_at_home.pk}/").content.decode()


# The chart's sessions panel ---------------------------------------------------------------------


def panel(client, patient_id):
    return client.get(
        f"/staff/sessions/patients/{patient_id}/panel/", HTTP_HX_REQUEST="true"
    ).content.decode()


def test_the_chart_panel_shows_an_at_home_sessions_address(signed_in, nurse, booked_at_home):
    body = panel(signed_in(nurse), booked_at_home.patient_id)
    assert "At home, at 9 Birch Lane, Medford, MA 02155; supervised from" in body
    assert f'href="{address_page(booked_at_home)}">correct the address</a>' in body


def test_the_chart_panel_keeps_its_query_count_as_at_home_sessions_add_up(
    signed_in, nurse, booked_at_home, active_course
):
    client = signed_in(nurse)
    panel(client, booked_at_home.patient_id)
    with CaptureQueriesContext(connection) as one:
        panel(client, booked_at_home.patient_id)
    for n in range(3):
        book(active_course, nurse, "home", home_address=f"{n} Oak Street\nSalem, MA")
    with CaptureQueriesContext(connection) as four:
        body = panel(client, booked_at_home.patient_id)
    assert "At home, at 2 Oak Street, Salem, MA" in body
    assert len(four) == len(one)


def test_esketamine_is_booked_only_as_a_nasal_spray_in_whole_devices(ready_patient, active_course, nurse):
    """A session booked without a plan still holds esketamine to its label: refused on a route
    other than intranasal, by weight, or in part of a 28 mg device."""
    from kapcare.sessions.models.session import esketamine_refusal

    with pytest.raises(SessionError, match="nasal spray; it cannot be given"):
        DosingSession.schedule(
            active_course,
            site=active_course.site or active_course.clinic.sites.get(),
            planned_start=timezone.now() + timedelta(days=1),
            route="im",
            planned_dose_mg=Decimal("56"),
            medication="esketamine",
            by=nurse,
        )
    assert not DosingSession.objects.exists()
    assert "by weight" in esketamine_refusal("intranasal", "Intranasal", None, Decimal("0.5"))
    assert "whole number of 28 mg devices" in esketamine_refusal(
        "intranasal", "Intranasal", Decimal("60"), None
    )
    assert esketamine_refusal("intranasal", "Intranasal", Decimal("84"), None) == ""
