from django.conf import settings


def portal(request):
    """The signed-in patient and their clinic for the portal's layout; nothing outside /portal/."""
    if not request.path.startswith("/portal/"):
        return {}
    patient = getattr(request, "portal_patient", None)
    return {
        "portal_patient": patient,
        "portal_clinic": patient.clinic if patient else None,
        "portal_idle_minutes": settings.PORTAL_IDLE_MINUTES,
        "link_minutes": settings.PORTAL_LINK_MINUTES,
    }
