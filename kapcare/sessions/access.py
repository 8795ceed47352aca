from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user
from kapcare.clinics.models import Site
from kapcare.sessions.models import Alert, DosingSession


def sessions_for(request):
    return DosingSession.objects.select_related("patient", "site", "room", "protocol", "course")


def get_session_for_user(request, pk) -> DosingSession:
    """The session, if in the member's clinic (else 404) and the role allows (else 403); audited."""
    session = get_object_for_user(request, sessions_for(request), pk=pk)
    if request.method == "GET":
        record(request, "view", session)
    return session


def get_alert_for_user(request, pk) -> Alert:
    return get_object_for_user(request, Alert.objects.select_related("session"), pk=pk)


def get_site_for_user(request, pk) -> Site:
    return get_object_for_user(request, Site.objects.filter(is_active=True), pk=pk)
