"""Secure questionnaire links: signed, single use and expiring.

The token signs the invitation's id and a random nonce kept in the database, so a link cannot be
guessed or altered, and a link is only as good as its invitation: it stops working once the
questionnaire is answered or the invitation expires.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from kapcare.measures.models import Invitation

SALT = "kapcare.measures.link"


class LinkError(Exception):
    """The link cannot be used; `reason` is "invalid", "expired", "used" or "cancelled"."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        self.reason, self.invitation = reason, invitation
        super().__init__(reason)


def token_for(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT, compress=True)


def url_for(invitation: Invitation) -> str:
    return settings.MEASURES_BASE_URL.rstrip("/") + reverse("measures:answer", args=[token_for(invitation)])


def invitation_for(token: str) -> Invitation:
    """The invitation a link opens, or LinkError saying why it cannot be used."""
    max_age = settings.MEASURES_LINK_DAYS * 86400 * 2  # the database's expires_at is the real limit
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    invitation = (
        Invitation.objects.select_related("instrument", "patient__clinic", "assignment")
        .filter(pk=data.get("i"), nonce=data.get("n"))
        .first()
    )
    if invitation is None:
        raise LinkError("invalid")
    if invitation.is_used:
        raise LinkError("used", invitation)
    if invitation.is_cancelled:
        raise LinkError("cancelled", invitation)
    if invitation.is_expired:
        raise LinkError("expired", invitation)
    return invitation
