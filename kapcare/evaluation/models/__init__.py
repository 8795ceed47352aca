from kapcare.evaluation.models.evaluation import Allergy, Diagnosis, DoseUnit, Evaluation, Medication
from kapcare.evaluation.models.outside import OutsideCondition, OutsideMedication
from kapcare.evaluation.models.signed import (
    Addendum,
    EligibilityDecision,
    Frozen,
    MeasuresSchedule,
    Outcome,
    PlanDoseUnit,
    PlanMedication,
    Route,
    TreatmentPlan,
    esketamine_refusals,
)

__all__ = [
    "Addendum",
    "Allergy",
    "Diagnosis",
    "DoseUnit",
    "EligibilityDecision",
    "Evaluation",
    "Frozen",
    "MeasuresSchedule",
    "Medication",
    "Outcome",
    "OutsideCondition",
    "OutsideMedication",
    "PlanDoseUnit",
    "PlanMedication",
    "Route",
    "TreatmentPlan",
    "esketamine_refusals",
]
