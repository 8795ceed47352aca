"""Signing a patient in by a link sent by email or text: no password to forget.

The patient gives their email or mobile number and their date of birth. Whatever they give, the
answer on screen is the same, so the form never tells a stranger whether someone is a patient.
A link goes only to a patient whose contact and date of birth both match; a wrong date of birth
counts against that patient, and after the same number of failures as staff sign-in
(AXES_FAILURE_LIMIT within AXES_COOLOFF_TIME) sign-in by link pauses for them and they are told
on their own email or phone. Links are signed, short-lived (PORTAL_LINK_MINUTES) and single-use.
"""

from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.lib.messaging import send_email, send_sms
from kapcare.patients.models import Patient
from kapcare.patients.portal_access import actor_for
from kapcare.portal.models import LinkChannel, SignInFailure, SignInLink

SALT = "kapcare.portal.signin-link"


class ContactError(ValueError):
    """What the patient typed is neither an email address nor a phone number."""


@dataclass
class Contact:
    channel: str
    value: str


def read_contact(text: str) -> Contact:
    text = text.strip()
    if "@" in text:
        return Contact(LinkChannel.EMAIL, text.lower())
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactError("Enter your email address, or your mobile number with its area code.")
    return Contact(LinkChannel.SMS, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def cooloff() -> timedelta:
    return timedelta(hours=settings.AXES_COOLOFF_TIME)


def is_locked(patient) -> bool:
    since = timezone.now() - cooloff()
    return SignInFailure.objects.filter(patient=patient, at__gte=since).count() >= settings.AXES_FAILURE_LIMIT


def too_many_open_links(patient) -> bool:
    """A cap on links waiting to be used, so nobody can flood a patient's phone with texts."""
    waiting = SignInLink.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=timezone.now())
    return waiting.count() >= settings.PORTAL_MAX_OPEN_LINKS


def request_links(request, contact: Contact, date_of_birth) -> None:
    """Send a sign-in link to each patient with this contact and date of birth; count the misses."""
    field = "email__iexact" if contact.channel == LinkChannel.EMAIL else "phone"
    patients = list(Patient.objects.select_related("clinic").filter(**{field: contact.value}))
    if not patients:
        record(request, "sign_in_failed", detail={"portal": True, "reason": "no patient with this contact"})
    for patient in patients:
        if patient.date_of_birth != date_of_birth:
            fail(request, patient, contact)
        elif is_locked(patient):
            audit(request, "sign_in_failed", patient, reason="locked: link not sent")
        elif too_many_open_links(patient):
            audit(request, "sign_in_failed", patient, reason="too many open links: link not sent")
        else:
            send_link(request, patient, contact)


def audit(request, action, patient, **detail):
    request.audit_role = "patient"
    record(
        request,
        action,
        patient=patient,
        clinic=patient.clinic_id,
        actor=actor_for(patient),
        detail={"portal": True, **detail},
    )


def fail(request, patient, contact: Contact) -> None:
    with transaction.atomic():
        SignInFailure.objects.create(patient=patient)
        audit(request, "sign_in_failed", patient, reason="date of birth did not match")
        # Tell the patient once, when the lock starts, on the contact that was typed (theirs).
        since = timezone.now() - cooloff()
        failures = SignInFailure.objects.filter(patient=patient, at__gte=since).count()
        if failures == settings.AXES_FAILURE_LIMIT:
            audit(request, "security", patient, event="portal sign-in locked")
            minutes = int(cooloff().total_seconds() // 60)
            text = (
                f"{patient.clinic.name}: someone tried several times to sign in to your patient portal "
                f"with the wrong date of birth, so sign-in is paused for {minutes} minutes. "
                "If this was not you, call the clinic."
            )
            deliver(contact, "Sign-in to your patient portal is paused", text)


def send_link(request, patient, contact: Contact) -> SignInLink:
    with transaction.atomic():
        link = SignInLink.objects.create(
            clinic_id=patient.clinic_id, patient=patient, channel=contact.channel
        )
        audit(request, "security", patient, event="portal sign-in link sent", channel=contact.channel)
    url = request.build_absolute_uri(reverse("portal:link", args=[token_for(link)]))
    minutes = settings.PORTAL_LINK_MINUTES
    # No health information in the message: texts and email are not private.
    text = (
        f"{patient.clinic.name}: your link to sign in to your patient portal. It works once, "
        f"for {minutes} minutes:\n{url}\n\nIf you did not ask for it, you can ignore this message."
    )
    deliver(contact, f"Your sign-in link for {patient.clinic.name}", text)
    return link


def deliver(contact: Contact, subject: str, text: str) -> None:
    if contact.channel == LinkChannel.EMAIL:
        send_email(contact.value, subject, text)
    else:
        send_sms(contact.value, text)


def token_for(link: SignInLink) -> str:
    return signing.dumps({"link": link.pk}, salt=SALT, compress=True)


class LinkError(Exception):
    """Why a link does not sign anyone in, said so the patient knows what to do next."""


INVALID = "This sign-in link is not valid. Check that you opened the whole link, or ask for a new one."
EXPIRED = "This sign-in link has expired. Links work for {minutes} minutes: ask for a new one."
USED = "This sign-in link has already been used. Each link works once: ask for a new one."
LOCKED = (
    "Sign-in is paused for a while after several attempts with the wrong date of birth. "
    "Try again later, or call the clinic."
)


def find_link(request, token: str) -> SignInLink:
    """The link the token names, if it can still sign someone in; LinkError says why not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.PORTAL_LINK_MINUTES * 60)
        link = SignInLink.objects.select_related("patient__clinic").get(pk=data["link"])
    except signing.SignatureExpired:
        link = None
        error = EXPIRED
    except (signing.BadSignature, SignInLink.DoesNotExist, KeyError, TypeError):
        record(request, "sign_in_failed", detail={"portal": True, "reason": "tampered or unknown link"})
        raise LinkError(INVALID) from None
    else:
        error = None
        if link.used_at is not None:
            error = USED
        elif link.expires_at <= timezone.now():
            error = EXPIRED
        elif is_locked(link.patient):
            error = LOCKED
    if error:
        if link is not None:
            audit(request, "sign_in_failed", link.patient, reason=error.split(".")[0])
        else:
            record(request, "sign_in_failed", detail={"portal": True, "reason": "expired link"})
        raise LinkError(error.format(minutes=settings.PORTAL_LINK_MINUTES))
    return link


def use_link(request, token: str):
    """Spend the link and return its patient; a link spent by someone else meanwhile is refused."""
    link = find_link(request, token)
    with transaction.atomic():
        spent = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
        if spent != 1:
            raise LinkError(USED)
        SignInFailure.objects.filter(patient=link.patient).delete()
        audit(request, "sign_in", link.patient, channel=link.channel)
    return link.patient
