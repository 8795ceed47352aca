"""What the sessions app offers the measures engine: marks on outcome charts, and the sessions
booked before a 'before each dosing session' questionnaire was asked for."""

from datetime import timedelta

from django.utils import timezone

from kapcare.measures.schedule import booked_dosing_sessions
from kapcare.measures.trends import dosing_marks
from kapcare.sessions.models import DosingSession


def test_a_dosed_session_is_marked_on_the_patients_outcome_charts(dosed):
    dosed.refresh_from_db()
    assert dosing_marks(dosed.patient) == [(dosed.dosed_at, "Dosing session 1")]


def test_a_session_not_yet_dosed_is_not_marked(session):
    assert dosing_marks(session.patient) == []


def test_booked_sessions_are_those_scheduled_and_not_yet_begun(ready_patient, active_course, nurse):
    site = active_course.clinic.sites.get()

    def book(start):
        return DosingSession.schedule(
            active_course, site=site, room=site.rooms.first(), planned_start=start, by=nurse, route="iv",
            planned_mg_per_kg=0.5,
        )  # fmt: skip

    later = book(timezone.now() + timedelta(days=2))
    book(timezone.now() - timedelta(hours=1))  # already due
    assert booked_dosing_sessions(active_course) == [(f"dosing-{later.pk}", later.planned_start)]
