"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

from django.utils import timezone


def payer(cast):
    from kapcare.coverage.models import Payer

    found, _ = Payer.objects.get_or_create(
        clinic=cast["clinic"],
        name="Aetna",
        defaults={"payer_id": "SBX-AETNA", "in_network": True, "network_plan_types": ["ppo"]},
    )
    return found


def coverage(cast):
    from kapcare.coverage.models import Coverage

    found, _ = Coverage.objects.get_or_create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        payer=payer(cast),
        defaults={"plan_type": "ppo", "member_id": "KCA100001"},
    )
    return found


def check(cast):
    from kapcare.coverage.models import EligibilityCheck

    held = coverage(cast)
    found, _ = EligibilityCheck.objects.get_or_create(
        clinic=cast["clinic"],
        coverage=held,
        patient=held.patient,
        control_number=1,
        defaults={
            "payer_name": "Aetna",
            "payer_code": "SBX-AETNA",
            "service_type": "MH",
            "service_date": timezone.localdate(),
            "trace_number": "KAP-1",
            "clearinghouse": "sandbox",
            "request_270": "ISA*",
            "response_271": "ISA*",
            "status": "active",
            "result": {"summary": {"lines": ["Coverage is active."]}, "answers": []},
        },
    )
    return found


def lead(cast):
    from kapcare.leads.models import CoverageRequest, Kind, Lead

    found = Lead.objects.filter(clinic=cast["clinic"], kind=Kind.COVERAGE).first()
    if found is None:
        found = Lead.objects.create(
            clinic=cast["clinic"], kind=Kind.COVERAGE, name="Avery Sample", email="avery@example.com"
        )
        CoverageRequest.objects.create(
            lead=found,
            payer_name="Aetna",
            member_id="KCA100001",
            subscriber_name="Avery Sample",
            subscriber_date_of_birth="1985-04-12",
            relationship="self",
        )
    return found


URLS = {
    "coverage:payers": (lambda cast: {}, "get"),
    "coverage:payer_new": (lambda cast: {}, "get"),
    "coverage:payer_edit": (lambda cast: {"pk": payer(cast).pk}, "get"),
    "coverage:settings": (lambda cast: {}, "get"),
    "coverage:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "coverage:new": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "coverage:edit": (lambda cast: {"pk": coverage(cast).pk}, "get"),
    "coverage:check": (lambda cast: {"pk": coverage(cast).pk}, "post"),
    "coverage:card": (lambda cast: {"pk": coverage(cast).pk, "side": "front"}, "get"),
    "coverage:check_detail": (lambda cast: {"pk": check(cast).pk}, "get"),
    "coverage:leads": (lambda cast: {}, "get"),
    "coverage:lead_check": (lambda cast: {"pk": lead(cast).pk}, "get"),
    "coverage:lead_send": (lambda cast: {"pk": lead(cast).pk}, "post"),
}
