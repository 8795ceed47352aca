"""A per-address limit on each public form, counted in the database so every web process agrees."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kapcare.audit.trail import client_address
from kapcare.website.models import Submission

WINDOW = timedelta(hours=1)


def allow(request, form: str) -> bool:
    """Count this post; False once the address has posted this form too often within the hour."""
    address = client_address(request)
    since = timezone.now() - WINDOW
    recent = Submission.objects.filter(form=form, address=address, at__gte=since).count()
    if recent >= settings.WEBSITE_FORM_LIMIT_PER_HOUR:
        return False
    Submission.objects.create(form=form, address=address)
    Submission.objects.filter(at__lt=since - WINDOW).delete()
    return True
