import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.leads.intake import create_lead
from kapcare.leads.models import CloseReason, Kind, Lead, LeadSettings, SmsOptOut, Status


def test_a_new_lead_emails_the_inbox_staff_a_link_and_nothing_about_the_person(clinic, intake, nurse):
    lead = create_lead(
        clinic,
        Kind.MESSAGE,
        message="My PTSD is getting worse",
        name="Wren Ashdown",
        email="wren@example.com",
    )
    assert [m.to for m in mail.outbox] == [[intake.email]]
    body = mail.outbox[0].subject + mail.outbox[0].body
    assert reverse("leads:detail", kwargs={"pk": lead.pk}) in body
    for secret in ("Wren", "Ashdown", "wren@example.com", "PTSD"):
        assert secret not in body


def test_the_inbox_lists_open_leads_of_the_clinic_only(signed_in, intake, lead, other_lead):
    response = signed_in(intake).get(reverse("leads:inbox"))
    assert "Wren Ashdown" in response.text
    assert "Hal Hillside" not in response.text


def test_the_inbox_marks_a_new_lead_older_than_the_response_target_overdue(signed_in, intake, lead):
    LeadSettings.objects.update_or_create(clinic=lead.clinic, defaults={"response_target_hours": 2})
    assert "Overdue" not in signed_in(intake).get(reverse("leads:inbox")).text
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert "Overdue" in signed_in(intake).get(reverse("leads:inbox")).text


def test_the_inbox_filters_by_type_and_search(signed_in, intake, clinic, lead):
    create_lead(clinic, Kind.GUIDE, email="reader@example.com")
    client = signed_in(intake)
    text = client.get(reverse("leads:inbox"), {"kind": "guide"}).text
    assert "reader@example.com" in text and "Wren Ashdown" not in text
    text = client.get(reverse("leads:inbox"), {"q": "nothing has helped"}).text
    assert "Wren Ashdown" in text and "reader@example.com" not in text


def test_the_inbox_query_count_does_not_grow_with_the_number_of_leads(signed_in, intake, clinic, lead):
    client = signed_in(intake)
    client.get(reverse("leads:inbox"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("leads:inbox"))
    for n in range(30):
        create_lead(clinic, Kind.MESSAGE, message=f"hello {n}", name=f"Visitor {n}", assignee=intake)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("leads:inbox"))
    assert len(many) == len(few)


def test_reading_a_lead_is_audited(signed_in, intake, lead):
    signed_in(intake).get(reverse("leads:detail", kwargs={"pk": lead.pk}))
    event = AuditEvent.objects.filter(action="view", object_type="Lead").get()
    assert event.object_id == str(lead.pk) and event.actor == intake.email


def test_another_clinic_gets_404_for_a_lead(signed_in, outsider, lead):
    assert signed_in(outsider).get(reverse("leads:detail", kwargs={"pk": lead.pk})).status_code == 404


def test_a_nurse_may_not_open_the_inbox(signed_in, nurse, lead):
    assert signed_in(nurse).get(reverse("leads:detail", kwargs={"pk": lead.pk})).status_code == 403


