from django.conf import settings


def kapcare(request):
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "clinic": membership.clinic if membership else None,
        "demo_mode": settings.DEMO_MODE,
        "idle_minutes": settings.IDLE_MINUTES,
    }
