"""Records of the preparation phase for tests, made the short way (the tests of the real way
are in test_decision.py and test_plan.py)."""

from decimal import Decimal

from kapcare.clinics.models import Protocol
from kapcare.evaluation.demo import CLEAN_HISTORY
from kapcare.evaluation.models import EligibilityDecision, Evaluation, TreatmentPlan


def make_evaluation(course, **fields) -> Evaluation:
    values = CLEAN_HISTORY | {"goals": "Feel like myself again."} | fields
    return Evaluation.objects.create(
        clinic_id=course.clinic_id, course=course, patient_id=course.patient_id, **values
    )


def signed_decision(course, outcome="eligible", by=None) -> EligibilityDecision:
    protocol = Protocol.active_for(course.clinic)
    return EligibilityDecision.objects.create(
        clinic_id=course.clinic_id,
        course=course,
        patient_id=course.patient_id,
        protocol=protocol,
        protocol_version=protocol.version,
        outcome=outcome,
        rationale="No findings; suitable.",
        signed_by=by or course.prescriber,
    )


def signed_plan(course, **settings) -> TreatmentPlan:
    existing = TreatmentPlan.objects.filter(course=course).first()
    if existing:
        return existing
    protocol = Protocol.active_for(course.clinic)
    values = {
        "target_conditions": ["F33.2"],
        "target_measures": ["phq-9"],
        "measures_schedule": "weekly",
        "dosing_sessions": 6,
        "cadence_days": 7,
        "integration_sessions_after_each": 1,
        "integration_within_hours": 48,
    } | settings
    return TreatmentPlan.objects.create(
        clinic_id=course.clinic_id,
        course=course,
        patient_id=course.patient_id,
        protocol=protocol,
        protocol_version=protocol.version,
        signed_by=course.prescriber,
        route="im",
        dose_amount=Decimal("0.5"),
        dose_unit="mg/kg",
        weight_kg=Decimal("70.0"),
        dose_mg=Decimal("35.0"),
        bioavailability=Decimal("0.93"),
        iv_equivalent_mg=Decimal("32.6"),
        iv_equivalent_mg_per_kg=Decimal("0.465"),
        **values,
    )


def signed_esketamine_plan(course, **settings) -> TreatmentPlan:
    """A plan for esketamine (Spravato) as its label gives it: 56 mg (two 28 mg devices)
    intranasally, in clinic, with no racemic IV-equivalent."""
    protocol = Protocol.active_for(course.clinic)
    values = {
        "target_conditions": ["F33.2"],
        "target_measures": ["phq-9"],
        "measures_schedule": "weekly",
        "dosing_sessions": 8,
        "cadence_days": 3,
        "integration_sessions_after_each": 1,
        "integration_within_hours": 48,
        "medication": "esketamine",
        "route": "intranasal",
        "dose_amount": Decimal("56"),
        "dose_unit": "mg",
        "dose_mg": Decimal("56"),
        "weight_kg": Decimal("70.0"),
    } | settings
    return TreatmentPlan.objects.create(
        clinic_id=course.clinic_id,
        course=course,
        patient_id=course.patient_id,
        protocol=protocol,
        protocol_version=protocol.version,
        signed_by=course.prescriber,
        **values,
    )
