"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

from kapcare.clinics.models import Protocol
from kapcare.evaluation.models import EligibilityDecision


def decision(cast):
    course = cast["course"]
    protocol = Protocol.active_for(cast["clinic"])
    signed = EligibilityDecision.objects.filter(course=course).first() or EligibilityDecision.objects.create(
        clinic=cast["clinic"],
        course=course,
        patient=cast["patient"],
        protocol=protocol,
        protocol_version=protocol.version,
        outcome="needs_clearance",
        rationale="Blood pressure 152/96 at evaluation.",
        signed_by=course.prescriber,
    )
    return {"pk": signed.pk}


def plan(cast):
    from kapcare.evaluation.tests.factories import signed_plan

    return {"pk": signed_plan(cast["course"]).pk}


def outside_condition(cast):
    from kapcare.evaluation.models import OutsideCondition

    condition = OutsideCondition.objects.filter(
        patient=cast["patient"]
    ).first() or OutsideCondition.objects.create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        system="http://snomed.info/sct",
        code="59621000",
        display="Essential hypertension",
        recorded_on=cast["patient"].created_at.date(),
        source="import by role walk",
    )
    return {"pk": condition.pk}


def outside_medication(cast):
    from kapcare.evaluation.models import OutsideMedication
    from kapcare.evaluation.models.outside import RXNORM

    medication = OutsideMedication.objects.filter(
        patient=cast["patient"]
    ).first() or OutsideMedication.objects.create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        system=RXNORM,
        code="6470",
        display="lorazepam",
        status="active",
        source="import by role walk",
    )
    return {"pk": medication.pk}


URLS = {
    "evaluation:evaluation": (lambda cast: {"pk": cast["course"].pk}, "get"),
    "evaluation:screen": (lambda cast: {"pk": cast["course"].pk}, "post"),
    "evaluation:confirm_history": (lambda cast: {"pk": cast["course"].pk}, "post"),
    "evaluation:reevaluate": (lambda cast: {"pk": cast["course"].pk}, "post"),
    "evaluation:decide": (lambda cast: {"pk": cast["course"].pk}, "get"),
    "evaluation:plan": (lambda cast: {"pk": cast["course"].pk}, "get"),
    "evaluation:start": (lambda cast: {"pk": cast["course"].pk}, "post"),
    "evaluation:decision_addendum": (decision, "post"),
    "evaluation:plan_addendum": (plan, "post"),
    "evaluation:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "evaluation:outside_condition_in_error": (outside_condition, "post"),
    "evaluation:outside_medication_in_error": (outside_medication, "post"),
    "evaluation:icd_search": (lambda cast: {}, "get"),
    "evaluation:protocol": (lambda cast: {}, "get"),
    "evaluation:protocol_edit": (lambda cast: {}, "get"),
}
