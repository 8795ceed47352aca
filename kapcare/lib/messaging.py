"""Text messages and email to patients and visitors, behind small adapters.

`send_sms` goes through the backend named by settings.SMS_BACKEND:
- "kapcare.lib.messaging.FileSMS" (development default) appends to var/outbox/sms.jsonl;
- "kapcare.lib.messaging.MemorySMS" keeps messages in `outbox` (tests);
- "kapcare.lib.messaging.TwilioSMS" sends through Twilio (account settings from the environment).
Email goes through Django's mailers (SMTP in production, files under var/outbox in development).
Tests never reach the network: they replace the backend at this adapter.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string


@dataclass
class Sent:
    """What a backend did with one message: its id at the provider, and when."""

    to: str
    body: str
    provider_id: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class SMSError(Exception):
    """The provider refused or could not be reached; the message was not sent."""


class FileSMS:
    def send(self, to: str, body: str) -> Sent:
        outbox = Path(settings.VAR_DIR) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        sent = Sent(to=to, body=body, provider_id=f"file-{datetime.now(UTC).timestamp():.6f}")
        with open(outbox / "sms.jsonl", "a") as file:
            file.write(json.dumps(asdict(sent)) + "\n")
        return sent


outbox: list[Sent] = []


class MemorySMS:
    def send(self, to: str, body: str) -> Sent:
        sent = Sent(to=to, body=body, provider_id=f"memory-{len(outbox) + 1}")
        outbox.append(sent)
        return sent


class TwilioSMS:
    """Twilio's REST API; needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."""

    def send(self, to: str, body: str) -> Sent:
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        try:
            message = client.messages.create(to=to, from_=settings.TWILIO_FROM_NUMBER, body=body)
        except TwilioException as error:
            raise SMSError(str(error)) from error
        return Sent(to=to, body=body, provider_id=message.sid)


def send_sms(to: str, body: str) -> Sent:
    """Send a text to an E.164 number. Keep health information out of the body: texts are not private."""
    return import_string(settings.SMS_BACKEND)().send(to, body)


def send_email(to: str, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
