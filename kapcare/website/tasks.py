"""Background work for the public website, run by `kapcare worker`: the free guide's emails, so a
visitor's page never waits on a mail server."""

from django.core.mail import EmailMessage
from django.tasks import task

from kapcare.website.models import GuideRequest


def _ask(request_id: int):
    return GuideRequest.objects.select_related("clinic__website").filter(pk=request_id).first()


@task
def send_guide_confirmation(request_id: int, link: str) -> bool:
    """Ask the address to confirm (double opt-in) before the guide is sent."""
    ask = _ask(request_id)
    if ask is None or ask.confirmed_at:
        return False
    clinic = ask.clinic
    EmailMessage(
        subject=f"Confirm your email to get the guide from {clinic.name}",
        body=(
            f"Someone, hopefully you, asked {clinic.name} to send its guide to this address.\n\n"
            f"To get it, open this link and press Confirm:\n{link}\n\n"
            "If it was not you, ignore this email: nothing more will be sent.\n"
        ),
        to=[ask.email],
    ).send()
    return True


@task
def send_guide(request_id: int) -> bool:
    """The guide itself, to a confirmed address."""
    ask = _ask(request_id)
    if ask is None or not ask.confirmed_at:
        return False
    website = ask.clinic.website
    message = EmailMessage(
        subject=website.guide_title,
        body=(
            f"Here is the guide you asked for from {ask.clinic.name}.\n\n"
            "It is general information, not medical advice. In a crisis, call or text 988, or call 911.\n"
        ),
        to=[ask.email],
    )
    with website.guide_pdf.open("rb") as pdf:
        message.attach("guide.pdf", pdf.read(), "application/pdf")
    message.send()
    return True
