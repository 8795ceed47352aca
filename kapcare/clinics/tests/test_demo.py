"""`kapcare demo`: one clinic, two sites, staff of every role, about forty patients in every course state."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.clinics.roles import Role
from kapcare.patients.models import CourseState, Patient


@pytest.mark.django_db
def test_the_demo_clinic_has_every_role_and_every_course_state(capsys):
    call_command("demo")
    clinic = Clinic.objects.get(slug="demo")
    assert clinic.is_demo and clinic.sites.count() == 2
    assert all(site.rooms.exists() for site in clinic.sites.all())
    assert set(clinic.memberships.values_list("role", flat=True)) == set(Role.values)
    patients = Patient.objects.filter(clinic=clinic)
    assert 35 <= patients.count() <= 45
    assert set(clinic.courses.values_list("state", flat=True)) == set(CourseState.values)
    assert "prescriber@demo.kapcare.example" in capsys.readouterr().out


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing():
    call_command("demo")
    counts = (Patient.objects.count(), Clinic.objects.get(slug="demo").memberships.count())
    call_command("demo")
    assert (Patient.objects.count(), Clinic.objects.get(slug="demo").memberships.count()) == counts


@pytest.mark.django_db
def test_demo_courses_have_a_history_that_leads_to_their_state():
    call_command("demo")
    for course in Clinic.objects.get(slug="demo").courses.prefetch_related("transitions"):
        history = list(course.transitions.all())
        assert (history[-1].to_state if history else "evaluating") == course.state
        assert all(t.at >= course.opened_at for t in history)
