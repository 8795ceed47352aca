"""Who is signed into the portal. A patient is not a staff User: the portal keeps the patient's id in
the session under its own key, beside (never instead of) a staff sign-in, and ends it after the
portal's idle time. Every portal page goes through `portal_view`, which audits the visit with the
patient as the actor. It lives here, beside the patient, so that each phase's own portal pages
(evaluation's history, integration's journal) use it without importing the portal app, which sits
on top (design.md).
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.patients.models import Patient

SESSION_KEY = "portal_patient_id"
SEEN_KEY = "portal_seen_at"


def sign_in_patient(request, patient) -> None:
    # A fresh session id, so a session fixed before sign-in is worth nothing after it.
    request.session.cycle_key()
    request.session[SESSION_KEY] = patient.pk
    request.session[SEEN_KEY] = timezone.now().timestamp()


def sign_out_patient(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SEEN_KEY, None)
    request.session.cycle_key()


def get_portal_patient(request) -> Patient | None:
    """The patient signed into the portal on this request, or None (also after the idle time)."""
    if hasattr(request, "portal_patient"):
        return request.portal_patient
    patient_id = request.session.get(SESSION_KEY)
    if patient_id is None:
        return None
    now = timezone.now().timestamp()
    if now - request.session.get(SEEN_KEY, 0) > settings.PORTAL_IDLE_MINUTES * 60:
        request.audit_role = "patient"
        record(request, "sign_out", patient=patient_id, actor=actor_for(patient_id), detail={"idle": True})
        sign_out_patient(request)
        request.portal_idle = True
        return None
    patient = Patient.objects.select_related("clinic").filter(pk=patient_id).first()
    if patient is not None:
        request.session[SEEN_KEY] = now
        request.portal_patient = patient
        request.audit_role = "patient"
    return patient


def actor_for(patient) -> str:
    """How the audit trail names a patient acting for themselves (never a staff user id)."""
    return f"patient {getattr(patient, 'pk', patient)}"


def portal_record(request, action: str, obj=None, *, detail=None):
    patient = request.portal_patient
    return record(
        request,
        action,
        obj,
        patient=patient,
        clinic=patient.clinic_id,
        actor=actor_for(patient),
        detail=detail,
    )


def portal_view(view):
    """A portal page: signed-in patients only; each visit audited with the patient as actor."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        patient = get_portal_patient(request)
        if patient is None:
            if getattr(request, "portal_idle", False):
                messages.info(request, "You were signed out after a while without activity.")
            url = reverse("portal:signin")
            if getattr(request, "htmx", False):
                response = redirect(url)
                response.status_code, response["HX-Redirect"] = 204, url
                return response
            return redirect(url)
        timezone.activate(patient.clinic.zone)
        if request.method == "GET":
            portal_record(request, "view", patient, detail={"page": request.resolver_match.view_name})
        return view(request, *args, **kwargs)

    return wrapper
