"""How leads arrive: from the website's forms, from inbound texts, and from calls staff log.

Each way in creates the lead and its first message in one transaction, audits it, and tells the
staff who work the inbox by an email that holds only a link: no name, no message, nothing about
anyone's health.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.roles import roles_for
from kapcare.leads import tasks
from kapcare.leads.models import Channel, Direction, Kind, Lead, LeadSettings, SmsOptOut, Status
from kapcare.lib import messaging


def create_lead(
    clinic, kind: str, *, request=None, message: str = "", channel=Channel.WEB, by=None, **fields
):
    """A new lead with what the person told us; `message` starts its thread."""
    with transaction.atomic():
        lead = Lead.objects.create(
            clinic=clinic, kind=kind, address=_address(request) if by is None else None, **fields
        )
        if message.strip():
            lead.messages.create(
                channel=channel,
                direction=Direction.INBOUND,
                body=message.strip(),
                by=by,
            )
        record(request, "create", lead, clinic=clinic.pk, actor=by, detail={"kind": kind})
        # Queued with the lead, in its transaction: the email goes when the lead exists, and a
        # slow mail server never holds up the visitor's page.
        path = reverse("leads:detail", kwargs={"pk": lead.pk})
        tasks.notify_staff.enqueue(lead.pk, request.build_absolute_uri(path) if request is not None else path)
    return lead


def receive_text(clinic, phone, body: str, *, provider_id: str = "", request=None) -> Lead:
    """An inbound text: threads onto the open lead with this number, or starts a new one."""
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update()
            .filter(clinic=clinic, phone=phone, status__in=(Status.NEW, Status.CONTACTED, Status.SCHEDULED))
            .order_by("-created_at")
            .first()
        )
        if lead is None:
            return create_lead(
                clinic,
                Kind.TEXT,
                request=request,
                message=body,
                channel=Channel.SMS,
                phone=phone,
                preferred_contact="text",
                text_consent_at=timezone.now(),
                text_consent_source="texted the clinic first",
            )
        lead.messages.create(
            channel=Channel.SMS, direction=Direction.INBOUND, body=body.strip(), provider_id=provider_id
        )
        if lead.text_consent_at is None:
            lead.text_consent_at, lead.text_consent_source = timezone.now(), "texted the clinic"
            lead.save(update_fields=["text_consent_at", "text_consent_source"])
        lead.touch()
        record(request, "update", lead, detail={"inbound": "sms"})
    return lead


def opt_out(clinic, phone, *, request=None) -> None:
    with transaction.atomic():
        SmsOptOut.objects.get_or_create(clinic=clinic, phone=phone)
        record(request, "update", clinic=clinic.pk, detail={"sms": "STOP"})


def opt_in(clinic, phone, *, request=None) -> None:
    with transaction.atomic():
        SmsOptOut.objects.filter(clinic=clinic, phone=phone).delete()
        record(request, "update", clinic=clinic.pk, detail={"sms": "START"})


def notify_staff(lead: Lead, link: str) -> int:
    """Tell the inbox's staff a lead arrived: a link only, since email is not a private channel."""
    if not LeadSettings.for_clinic(lead.clinic).notify_staff:
        return 0
    emails = list(
        lead.clinic.memberships.active()
        .filter(role__in=[role.value for role in roles_for("leads.manage")])
        .values_list("user__email", flat=True)
    )
    for email in emails:
        messaging.send_email(
            email,
            f"New lead at {lead.clinic.name}",
            f"A new lead arrived in the inbox. Sign in to read it:\n\n{link}\n",
        )
    return len(emails)


def _address(request):
    from kapcare.audit.trail import client_address

    return client_address(request) if request is not None else None
