"""Staff stop a schedule or cancel one questionnaire (with a reason), and resend a link as a fresh
one; each is audited, and a cancelled or replaced link no longer opens."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.measures import links, schedule
from kapcare.measures.models import Assignment, AssignmentError, Invitation


@pytest.fixture
def weekly(phq9, patient, course, prescriber):
    return Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        course=course,
        instrument=phq9,
        schedule="weekly",
        channel="sms",
        created_by=prescriber,
    )


@pytest.fixture
def invitation(weekly):
    made = Invitation.objects.create(
        clinic=weekly.clinic,
        patient=weekly.patient,
        assignment=weekly,
        instrument=weekly.instrument,
        occasion="week-1",
        due_at=timezone.now(),
    )
    schedule.send(made)
    return made


def test_stopping_a_schedule_withdraws_its_waiting_links_and_makes_no_more(
    weekly, invitation, prescriber, sms_outbox
):
    token = links.token_for(invitation)
    assert weekly.cancel(by=prescriber, reason="Patient asked for fewer questionnaires") == 1
    weekly.refresh_from_db()
    assert not weekly.is_active and weekly.cancelled_by == prescriber
    assert schedule.sync(weekly) == []
    with pytest.raises(links.LinkError) as error:
        links.invitation_for(token)
    assert error.value.reason == "cancelled"
    event = AuditEvent.objects.filter(object_type="Assignment").last()
    assert event.detail == {
        "cancelled": True,
        "reason": "Patient asked for fewer questionnaires",
        "withdrawn": 1,
    }


def test_a_cancelled_questionnaire_gets_no_reminder(invitation, prescriber, sms_outbox):
    import time_machine

    invitation.cancel(by=prescriber, reason="Answered on paper at the visit")
    with time_machine.travel(invitation.sent_at + timezone.timedelta(days=2)):
        assert schedule.sweep()["reminded"] == 0
    assert len(sms_outbox) == 1  # only the first text


def test_cancelling_needs_a_reason_and_changes_nothing_without_one(invitation, prescriber):
    with pytest.raises(AssignmentError, match="Say why"):
        invitation.cancel(by=prescriber, reason="  ")
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


def test_the_database_refuses_a_cancellation_without_a_reason(invitation):
    with pytest.raises(IntegrityError):
        Invitation.objects.filter(pk=invitation.pk).update(cancelled_at=timezone.now())


def test_an_answered_questionnaire_cannot_be_cancelled(invitation, prescriber):
    Invitation.objects.filter(pk=invitation.pk).update(used_at=timezone.now())
    with pytest.raises(AssignmentError, match="already been answered"):
        invitation.cancel(by=prescriber, reason="Not needed")


def test_the_patient_who_opens_a_cancelled_link_is_told_it_was_withdrawn(client, invitation, prescriber):
    token = links.token_for(invitation)
    invitation.cancel(by=prescriber, reason="Duplicate")
    response = client.get(reverse("measures:answer", args=[token]))
    assert response.status_code == 410
    assert "withdrawn this questionnaire" in response.content.decode()


def test_resending_sends_a_fresh_link_and_the_old_one_stops_working(signed_in, nurse, invitation, sms_outbox):
    old = sms_outbox[0].body.rsplit("/q/", 1)[1].rstrip("/")  # the link the patient has
    assert links.invitation_for(old) == invitation
    Invitation.objects.filter(pk=invitation.pk).update(draft={"/44250-9": "LA6570-1"})
    response = signed_in(nurse).post(reverse("measures:invitation_resend", args=[invitation.pk]), follow=True)
    assert "A new link was sent by text message" in response.content.decode()
    assert len(sms_outbox) == 2
    new = sms_outbox[1].body.rsplit("/q/", 1)[1].rstrip("/")
    assert new != old
    with pytest.raises(links.LinkError):
        links.invitation_for(old)
    assert links.invitation_for(new).draft == {"/44250-9": "LA6570-1"}  # the answers so far are kept
    assert AuditEvent.objects.filter(object_type="Invitation", detail__resend="sms").count() == 1


def test_an_expired_link_is_not_resent(signed_in, nurse, invitation, sms_outbox):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = signed_in(nurse).post(reverse("measures:invitation_resend", args=[invitation.pk]), follow=True)
    assert "This link has expired" in response.content.decode()
    assert len(sms_outbox) == 1


def test_the_chart_offers_resend_cancel_and_stop(signed_in, nurse, invitation, weekly):
    body = (
        signed_in(nurse)
        .get(reverse("measures:panel", args=[invitation.patient_id]), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert reverse("measures:invitation_resend", args=[invitation.pk]) in body
    assert reverse("measures:invitation_cancel", args=[invitation.pk]) in body
    assert reverse("measures:assignment_cancel", args=[weekly.pk]) in body
    assert "Weekly during the course".lower() in body


def test_cancel_page_asks_for_the_reason_and_then_cancels(signed_in, nurse, invitation):
    client = signed_in(nurse)
    url = reverse("measures:invitation_cancel", args=[invitation.pk])
    assert "Why" in client.get(url).content.decode()
    response = client.post(url, {"reason": ""})
    assert "Say why it is cancelled" in response.content.decode()
    assert Invitation.objects.get().cancelled_at is None
    response = client.post(url, {"reason": "Entered on paper"})
    assert response.status_code == 302
    assert Invitation.objects.get().cancel_reason == "Entered on paper"


def test_stop_page_stops_the_schedule(signed_in, nurse, weekly, invitation):
    client = signed_in(nurse)
    response = client.post(
        reverse("measures:assignment_cancel", args=[weekly.pk]), {"reason": "Course paused"}, follow=True
    )
    assert "no longer asked. 1 waiting questionnaire withdrawn." in response.content.decode()
    assert Assignment.objects.get().cancel_reason == "Course paused"
    panel = client.get(reverse("measures:panel", args=[weekly.patient_id])).content.decode()
    assert reverse("measures:assignment_cancel", args=[weekly.pk]) not in panel
    assert reverse("measures:invitation_resend", args=[invitation.pk]) not in panel


def test_an_outsider_cannot_cancel_or_resend(signed_in, outsider, invitation, sms_outbox):
    client = signed_in(outsider)
    assert client.post(reverse("measures:invitation_resend", args=[invitation.pk])).status_code == 404
    url = reverse("measures:invitation_cancel", args=[invitation.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert Invitation.objects.get().cancelled_at is None and len(sms_outbox) == 1


def test_the_cancel_page_shows_the_due_date_in_the_clinics_time_zone(signed_in, nurse, invitation):
    import datetime

    # 03:00 UTC on Nov 27 is still Nov 26 in Boston.
    Invitation.objects.filter(pk=invitation.pk).update(
        due_at=datetime.datetime(2026, 11, 27, 3, 0, tzinfo=datetime.UTC)
    )
    body = signed_in(nurse).get(reverse("measures:invitation_cancel", args=[invitation.pk])).content.decode()
    assert "week-1, due Nov 26, 2026" in body
