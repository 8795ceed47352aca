"""Insurance fixtures: the clinic's payer directory, its billing NPI, and a sandbox test member."""

from datetime import date

import pytest

from kapcare.coverage.models import Coverage, CoverageSettings, Payer, PlanType
from kapcare.patients.models import Patient, Sex


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    """Background checks run at once in tests; card images land in a throw-away folder."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.COVERAGE_CLEARINGHOUSE = "sandbox"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def coverage_settings(clinic):
    options = CoverageSettings.for_clinic(clinic)
    options.billing_npi = "1234567893"
    options.save()
    return options


@pytest.fixture
def carelon(clinic):
    return Payer.objects.create(
        clinic=clinic,
        name="Carelon Behavioral Health",
        payer_id="SBX-CARELON",
        in_network=True,
        network_plan_types=[PlanType.PPO],
    )


@pytest.fixture
def aetna(clinic):
    return Payer.objects.create(
        clinic=clinic, name="Aetna", payer_id="SBX-AETNA", in_network=True, network_plan_types=[PlanType.PPO]
    )


@pytest.fixture
def avery(clinic):
    """A patient who is sandbox test member KCA100001 (active coverage with cost shares)."""
    return Patient.objects.create(
        clinic=clinic,
        legal_first_name="Avery",
        legal_last_name="Sample",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth=Sex.FEMALE,
    )


@pytest.fixture
def avery_coverage(avery, aetna, coverage_settings):
    return Coverage.objects.create(
        clinic=avery.clinic,
        patient=avery,
        payer=aetna,
        plan_type=PlanType.PPO,
        member_id="KCA100001",
        group_number="0012345",
    )
