"""The demo's preparation records agree with each course's state."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.evaluation.models import EligibilityDecision, Evaluation, TreatmentPlan

STARTED = {"active", "paused", "completed", "withdrawn"}


@pytest.mark.django_db
def test_demo_courses_past_evaluation_have_a_signed_decision_and_started_ones_a_plan():
    call_command("demo")
    clinic = Clinic.objects.get(slug="demo")
    for course in clinic.courses.all():
        decisions = list(EligibilityDecision.objects.filter(course=course).order_by("signed_at"))
        plan = TreatmentPlan.objects.filter(course=course).first()
        if course.state == "evaluating":
            assert not decisions and plan is None
            continue
        assert decisions, f"{course} has no decision"
        evaluations = list(Evaluation.objects.filter(course=course))
        assert evaluations and all(e.is_decided for e in evaluations), "signed means frozen"
        first = decisions[0]
        levels = {f["level"] for f in first.findings}
        if course.state == "ineligible":
            assert first.outcome == "ineligible" and "exclusion" in levels
        elif course.state == "needs_clearance":
            assert first.outcome == "needs_clearance" and "needs_clearance" in levels
        else:
            assert first.outcome == "eligible" and "exclusion" not in levels
        assert (plan is not None) == (course.state in STARTED), course
        if plan and plan.is_esketamine:
            # Spravato's label: intranasal, whole 28 mg devices, in clinic; no racemic IV-equivalent.
            assert (plan.route, plan.dose_unit, plan.dose_mg, plan.at_home_allowed) == (
                "intranasal",
                "mg",
                56,
                False,
            )
            assert plan.iv_equivalent_mg is None and plan.iv_equivalent_mg_per_kg is None
        elif plan:
            assert plan.signed_at >= first.signed_at
            assert plan.iv_equivalent_mg_per_kg <= 2


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_no_preparation_records():
    call_command("demo")
    counts = (Evaluation.objects.count(), EligibilityDecision.objects.count(), TreatmentPlan.objects.count())
    call_command("demo")
    assert (
        Evaluation.objects.count(),
        EligibilityDecision.objects.count(),
        TreatmentPlan.objects.count(),
    ) == counts
    assert counts[0] > 30


@pytest.mark.django_db
def test_the_demo_has_a_patient_in_evaluation_with_conditions_from_another_record():
    from kapcare.evaluation.models import OutsideCondition

    call_command("demo")
    kept = list(OutsideCondition.objects.select_related("patient").order_by("code"))
    assert [(c.code, c.clinical_status) for c in kept] == [("59621000", "active"), ("K21.9", "resolved")]
    patient = kept[0].patient
    assert patient.courses.filter(state="evaluating", evaluations__isnull=False).exists()
    assert not Evaluation.objects.filter(course__patient=patient, diagnoses__code="K21.9").exists()


@pytest.mark.django_db
def test_the_same_patient_has_medications_from_another_record_apart_from_the_evaluations():
    from kapcare.evaluation.models import Medication, OutsideCondition, OutsideMedication

    call_command("demo")
    kept = list(OutsideMedication.objects.order_by("code"))
    assert [(m.code, m.status, m.sent_as) for m in kept] == [
        ("28439", "stopped", "MedicationRequest"),
        ("6470", "active", "MedicationRequest"),
    ]
    patient = OutsideCondition.objects.first().patient
    assert {m.patient_id for m in kept} == {patient.pk}
    assert not Medication.objects.filter(evaluation__patient=patient, name__icontains="lorazepam").exists()
