"""Where a dosing session takes place. At home is booked only as the course's signed treatment plan
allows (at-home sessions allowed, after enough in-clinic sessions discharged), takes no room, and at
check-in is held unless the patient's at-home consent is signed and in force."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kapcare.evaluation.tests.factories import signed_plan
from kapcare.patients.consent import ConsentDocument, ConsentKind
from kapcare.sessions.models import CheckKind, DosingSession, SessionError, State
from kapcare.sessions.scheduling import schedule_from_plan
from kapcare.sessions.tests.conftest import GOOD_ANSWERS, schedule

HOME = "14 Alder Street\nSomerville, MA 02144"


def book(course, by, setting, room=None, home_address=None):
    plan = signed_plan(course)
    return schedule_from_plan(
        plan,
        course,
        planned_start=timezone.now() + timedelta(days=1),
        site=course.clinic.sites.get(),
        room=room,
        setting=setting,
        home_address=(HOME if setting == "home" else "") if home_address is None else home_address,
        by=by,
    )


def discharged_in_clinic(course, by, count):
    """Earlier in-clinic sessions of the course, already discharged."""
    for _ in range(count):
        session = schedule(course, by)
        DosingSession.objects.filter(pk=session.pk).update(state=State.DISCHARGED)


def sign_at_home_consent(patient, by, *, version_text="I understand the at-home plan."):
    document = ConsentDocument.publish(
        patient.clinic, ConsentKind.AT_HOME, "At-home sessions addendum", version_text, by=by
    )
    return document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=document.version,
        shown_sha256=document.sha256,
        channel="clinic",
        actor=by,
    )


def check_in(session, nurse):
    checks = session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    session.refresh_from_db()
    return {check.kind: check for check in checks}


# Booking ---------------------------------------------------------------------------------------


def test_a_session_is_in_clinic_unless_booked_at_home(ready_patient, active_course, nurse):
    session = book(active_course, nurse, "clinic", room=active_course.clinic.sites.get().rooms.get())
    assert session.setting == "clinic" and session.get_setting_display() == "In clinic"


def test_at_home_is_refused_when_the_plan_does_not_allow_it(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=False)
    discharged_in_clinic(active_course, nurse, 3)
    with pytest.raises(SessionError, match="does not allow at-home sessions"):
        book(active_course, nurse, "home")
    assert not DosingSession.objects.filter(setting="home").exists()


def test_at_home_is_refused_without_a_signed_plan(ready_patient, active_course, nurse):
    with pytest.raises(SessionError, match="signed treatment plan"):
        DosingSession.schedule(
            active_course,
            site=active_course.clinic.sites.get(),
            planned_start=timezone.now(),
            route="iv",
            planned_mg_per_kg=Decimal("0.5"),
            setting="home",
            home_address=HOME,
            by=nurse,
        )
    assert not DosingSession.objects.exists()


def test_at_home_is_refused_one_discharged_session_short_of_the_plan(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=2)
    discharged_in_clinic(active_course, nurse, 1)
    schedule(active_course, nurse)  # booked in clinic but not yet discharged: does not count
    with pytest.raises(SessionError) as refused:
        book(active_course, nurse, "home")
    assert "only after 2 in-clinic dosing sessions discharged, and 1 has been" in str(refused.value)
    assert not DosingSession.objects.filter(setting="home").exists()


def test_discharged_at_home_sessions_do_not_count_towards_the_plans_rule(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=2)
    discharged_in_clinic(active_course, nurse, 1)
    earlier = schedule(active_course, nurse)
    DosingSession.objects.filter(pk=earlier.pk).update(setting="home", room=None, state=State.DISCHARGED)
    with pytest.raises(SessionError, match="and 1 has been"):
        book(active_course, nurse, "home")


def test_at_home_is_allowed_once_the_plans_in_clinic_sessions_are_discharged(
    ready_patient, active_course, nurse
):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=2)
    discharged_in_clinic(active_course, nurse, 2)
    session = book(active_course, nurse, "home")
    assert (session.setting, session.room_id, session.number) == ("home", None, 3)


def test_at_home_from_the_first_session_when_the_plan_says_zero(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    assert book(active_course, nurse, "home").setting == "home"


def test_an_at_home_session_takes_no_room(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    with pytest.raises(SessionError, match="takes no room"):
        book(active_course, nurse, "home", room=active_course.clinic.sites.get().rooms.get())
    assert not DosingSession.objects.exists()


def test_the_schedule_page_refuses_at_home_with_the_plans_rule(
    signed_in, nurse, ready_patient, active_course
):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=3)
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = f"/staff/sessions/courses/{active_course.pk}/schedule/"
    client = signed_in(nurse)
    assert (
        "At-home sessions allowed after 3 in-clinic sessions discharged" in client.get(page).content.decode()
    )
    response = client.post(
        page, {"planned_start": start, "setting": "home", "home_address": HOME, "medication": "ketamine"}
    )
    assert response.status_code == 200
    assert "only after 3 in-clinic dosing sessions discharged, and 0 have been" in response.content.decode()
    assert not DosingSession.objects.exists()


def test_the_schedule_page_books_at_home_when_the_plan_allows(signed_in, nurse, ready_patient, active_course):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=1)
    discharged_in_clinic(active_course, nurse, 1)
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(nurse).post(
        f"/staff/sessions/courses/{active_course.pk}/schedule/",
        {"planned_start": start, "setting": "home", "home_address": HOME, "medication": "ketamine"},
    )
    assert response.status_code == 302
    assert DosingSession.objects.get(setting="home").room_id is None


def test_the_schedule_page_refuses_a_room_for_an_at_home_session(
    signed_in, nurse, ready_patient, active_course
):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    room = active_course.clinic.sites.get().rooms.get()
    response = signed_in(nurse).post(
        f"/staff/sessions/courses/{active_course.pk}/schedule/",
        {
            "planned_start": start,
            "setting": "home",
            "room": room.pk,
            "home_address": HOME,
            "medication": "ketamine",
        },
    )
    assert response.status_code == 200 and "takes no room" in response.content.decode()
    assert not DosingSession.objects.exists()


# Check-in --------------------------------------------------------------------------------------


@pytest.fixture
def at_home(ready_patient, active_course, nurse):
    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    return DosingSession.objects.select_related("protocol", "patient", "site", "course").get(
        pk=book(active_course, nurse, "home").pk
    )


def test_an_at_home_session_is_held_without_the_at_home_consent(at_home, nurse):
    checks = check_in(at_home, nurse)
    assert at_home.state == "held"
    assert not checks[CheckKind.AT_HOME_CONSENT].passed
    assert "at-home sessions addendum" in at_home.held_reason.lower()
    assert all(check.passed for kind, check in checks.items() if kind != CheckKind.AT_HOME_CONSENT)


def test_an_unsigned_published_at_home_consent_holds_the_session(at_home, nurse, prescriber):
    ConsentDocument.publish(
        at_home.clinic, ConsentKind.AT_HOME, "At-home sessions addendum", "Text.", by=prescriber
    )
    checks = check_in(at_home, nurse)
    assert at_home.state == "held"
    assert "has not signed" in checks[CheckKind.AT_HOME_CONSENT].detail


def test_an_at_home_session_passes_with_the_signed_at_home_consent(at_home, nurse, prescriber):
    sign_at_home_consent(at_home.patient, prescriber)
    checks = check_in(at_home, nurse)
    assert at_home.state == "cleared", at_home.held_reason
    assert checks[CheckKind.AT_HOME_CONSENT].passed


def test_a_newer_at_home_consent_version_must_be_signed(at_home, nurse, prescriber):
    sign_at_home_consent(at_home.patient, prescriber)
    ConsentDocument.publish(
        at_home.clinic, ConsentKind.AT_HOME, "At-home sessions addendum", "Revised.", by=prescriber
    )
    checks = check_in(at_home, nurse)
    assert at_home.state == "held"
    assert "version 2 is current" in checks[CheckKind.AT_HOME_CONSENT].detail


def test_a_withdrawn_at_home_consent_holds_the_session(at_home, nurse, prescriber):
    signature = sign_at_home_consent(at_home.patient, prescriber)
    signature.withdraw(channel="clinic", recorded_by=prescriber, actor=prescriber, note="Changed mind.")
    checks = check_in(at_home, nurse)
    assert at_home.state == "held"
    assert "withdrew" in checks[CheckKind.AT_HOME_CONSENT].detail


def test_only_a_prescribers_override_with_a_reason_lets_it_go_ahead(at_home, nurse, prescriber):
    check_in(at_home, nurse)
    with pytest.raises(SessionError, match="Only a prescriber"):
        at_home.override_hold(by=nurse, reason="Patient says they signed.")
    with pytest.raises(SessionError, match="Give the reason"):
        at_home.override_hold(by=prescriber, reason=" ")
    at_home.override_hold(by=prescriber, reason="Consent signed on paper; scanned copy to follow.")
    at_home.refresh_from_db()
    assert at_home.state == "cleared" and at_home.override_by == prescriber


def test_an_in_clinic_session_has_no_at_home_consent_check(session, nurse):
    checks = check_in(session, nurse)
    assert session.state == "cleared"
    assert CheckKind.AT_HOME_CONSENT not in checks


# Where it shows --------------------------------------------------------------------------------


def test_the_session_page_board_and_summary_say_at_home(signed_in, nurse, prescriber, at_home):
    sign_at_home_consent(at_home.patient, prescriber)
    check_in(at_home, nurse)
    client = signed_in(nurse)
    assert "<strong>At home</strong>" in client.get(f"/staff/sessions/{at_home.pk}/").content.decode()
    board = client.get(f"/staff/sessions/board/{at_home.site_id}/").content.decode()
    assert '<span class="tile-room">At home</span>' in board
    assert "· At home ·" in client.get(f"/staff/sessions/{at_home.pk}/summary/").content.decode()


def test_an_in_clinic_session_shows_in_clinic_and_its_room(signed_in, nurse, cleared):
    client = signed_in(nurse)
    assert "<strong>In clinic</strong>" in client.get(f"/staff/sessions/{cleared.pk}/").content.decode()
    board = client.get(f"/staff/sessions/board/{cleared.site_id}/").content.decode()
    assert f'<span class="tile-room">{cleared.room.name}</span>' in board


def test_an_at_home_session_is_supervised_from_the_site_chosen(
    signed_in, nurse, ready_patient, active_course
):
    from kapcare.clinics.models import Site

    signed_plan(active_course, at_home_allowed=True, at_home_after_sessions=0)
    other = Site.objects.create(clinic=active_course.clinic, name="Northside", time_zone="America/Chicago")
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = f"/staff/sessions/courses/{active_course.pk}/schedule/"
    client = signed_in(nurse)
    response = client.post(
        page, {"planned_start": start, "setting": "home", "home_address": HOME, "medication": "ketamine"}
    )
    assert "Choose the site that supervises this session" in response.content.decode()
    assert not DosingSession.objects.exists()
    data = {
        "planned_start": start,
        "setting": "home",
        "site": other.pk,
        "home_address": HOME,
        "medication": "ketamine",
    }
    assert client.post(page, data).status_code == 302
    assert DosingSession.objects.get().site == other
