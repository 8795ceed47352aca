"""Background work for the lead inbox, run by `kapcare worker`."""

from django.tasks import task

from kapcare.leads.models import Lead


@task
def notify_staff(lead_id: int, link: str) -> int:
    """Email the inbox's staff that a lead arrived; how many were told."""
    from kapcare.leads.intake import notify_staff as notify

    lead = Lead.objects.select_related("clinic").filter(pk=lead_id).first()
    return 0 if lead is None else notify(lead, link)
