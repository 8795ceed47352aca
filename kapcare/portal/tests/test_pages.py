"""Every portal page is audited with the patient as actor, shows the not-monitored line with crisis
numbers, and issues a bounded number of queries; other apps add sections through portal_panels."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.patients.consent import ConsentDocument
from kapcare.patients.preparation import PreparationConfirmation

CRISIS = ["not watched in real time", 'href="tel:988"', 'href="tel:911"']


@pytest.mark.parametrize("name", ["portal:home", "portal:preparation", "portal:consent"])
def test_a_portal_page_is_audited_with_the_patient_as_actor(portal, patient, kap_consent, name):
    url = reverse(name, args=["kap"]) if name == "portal:consent" else reverse(name)
    assert portal.get(url).status_code == 200
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.patient_id, event.clinic_id, event.role) == (patient.pk, patient.clinic_id, "patient")
    assert event.actor == f"patient {patient.pk}" and event.actor_id is None
    assert event.detail["page"] == name


@pytest.mark.parametrize("name", ["portal:signin", "portal:home", "portal:preparation"])
def test_every_portal_page_says_it_is_not_watched_and_shows_crisis_numbers(portal, name):
    page = portal.get(reverse(name), follow=True).content.decode()
    for text in CRISIS:
        assert text in page


def test_the_link_error_page_shows_crisis_numbers(client, db):
    page = client.get(reverse("portal:link", args=["garbage"])).content.decode()
    for text in CRISIS:
        assert text in page


def test_pages_need_a_portal_sign_in(client, kap_consent):
    for url in [
        reverse("portal:home"),
        reverse("portal:preparation"),
        reverse("portal:consent", args=["kap"]),
    ]:
        assert client.get(url)["Location"] == reverse("portal:signin")
    assert not AuditEvent.objects.filter(action="view").exists()


def test_the_home_page_says_where_the_course_is_and_what_comes_next(portal, course):
    page = portal.get(reverse("portal:home")).content.decode()
    assert "Evaluating" in page and "Your care team is getting to know you" in page


def test_the_home_page_without_a_course_says_so(portal):
    assert "has not opened a course" in portal.get(reverse("portal:home")).content.decode()


def test_the_home_page_lists_documents_to_sign(portal, kap_consent, part2_consent):
    page = portal.get(reverse("portal:home")).content.decode()
    assert "Informed consent for ketamine-assisted psychotherapy" in page and "Read and sign" in page
    assert "Your choice: your care does not depend on signing it." in page


def test_the_home_page_query_count_does_not_grow_with_history(portal, patient, course, prescriber, clinic):
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    ConsentDocument.publish(clinic, "kap", "Consent", "Text.")
    url = reverse("portal:home")
    with CaptureQueriesContext(connection) as before:
        portal.get(url)
    for version in range(2, 6):
        document = ConsentDocument.publish(clinic, "kap", "Consent", f"Text {version}.")
        document.sign(
            patient,
            typed_name=patient.legal_name,
            shown_version=version,
            shown_sha256=document.sha256,
            channel="portal",
        )
    for day in range(1, 6):
        PreparationConfirmation.confirm(patient, __import__("datetime").date(2026, 1, day), course=course)
    with CaptureQueriesContext(connection) as after:
        assert portal.get(url).status_code == 200
    assert len(after) == len(before) <= 20


def test_other_apps_add_sections_to_the_home_page_through_portal_panels(portal, monkeypatch):
    config = apps.get_app_config("portal")
    monkeypatch.setattr(config, "portal_panels", ["portal:preparation"], raising=False)
    page = portal.get(reverse("portal:home")).content.decode()
    assert f'hx-get="{reverse("portal:preparation")}"' in page


def test_a_portal_page_uses_no_inline_script_or_style(portal, kap_consent, course):
    for url in [
        reverse("portal:home"),
        reverse("portal:consent", args=["kap"]),
        reverse("portal:preparation"),
    ]:
        page = portal.get(url).content.decode()
        assert "<script>" not in page and " style=" not in page and "<style" not in page


def test_the_home_page_shows_the_next_dosing_sessions_and_what_to_do_the_day_before(
    portal, patient, course, prescriber, clinic
):
    from datetime import timedelta

    from django.utils import timezone

    from kapcare.clinics.models import Protocol
    from kapcare.sessions.models import DosingSession

    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    site = clinic.sites.first()
    when = timezone.localtime(timezone.now() + timedelta(days=3)).replace(hour=9, minute=30)
    for number, start in [(1, when), (2, timezone.now() - timedelta(days=2))]:
        DosingSession.objects.create(
            clinic=clinic,
            patient=patient,
            course=course,
            number=number,
            site=site,
            route="iv",
            planned_start=start,
            protocol=Protocol.active_for(clinic),
        )
    page = portal.get(reverse("portal:home")).content.decode()
    assert "Your next dosing sessions" in page
    assert f"{when:%A %B} {when.day}, 9:30 AM" in page and site.name in page
    day_before = when.date() - timedelta(days=1)
    assert f"on {day_before:%A %B} {day_before.day}, confirm your" in page
    assert page.count("confirm your <a") == 1  # the past session is not listed
