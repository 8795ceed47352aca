"""The clinic's public website."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from kapcare.clinics.models import Clinic


def public_clinic():
    """The clinic this site speaks for: the first one, which is the only one in most installs."""
    return Clinic.objects.prefetch_related("sites").order_by("pk").first()


@require_safe
def home(request):
    return render(request, "website/home.html", {"public_clinic": public_clinic()})
