"""The demo's dosing sessions: booked ahead for active courses as staff book them, so the portal
and the questionnaire schedule have upcoming sessions to show."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.sessions.models import DosingSession


@pytest.mark.django_db
def test_the_demo_books_the_next_session_of_active_courses_through_the_real_booking():
    call_command("demo")
    ahead = DosingSession.objects.filter(state="scheduled", planned_start__gt=timezone.now())
    assert ahead.exists()
    for session in ahead:
        assert session.course.state == "active"
        assert (
            session.planned_start
            > session.course.dosing_sessions.exclude(pk=session.pk).latest("planned_start").planned_start
        )
        # Booked by DosingSession.schedule: audited as staff bookings are.
        assert AuditEvent.objects.filter(
            object_type="DosingSession", object_id=str(session.pk), action="create"
        )
    count = ahead.count()
    call_command("demo")
    assert DosingSession.objects.filter(state="scheduled", planned_start__gt=timezone.now()).count() == count


@pytest.mark.django_db
def test_the_demo_has_a_course_at_home_as_its_signed_plan_allows_in_progress_and_booked():
    from kapcare.evaluation.models import TreatmentPlan
    from kapcare.sessions import seams
    from kapcare.sessions.board import site_board
    from kapcare.sessions.scheduling import address_on_file

    call_command("demo")
    home = list(DosingSession.objects.filter(setting="home").select_related("patient", "site"))
    live = [s for s in home if s.state == "monitoring"]
    ahead = [s for s in home if s.state == "scheduled" and s.planned_start > timezone.now()]
    assert len(live) == 1 and len(ahead) == 1
    for session in home:
        plan = TreatmentPlan.objects.get(course=session.course)
        assert plan.at_home_allowed
        discharged = session.course.dosing_sessions.filter(
            setting="clinic", state="discharged", planned_start__lt=session.planned_start
        )
        assert discharged.count() >= plan.at_home_after_sessions
        assert session.route == plan.route and session.room_id is None
        assert session.home_address and session.home_address == address_on_file(session.patient)
        assert seams.at_home_consent_current(session.patient).ok
        # Booked through DosingSession.schedule: audited, with the address, as staff bookings are.
        created = AuditEvent.objects.get(
            object_type="DosingSession", object_id=str(session.pk), action="create"
        )
        assert created.detail["setting"] == "home" and created.detail["home_address"] == session.home_address
    (session,) = live
    assert session.prechecks.get(kind="at_home_consent").passed
    assert session.dosed_at is not None
    # What a home cuff measures: blood pressure and pulse.
    assert session.vitals.exclude(systolic=None).exists() and not session.vitals.exclude(spo2=None).exists()
    rows = site_board(session.site, timezone.now())
    assert session.pk in [row.session.pk for row in rows]


@pytest.mark.django_db
def test_the_demo_records_pregnancy_as_not_applicable_where_the_pre_check_would():
    from kapcare.sessions.models import CheckKind, PreCheck
    from kapcare.sessions.prechecks import pregnancy_relevant

    call_command("demo")
    checks = PreCheck.objects.filter(kind=CheckKind.PREGNANCY).select_related("session__patient")
    assert {pregnancy_relevant(c.session.patient) for c in checks} == {True, False}
    for check in checks:
        expected = "Test negative today." if pregnancy_relevant(check.session.patient) else "Not applicable."
        assert check.detail == expected


@pytest.mark.django_db
def test_a_demo_checklist_pre_check_passed_only_where_the_patient_confirmed_that_day():
    """The chart's preparation checklist and the session's pre-check must tell the same story."""
    from kapcare.sessions import seams
    from kapcare.sessions.models import CheckKind, PreCheck

    call_command("demo")
    checks = PreCheck.objects.filter(kind=CheckKind.CHECKLIST).select_related(
        "session__patient", "session__site"
    )
    assert checks.exists()
    for check in checks:
        day = timezone.localdate(check.checked_at, check.session.site_zone)
        found = seams.checklist_confirmed(check.session.patient, day)
        assert (check.passed, check.detail) == (found.ok, found.detail), check.session


@pytest.mark.django_db
def test_the_demos_sessions_fit_their_courses_a_completed_one_done_a_stopped_one_part_way():
    from kapcare.evaluation.models import TreatmentPlan

    call_command("demo")
    seen = set()
    for plan in TreatmentPlan.objects.select_related("course"):
        course = plan.course
        ended = (
            course.transitions.filter(to_state__in=["completed", "paused", "withdrawn"]).order_by("at").last()
        )
        sessions = DosingSession.objects.filter(course=course)
        if ended is not None:
            assert not sessions.filter(planned_start__gt=ended.at).exists(), f"a session after {course} ended"
        done = sessions.filter(state="discharged").count()
        if course.state == "completed":
            assert done == plan.dosing_sessions, course
        elif course.state in ("paused", "withdrawn"):
            assert 0 < done < plan.dosing_sessions, course
        seen.add(course.state)
    assert {"completed", "paused", "withdrawn"} <= seen


@pytest.mark.django_db
def test_the_demos_sessions_follow_their_courses_treatment_plans():
    from kapcare.evaluation.models import TreatmentPlan
    from kapcare.sessions.models.dose import mg

    call_command("demo")
    plans = {plan.course_id: plan for plan in TreatmentPlan.objects.all()}
    sessions = list(DosingSession.objects.select_related("course").prefetch_related("administrations"))
    assert sessions
    for session in sessions:
        plan = plans[session.course_id]
        where = f"course {session.course_id}, session {session.number}"
        assert 1 <= session.number <= plan.dosing_sessions, where
        assert session.medication == plan.medication, where
        assert session.plan_ref == plan.pk, where
        assert session.route == plan.route, where
        if plan.dose_unit == "mg/kg":
            assert (session.planned_mg_per_kg, session.planned_dose_mg) == (plan.dose_amount, None), where
        else:
            assert (session.planned_dose_mg, session.planned_mg_per_kg) == (plan.dose_amount, None), where
        for given in session.administrations.all():
            expected = (
                mg(plan.dose_amount * session.weight_kg) if plan.dose_unit == "mg/kg" else mg(plan.dose_mg)
            )
            assert (given.route, given.amount_mg) == (plan.route, expected), where
    numbers = [(s.course_id, s.number) for s in sessions]
    assert len(numbers) == len(set(numbers))


@pytest.mark.django_db
def test_the_demos_sessions_in_progress_today_are_booked_through_the_real_booking():
    from kapcare.sessions.models.session import ACTIVE_STATES

    call_command("demo")
    today = DosingSession.objects.filter(state__in=ACTIVE_STATES)
    assert today.count() == 4
    for session in today:
        created = AuditEvent.objects.get(
            object_type="DosingSession", object_id=str(session.pk), action="create"
        )
        assert created.actor_id == session.created_by_id


@pytest.mark.django_db
def test_every_demo_esketamine_session_sits_on_an_esketamine_plan_of_its_own_course():
    from kapcare.evaluation.models import TreatmentPlan

    call_command("demo")
    spravato = list(DosingSession.objects.filter(medication="esketamine").select_related("rems"))
    assert spravato, "the demo has a Spravato session"
    for session in spravato:
        plan = TreatmentPlan.objects.get(course=session.course_id)
        assert plan.is_esketamine and (plan.route, plan.dose_mg) == ("intranasal", 56)
        assert not plan.at_home_allowed and plan.iv_equivalent_mg is None
        assert session.setting == "clinic"
    # Its course gives nothing else: no racemic ketamine on an esketamine plan.
    plans = TreatmentPlan.objects.filter(medication="esketamine").values_list("course_id", flat=True)
    assert not DosingSession.objects.filter(course_id__in=plans, medication="ketamine").exists()
    (discharged,) = [s for s in spravato if s.state == "discharged"]
    assert discharged.rems.dose == "56" and discharged.rems.submitted_at is None


@pytest.mark.django_db
def test_the_demo_has_home_readings_outside_any_session_before_the_course_began():
    from kapcare.sessions.models import VitalSign

    call_command("demo")
    home = VitalSign.objects.filter(session__isnull=True)
    assert home.count() == 4
    patient = home.first().patient
    assert {reading.patient_id for reading in home} == {patient.pk}
    course_began = min(
        t.at for course in patient.courses.all() for t in course.transitions.filter(to_state="active")
    )
    assert all(reading.taken_at < course_began for reading in home)
    assert all(not reading.date_only and reading.systolic and reading.diastolic for reading in home)
