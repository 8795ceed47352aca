"""When questionnaires are asked: from the course's dates, from dosing sessions, and reminders."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kapcare.measures import schedule
from kapcare.measures.models import Assignment, Invitation
from kapcare.measures.tasks import send_invitation, send_reminder


def assign(patient, course, instrument, kind, by, channel="sms"):
    return Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        course=course,
        instrument=instrument,
        schedule=kind,
        channel=channel,
        created_by=by,
    )


def test_baseline_is_due_when_assigned_to_an_open_course(phq9, patient, course, prescriber):
    made = schedule.sync(assign(patient, course, phq9, "baseline", prescriber))
    assert [i.occasion for i in made] == ["baseline"]
    assert schedule.sync(Assignment.objects.get()) == []  # not twice


def test_weekly_occasions_follow_the_weeks_the_course_has_been_active(phq9, patient, course, prescriber):
    start = timezone.now() - timedelta(days=30)
    with time_machine.travel(start - timedelta(days=5)):
        assignment = assign(patient, course, phq9, "weekly", prescriber)
    with time_machine.travel(start):
        course.decide("eligible", by=prescriber)
        course.start(by=prescriber)
    made = schedule.sync(assignment)
    assert [i.occasion for i in made] == ["week-1", "week-2", "week-3", "week-4"]
    assert made[0].due_at == course.transitions.get(to_state="active").at + timedelta(weeks=1)


def test_weekly_occasions_stop_when_the_course_is_completed(phq9, patient, course, prescriber):
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        assignment = assign(patient, course, phq9, "weekly", prescriber)
        course.decide("eligible", by=prescriber)
        course.start(by=prescriber)
    with time_machine.travel(timezone.now() - timedelta(days=22)):
        course.complete(by=prescriber)
    assert [i.occasion for i in schedule.sync(assignment)] == ["week-1", "week-2"]


def test_months_after_the_course_fall_due_after_its_completion(phq9, patient, course, prescriber):
    with time_machine.travel(timezone.now() - timedelta(days=100)):
        course.decide("eligible", by=prescriber)
        course.start(by=prescriber)
        course.complete(by=prescriber)
        one, three = (
            assign(patient, course, phq9, kind, prescriber) for kind in ("after_course_1m", "after_course_3m")
        )
        six = assign(patient, course, phq9, "after_course_6m", prescriber)
    assert [i.occasion for i in schedule.sync(one)] == ["after-course-1m"]
    assert [i.occasion for i in schedule.sync(three)] == ["after-course-3m"]
    assert schedule.sync(six) == []


def test_dosing_sessions_create_before_and_after_occasions(phq9, patient, course, prescriber, sms_outbox):
    assign(patient, course, phq9, "before_dosing", prescriber)
    assign(patient, course, phq9, "after_dosing", prescriber)
    starts = timezone.now() + timedelta(hours=6)
    before = schedule.dosing_session_scheduled(course, "17", starts)
    assert [i.occasion for i in before] == ["before-dosing:17"]
    assert before[0].expires_at == starts
    assert len(sms_outbox) == 1  # due now: within the lead time of the session
    after = schedule.dosing_session_completed(course, "17", starts + timedelta(hours=2))
    assert after[0].due_at == starts + timedelta(hours=2, days=1)
    assert schedule.dosing_session_scheduled(course, "17", starts) == []  # booked twice, asked once


def test_the_text_carries_only_the_link(phq9, patient, course, prescriber, sms_outbox):
    invitation = schedule.sync(assign(patient, course, phq9, "baseline", prescriber))[0]
    assert send_invitation.enqueue(invitation.pk).return_value is True
    (text,) = sms_outbox
    assert text.to == "+16175550123"
    assert "/q/" in text.body
    for secret in ("PHQ", "depress", "Quillfeather", "Daisy", "ketamine", "Riverside"):
        assert secret.lower() not in text.body.lower()


def test_email_invitations_go_to_the_patients_address(phq9, patient, course, prescriber, mailoutbox):
    invitation = schedule.sync(assign(patient, course, phq9, "baseline", prescriber, channel="email"))[0]
    schedule.send(invitation)
    assert mailoutbox[0].to == ["daisy@example.com"] and "/q/" in mailoutbox[0].body


@pytest.fixture
def sent(phq9, patient, course, prescriber):
    invitation = schedule.sync(assign(patient, course, phq9, "baseline", prescriber))[0]
    schedule.send(invitation)
    return invitation


def test_at_most_three_reminders_a_day_apart(sent, sms_outbox):
    for day in range(1, 6):
        with time_machine.travel(sent.sent_at + timedelta(days=day, minutes=1)):
            send_reminder.enqueue(sent.pk)
    sent.refresh_from_db()
    assert sent.reminders_sent == 3
    assert len(sms_outbox) == 4  # the invitation and three reminders


def test_no_reminder_before_a_day_has_passed(sent, sms_outbox):
    with time_machine.travel(sent.sent_at + timedelta(hours=23)):
        assert schedule.remind(sent.pk) is False
    assert len(sms_outbox) == 1


def test_no_reminder_once_answered(sent, sms_outbox):
    Invitation.objects.filter(pk=sent.pk).update(used_at=timezone.now())
    with time_machine.travel(sent.sent_at + timedelta(days=2)):
        assert schedule.remind(sent.pk) is False


def test_the_sweep_makes_sends_and_reminds(phq9, patient, course, prescriber, sms_outbox):
    assign(patient, course, phq9, "baseline", prescriber)
    assert schedule.sweep() == {"made": 1, "sent": 1, "reminded": 0}
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=5)):
        assert schedule.sweep() == {"made": 0, "sent": 0, "reminded": 1}
    assert len(sms_outbox) == 2


def test_in_clinic_assignments_send_nothing(phq9, patient, course, prescriber, sms_outbox):
    assign(patient, course, phq9, "baseline", prescriber, channel="clinic")
    assert schedule.sweep()["sent"] == 0
    assert sms_outbox == []


def test_the_sweep_command_says_what_it_did(phq9, patient, course, prescriber, sms_outbox):
    from io import StringIO

    from django.core.management import call_command

    assign(patient, course, phq9, "baseline", prescriber)
    out = StringIO()
    call_command("measures-sweep", stdout=out)
    assert out.getvalue().strip() == "1 made, 1 sent, 0 reminded."


def test_the_hourly_sweep_issues_the_same_number_of_queries_whatever_the_number_of_assignments(
    phq9, gad7, patient, course, prescriber
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for instrument in (phq9, gad7):
        for kind in ("weekly", "after_course_1m", "before_dosing", "once", "baseline"):
            assign(patient, course, instrument, kind, prescriber, channel="clinic")
    schedule.sweep()  # makes the one-off and baseline occasions
    with CaptureQueriesContext(connection) as few:
        assert schedule.sweep()["made"] == 0
    for _ in range(5):
        for kind in ("weekly", "after_course_3m", "after_dosing", "once", "baseline"):
            assign(patient, course, phq9, kind, prescriber, channel="clinic")
    schedule.sweep()
    with CaptureQueriesContext(connection) as many:
        assert schedule.sweep()["made"] == 0
    assert len(many) == len(few)


def test_a_questionnaire_withdrawn_while_the_patient_answers_is_not_stored(
    client, phq9, patient, course, prescriber, monkeypatch
):
    from django.urls import reverse

    from kapcare.measures import links
    from kapcare.measures.models import Response
    from kapcare.measures.tests.conftest import phq9_answers

    invitation = schedule.sync(assign(patient, course, phq9, "baseline", prescriber))[0]
    token = links.token_for(invitation)
    opened = links.invitation_for(token)
    # Staff cancel it between the link's check and the answers being stored.
    monkeypatch.setattr(links, "invitation_for", lambda token: opened)
    invitation.cancel(by=prescriber, reason="Entered on paper")
    response = client.post(reverse("measures:answer", args=[token]), phq9_answers([0] * 9))
    assert response.status_code == 410 and "withdrawn this questionnaire" in response.content.decode()
    assert not Response.objects.exists()
