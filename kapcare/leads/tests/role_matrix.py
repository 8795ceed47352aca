"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

from django.core.files.base import ContentFile

from kapcare.leads.models import CoverageRequest, Kind, Lead

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def a_lead(cast):
    lead = Lead.objects.create(clinic=cast["clinic"], kind=Kind.COVERAGE, name="Wren Ashdown")
    coverage = CoverageRequest(
        lead=lead,
        payer_name="Acme Health",
        member_id="XJ1",
        subscriber_name="Wren Ashdown",
        subscriber_date_of_birth="1990-01-02",
        relationship="self",
    )
    coverage.card_front.save("front.png", ContentFile(PNG), save=False)
    coverage.save()
    return {"pk": lead.pk}


URLS = {
    "leads:inbox": (lambda cast: {}, "get"),
    "leads:log_call": (lambda cast: {}, "get"),
    "leads:settings": (lambda cast: {}, "get"),
    "leads:bulk_close": (lambda cast: {}, "post"),
    "leads:detail": (a_lead, "get"),
    "leads:convert": (a_lead, "get"),
    "leads:reply": (a_lead, "post"),
    "leads:note": (a_lead, "post"),
    "leads:assign": (a_lead, "post"),
    "leads:status": (a_lead, "post"),
    "leads:chart_panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "leads:card": (lambda cast: {**a_lead(cast), "side": "front"}, "get"),
}
