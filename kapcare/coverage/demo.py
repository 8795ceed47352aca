"""Demo insurance: the clinic's payer directory, coverage for some patients, and checks already run.

The payers use the sandbox clearinghouse's payer IDs, and the patients who hold coverage with a
sandbox test member ID get realistic answers (active, inactive, carve-out, payer unavailable).
"""

from datetime import date, timedelta

from django.utils import timezone

from kapcare.coverage.clearinghouse import SandboxClearinghouse
from kapcare.coverage.eligibility import CheckFailed, check_coverage
from kapcare.coverage.models import Coverage, CoverageSettings, EligibilityCheck, Payer, PlanType
from kapcare.patients.models import Patient, Sex

# The example NPI from CMS's own documentation: valid check digit, belongs to no one.
DEMO_NPI = "1234567893"
PAYERS = [
    ("Aetna", "SBX-AETNA", ""),
    ("Anthem", "SBX-ANTHEM", "Mental-health benefits on many Anthem plans are managed by Carelon."),
    ("Blue Cross Blue Shield", "SBX-BCBS", ""),
    ("Cigna", "SBX-CIGNA", "Open Access Plus plans are POS; the contract covers PPO only."),
    ("Magellan Healthcare", "SBX-MAGELLAN", "Behavioural-health plan."),
    ("Carelon Behavioral Health", "SBX-CARELON", "Formerly Beacon Health Options."),
]
# (first, last, born, sex, payer, member ID, relationship, subscriber, run a check?)
MEMBERS = [
    ("Avery", "Sample", date(1985, 4, 12), Sex.FEMALE, "Aetna", "KCA100001", "self", None, True),
    (
        "Blake",
        "Sample",
        date(1979, 9, 30),
        Sex.MALE,
        "Blue Cross Blue Shield",
        "KCA100002",
        "self",
        None,
        True,
    ),
    (
        "Emery",
        "Sample",
        date(2010, 3, 8),
        Sex.FEMALE,
        "Magellan Healthcare",
        "KCA100003",
        "child",
        ("Dana", "Sample", date(1982, 6, 1)),
        True,
    ),
    ("Gray", "Sample", date(1995, 5, 5), Sex.FEMALE, "Anthem", "KCA100004", "self", None, True),
    ("Harper", "Sample", date(1970, 2, 2), Sex.MALE, "Cigna", "KCA100042", "self", None, False),
]


def load(demo) -> None:
    clinic = demo.clinic
    options = CoverageSettings.for_clinic(clinic)
    if not options.billing_npi:
        options.billing_npi = DEMO_NPI
        options.save(update_fields=["billing_npi"])
    payers = _payers(clinic)
    if Coverage.objects.filter(clinic=clinic).exists():
        return
    intake = demo.staff["intake"]
    checked = 0
    for first, last, born, sex, payer, member_id, relationship, subscriber, run in MEMBERS:
        patient = Patient.objects.filter(clinic=clinic, legal_first_name=first, legal_last_name=last).first()
        patient = patient or Patient.objects.create(
            clinic=clinic,
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=born,
            sex_at_birth=sex,
            email=f"{first}.{last}@example.com".lower(),
        )
        coverage = Coverage.objects.create(
            clinic=clinic,
            patient=patient,
            payer=payers[payer],
            plan_type=PlanType.PPO,
            member_id=member_id,
            group_number="0012345",
            relationship=relationship,
            effective_from=date(timezone.now().year, 1, 1),
            **_subscriber(subscriber),
        )
        if run:
            checked += _check(coverage, intake)
    # Some of the other demo patients have coverage on file that nobody has checked yet.
    for patient in Patient.objects.filter(clinic=clinic, coverages__isnull=True).order_by("pk")[:6]:
        Coverage.objects.create(
            clinic=clinic,
            patient=patient,
            payer=demo.rng.choice(list(payers.values())),
            plan_type=PlanType.PPO,
            member_id=f"W{demo.rng.randint(10**8, 10**9 - 1)}",
            group_number=f"{demo.rng.randint(1000, 99999)}",
        )
    # One result has aged past the clinic's limit, so the chart asks for a new check.
    oldest = EligibilityCheck.objects.filter(clinic=clinic, status="active").order_by("pk").first()
    if oldest:
        aged = timezone.now() - timedelta(days=options.recheck_after_days + 15)
        EligibilityCheck.objects.filter(pk=oldest.pk).update(ran_at=aged)
        # The coverage was entered before that check, not since.
        Coverage.objects.filter(pk=oldest.coverage_id).update(
            created_at=aged - timedelta(hours=1), changed_at=aged - timedelta(hours=1)
        )
    demo.say(
        f"{len(payers)} payers in the directory, {Coverage.objects.filter(clinic=clinic).count()} "
        f"coverages, {checked} eligibility checks (sandbox members such as Avery Sample)"
    )


def _payers(clinic) -> dict:
    payers = {}
    for name, payer_id, notes in PAYERS:
        payers[name], _ = Payer.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "payer_id": payer_id,
                "in_network": True,
                "network_plan_types": [PlanType.PPO],
                "notes": notes,
            },
        )
    anthem = payers["Anthem"]
    if anthem.carve_out_id is None:
        anthem.carve_out = payers["Carelon Behavioral Health"]
        anthem.save(update_fields=["carve_out"])
    return payers


def _subscriber(subscriber) -> dict:
    if subscriber is None:
        return {}
    first, last, born = subscriber
    return {"subscriber_first_name": first, "subscriber_last_name": last, "subscriber_date_of_birth": born}


def _check(coverage, by) -> int:
    try:
        check_coverage(coverage, by=by, clearinghouse=SandboxClearinghouse())
    except CheckFailed:
        return 0
    return 1
