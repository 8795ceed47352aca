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
        assert session.planned_start > session.course.dosing_sessions.exclude(pk=session.pk).latest(
            "planned_start"
        ).planned_start
        # Booked by DosingSession.schedule: audited as staff bookings are.
        assert AuditEvent.objects.filter(object_type="DosingSession", object_id=str(session.pk), action="create")
    count = ahead.count()
    call_command("demo")
    assert DosingSession.objects.filter(state="scheduled", planned_start__gt=timezone.now()).count() == count