def test_replying_by_email_sends_it_keeps_it_in_the_thread_and_marks_the_lead_contacted(
    signed_in, intake, lead
):
    response = signed_in(intake).post(
        reverse("leads:reply", kwargs={"pk": lead.pk}),
        {"channel": "email", "subject": "Your question", "body": "Thank you for writing. Could we call you?"},
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["wren@example.com"]
    lead.refresh_from_db()
    assert lead.status == Status.CONTACTED and lead.first_response_at is not None
    assert lead.messages.filter(direction="out", channel="email", by=intake).exists()


def test_a_text_reply_is_refused_without_consent_to_text(signed_in, intake, lead, sms_outbox):
    signed_in(intake).post(reverse("leads:reply", kwargs={"pk": lead.pk}), {"channel": "sms", "body": "Hi"})
    assert sms_outbox == []
    assert not lead.messages.filter(direction="out").exists()


def test_a_text_reply_goes_through_the_sms_adapter_when_consented(signed_in, intake, lead, sms_outbox):
    Lead.objects.filter(pk=lead.pk).update(text_consent_at=timezone.now())
    signed_in(intake).post(
        reverse("leads:reply", kwargs={"pk": lead.pk}), {"channel": "sms", "body": "Hi, it is the clinic"}
    )
    assert [(s.to, s.body) for s in sms_outbox] == [("+16175550177", "Hi, it is the clinic")]


def test_no_text_goes_to_a_number_that_texted_stop(signed_in, intake, lead, sms_outbox):
    Lead.objects.filter(pk=lead.pk).update(text_consent_at=timezone.now())
    SmsOptOut.objects.create(clinic=lead.clinic, phone=lead.phone)
    response = signed_in(intake).post(
        reverse("leads:reply", kwargs={"pk": lead.pk}), {"channel": "sms", "body": "Hi"}, follow=True
    )
    assert sms_outbox == []
    assert "texted STOP" in response.text


def test_an_empty_reply_changes_nothing_and_says_why(signed_in, intake, lead):
    mail.outbox.clear()  # the staff notification of the new lead
    response = signed_in(intake).post(
        reverse("leads:reply", kwargs={"pk": lead.pk}), {"channel": "email", "body": ""}, follow=True
    )
    assert "This field is required" in response.text
    assert mail.outbox == [] and lead.messages.count() == 1


def test_staff_assign_and_note_a_lead(signed_in, intake, prescriber, lead):
    client = signed_in(intake)
    client.post(reverse("leads:assign", kwargs={"pk": lead.pk}), {"assignee": prescriber.pk})
    client.post(
        reverse("leads:note", kwargs={"pk": lead.pk}), {"text": "Asked about cost; call back Tuesday"}
    )
    lead.refresh_from_db()
    assert lead.assignee == prescriber
    assert lead.messages.filter(channel="note", body__contains="call back Tuesday").exists()


def test_a_lead_cannot_be_assigned_to_someone_outside_the_inbox(signed_in, intake, nurse, outsider, lead):
    client = signed_in(intake)
    for person in (nurse, outsider):
        client.post(reverse("leads:assign", kwargs={"pk": lead.pk}), {"assignee": person.pk})
    lead.refresh_from_db()
    assert lead.assignee is None


def test_closing_a_lead_needs_a_reason(signed_in, intake, lead):
    client = signed_in(intake)
    client.post(reverse("leads:status", kwargs={"pk": lead.pk}), {"status": "closed"})
    lead.refresh_from_db()
    assert lead.status == Status.NEW
    client.post(reverse("leads:status", kwargs={"pk": lead.pk}), {"status": "closed", "reason": "declined"})
    lead.refresh_from_db()
    assert (lead.status, lead.close_reason) == (Status.CLOSED, CloseReason.DECLINED)


def test_a_flood_of_spam_is_closed_in_one_step_and_the_real_lead_stays_open(signed_in, intake, clinic, lead):
    Lead.objects.bulk_create(
        Lead(clinic=clinic, kind=Kind.MESSAGE, name="Cheap pills", email=f"bot{n}@spam.example")
        for n in range(1000)
    )
    client = signed_in(intake)
    asked = client.post(
        reverse("leads:bulk_close"), {"scope": "matching", "filter": "q=spam.example", "reason": "spam"}
    )
    assert "Close 1000 open leads?" in asked.text
    assert not Lead.objects.filter(status=Status.CLOSED).exists()
    upto = re.search(r'name="upto" value="(\d+)"', asked.text).group(1)
    response = client.post(
        reverse("leads:bulk_close"),
        {"scope": "matching", "filter": "q=spam.example", "reason": "spam", "upto": upto},
        follow=True,
    )
    assert "Closed 1000 leads as spam" in response.text
    assert Lead.objects.filter(status=Status.CLOSED, close_reason="spam").count() == 1000
    lead.refresh_from_db()
    assert lead.status == Status.NEW
    assert "Wren Ashdown" in client.get(reverse("leads:inbox")).text


def test_bulk_close_of_ticked_leads_ignores_another_clinics_leads(signed_in, intake, lead, other_lead):
    signed_in(intake).post(
        reverse("leads:bulk_close"), {"scope": "selected", "lead": [lead.pk, other_lead.pk], "reason": "spam"}
    )
    lead.refresh_from_db(), other_lead.refresh_from_db()
    assert lead.status == Status.CLOSED and other_lead.status == Status.NEW


def test_staff_log_a_call_as_a_lead(signed_in, intake):
    response = signed_in(intake).post(
        reverse("leads:log_call"),
        {
            "name": "Juno Marsh",
            "phone": "617 555 0190",
            "notes": "Asked whether we take Medicare",
            "text_consent": "on",
        },
    )
    lead = Lead.objects.get(kind=Kind.CALL)
    assert response.status_code == 302
    assert (lead.name, str(lead.phone), lead.assignee) == ("Juno Marsh", "+16175550190", intake)
    assert lead.text_consent_at is not None
    assert lead.messages.get().channel == "call"


def test_a_call_without_any_way_to_answer_is_refused(signed_in, intake):
    response = signed_in(intake).post(reverse("leads:log_call"), {"name": "Juno", "notes": "Hung up"})
    assert "Give a phone number or an email address" in response.text
    assert not Lead.objects.exists()


def test_an_admin_sets_the_response_target(signed_in, admin, intake, clinic):
    signed_in(admin).post(reverse("leads:settings"), {"response_target_hours": 4, "notify_staff": "on"})
    assert LeadSettings.objects.get(clinic=clinic).response_target_hours == 4
    response = signed_in(admin).post(reverse("leads:settings"), {"response_target_hours": 0})
    assert "Choose between 1 hour" in response.text
    assert LeadSettings.objects.get(clinic=clinic).response_target_hours == 4


@pytest.mark.parametrize("user", ["intake", "admin"])
def test_card_photos_are_served_only_through_the_inbox(request, signed_in, clinic, user):
    from kapcare.leads.tests.role_matrix import a_lead

    pk = a_lead({"clinic": clinic})["pk"]
    response = signed_in(request.getfixturevalue(user)).get(
        reverse("leads:card", kwargs={"pk": pk, "side": "front"})
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Cache-Control"] == "private, no-store"


def test_closing_all_matching_asks_first_and_spares_leads_that_arrive_meanwhile(signed_in, intake, clinic):
    for n in range(3):
        Lead.objects.create(clinic=clinic, kind=Kind.MESSAGE, name=f"Bot {n}", email=f"bot{n}@spam.example")
    client = signed_in(intake)
    asked = client.post(
        reverse("leads:bulk_close"), {"scope": "matching", "filter": "q=spam.example", "reason": "spam"}
    )
    assert "Close 3 open leads?" in asked.text and "Bot 2" in asked.text
    upto = re.search(r'name="upto" value="(\d+)"', asked.text).group(1)
    late = Lead.objects.create(clinic=clinic, kind=Kind.MESSAGE, name="Real person", email="me@spam.example")
    client.post(
        reverse("leads:bulk_close"),
        {"scope": "matching", "filter": "q=spam.example", "reason": "spam", "upto": upto},
    )
    assert Lead.objects.filter(status=Status.CLOSED).count() == 3
    late.refresh_from_db()
    assert late.status == Status.NEW


def test_the_staff_email_is_queued_with_the_lead_and_sent_by_the_worker(client, clinic, intake, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.post(
        reverse("website:contact"),
        {
            "name": "Wren Ashdown",
            "email": "wren@example.com",
            "preferred_contact": "email",
            "message": "Hello",
        },
    )
    assert mail.outbox == []  # the visitor's page did not wait on the mail server
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "kapcare.leads.tasks.notify_staff"
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    assert [m.to for m in mail.outbox] == [[intake.email]]
    assert mail.outbox[0].body.count("http://testserver/staff/leads/") == 1
