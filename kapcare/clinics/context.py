from django.conf import settings

from kapcare.clinics.staff_app import staff_nav


def kapcare(request):
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "clinic": membership.clinic if membership else None,
        "demo_mode": settings.DEMO_MODE,
        "idle_minutes": settings.IDLE_MINUTES,
        "staff_nav": staff_nav(request) if membership else [],
    }
