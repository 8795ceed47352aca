"""The demo clinic's payers, coverages and checks."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.coverage.models import Coverage, EligibilityCheck, Payer


@pytest.mark.django_db
def test_the_demo_clinic_is_in_network_with_six_ppo_payers_and_has_checks_run():
    call_command("demo")
    clinic = Clinic.objects.get(slug="demo")
    payers = Payer.objects.filter(clinic=clinic)
    assert set(payers.values_list("payer_id", flat=True)) == {
        "SBX-AETNA",
        "SBX-ANTHEM",
        "SBX-BCBS",
        "SBX-CIGNA",
        "SBX-MAGELLAN",
        "SBX-CARELON",
    }
    assert all(payer.in_network and payer.network_plan_types == ["ppo"] for payer in payers)
    assert payers.get(name="Anthem").carve_out.name == "Carelon Behavioral Health"
    statuses = set(EligibilityCheck.objects.filter(clinic=clinic).values_list("status", flat=True))
    assert {"active", "inactive"} <= statuses
    assert Coverage.objects.filter(clinic=clinic, checks__isnull=True).exists()
    # One result is older than the clinic's limit, and nothing changed since it ran.
    aged = EligibilityCheck.objects.filter(clinic=clinic).order_by("ran_at").first()
    assert aged.is_older_than(30) and aged.coverage.changed_at < aged.ran_at


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_no_coverage():
    call_command("demo")
    counts = (Coverage.objects.count(), EligibilityCheck.objects.count(), Payer.objects.count())
    call_command("demo")
    assert (Coverage.objects.count(), EligibilityCheck.objects.count(), Payer.objects.count()) == counts
