"""The measures sweep runs on the worker's clock, and dosing sessions booked or completed in the
sessions app make their questionnaire occasions."""

from datetime import timedelta

from django.apps import apps
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from kapcare.measures.models import Assignment, Invitation
from kapcare.sessions import seams
from kapcare.sessions.models import DosingSession
from kapcare.sessions.tests.conftest import active_course  # noqa: F401 - a fixture


def test_the_sweep_is_a_periodic_task_of_the_worker():
    (path, seconds), *others = apps.get_app_config("measures").periodic_tasks
    assert not others and 0 < seconds <= 3600  # reminders are a day apart; an hour is close enough
    task = import_string(path)
    assert isinstance(task, Task)
    assert task.func.__code__.co_argcount == 0


def test_the_periodic_task_makes_and_sends_what_has_fallen_due(phq9, patient, course, prescriber, sms_outbox):
    Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        course=course,
        instrument=phq9,
        schedule="baseline",
        channel="sms",
        created_by=prescriber,
    )
    from kapcare.clinics.periodic import enqueue_due

    assert "kapcare.measures.tasks.sweep" in enqueue_due()  # the worker's clock, first pass
    assert Invitation.objects.get().sent_at is not None and len(sms_outbox) == 1
    assert "kapcare.measures.tasks.sweep" not in enqueue_due()  # not again within the hour


def _ask_around_dosing(course, instrument, by):
    for kind in ("before_dosing", "after_dosing"):
        Assignment.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            course=course,
            instrument=instrument,
            schedule=kind,
            channel="sms",
            created_by=by,
        )


def test_booking_a_dosing_session_asks_the_before_questionnaire(
    phq9, active_course, nurse, prescriber, sms_outbox
):
    from kapcare.sessions.tests.conftest import schedule

    _ask_around_dosing(active_course, phq9, prescriber)
    session = schedule(active_course, nurse)
    before = Invitation.objects.get()
    assert before.occasion == f"before-dosing:dosing-{session.pk}"
    assert before.expires_at == session.planned_start  # no use once the session has begun
    assert len(sms_outbox) == 1


def test_completing_a_dosing_session_asks_the_day_after_questionnaire(phq9, active_course, nurse, prescriber):
    from kapcare.sessions.tests.conftest import schedule

    _ask_around_dosing(active_course, phq9, prescriber)
    session = schedule(active_course, nurse)
    ended = timezone.now()
    # What DosingSession.discharge calls once the patient has left.
    seams.dosing_session_completed(DosingSession.objects.get(pk=session.pk), ended)
    after = Invitation.objects.get(occasion__startswith="after-dosing")
    assert after.occasion == f"after-dosing:dosing-{session.pk}"
    assert after.due_at == ended + timedelta(days=1)


def test_asking_before_each_dosing_session_covers_sessions_already_booked(
    signed_in, nurse, phq9, patient, course, sms_outbox, monkeypatch
):
    import time_machine
    from django.urls import reverse

    from kapcare.measures import schedule

    now = timezone.now()
    booked = [("dosing-4", now - timedelta(hours=1)), ("dosing-5", now + timedelta(days=3))]
    offer = lambda for_course: booked if for_course == course else []  # noqa: E731
    monkeypatch.setattr(apps.get_app_config("dosing"), "measures_booked_sessions", offer, raising=False)
    signed_in(nurse).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": phq9.pk, "schedules": ["before_dosing"], "channel": "sms"},
    )
    (invitation,) = Invitation.objects.all()  # the session already begun is not asked about
    assert invitation.occasion == "before-dosing:dosing-5"
    assert invitation.due_at == booked[1][1] - timedelta(hours=24)
    assert invitation.expires_at == booked[1][1]
    assert sms_outbox == []  # not due for two days
    assert schedule.dosing_session_scheduled(course, "dosing-5", booked[1][1]) == []  # asked once
    with time_machine.travel(invitation.due_at + timedelta(minutes=5)):
        assert schedule.sweep()["sent"] == 1
    assert len(sms_outbox) == 1
