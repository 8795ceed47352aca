from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user
from kapcare.leads.models import Lead


def get_lead_for_user(request, pk) -> Lead:
    """The lead if in the member's clinic (else 404) and the role allows (else 403); reads audited."""
    lead = get_object_for_user(
        request, Lead.objects.select_related("clinic", "assignee", "patient", "coverage"), pk=pk
    )
    if request.method == "GET":
        record(request, "view", lead, patient=lead.patient_id)
    return lead
