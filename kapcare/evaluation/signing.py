"""The prescriber's signatures that end preparation: the eligibility decision, the treatment plan,
and starting the course once both are in place."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from kapcare.audit.trail import record
from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import Finding, Level, setting
from kapcare.evaluation import baseline
from kapcare.evaluation.models import (
    EligibilityDecision,
    Evaluation,
    Outcome,
    PlanMedication,
    TreatmentPlan,
    esketamine_refusals,
)
from kapcare.evaluation.plan_measures import assign_plan_measures
from kapcare.evaluation.screening import document_of, screen_document
from kapcare.lib import spravato
from kapcare.patients.models import ConsentMissing, CourseState, TransitionError, require_kap_consent

# A decision is signed while the course is being evaluated or waits for medical clearance.
DECIDABLE = frozenset({CourseState.EVALUATING, CourseState.NEEDS_CLEARANCE})


class PreparationError(Exception):
    """The signature cannot go ahead; `field` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def evaluation_of(course) -> Evaluation | None:
    return (
        Evaluation.objects.filter(course=course)
        .select_related("patient")
        .prefetch_related("diagnoses", "medications", "allergies")
        .first()
    )


def findings_for(evaluation: Evaluation, protocol: Protocol) -> list[Finding]:
    """The protocol's findings on a saved evaluation, with the latest PHQ-9 item 9 if there is one."""
    document = document_of(
        evaluation,
        evaluation.medications.all(),
        evaluation.allergies.all(),
        phq9_item9=baseline.latest_phq9_item9(evaluation.patient),
    )
    return screen_document(document, protocol.rules)


def sign_decision(course, *, outcome: str, rationale: str, override_reason: str = "", by, request=None):
    """Sign an eligibility decision on the evaluation's current findings, and move the course."""
    evaluation = evaluation_of(course)
    if evaluation is None:
        raise PreparationError("Fill in the evaluation before deciding.")
    if evaluation.awaiting_review:
        raise PreparationError("The patient reported history that nobody has reviewed yet; review it first.")
    if course.state not in DECIDABLE:
        raise PreparationError(
            f"The course is {course.get_state_display().lower()}: an eligibility decision is made while "
            "evaluating or waiting for medical clearance."
        )
    if outcome not in Outcome.values:
        raise PreparationError(f"{outcome!r} is not an eligibility outcome.", "outcome")
    protocol = Protocol.active_for(course.clinic)
    findings = findings_for(evaluation, protocol)
    exclusions = [f for f in findings if f.level == Level.EXCLUSION]
    overrides = outcome == Outcome.ELIGIBLE and bool(exclusions)
    override_reason = override_reason.strip()
    if overrides and not override_reason:
        titles = "; ".join(f.title for f in exclusions)
        raise PreparationError(
            f"Screening found an exclusion ({titles}). To mark the patient eligible, write why.",
            "override_reason",
        )
    with transaction.atomic():
        decision = EligibilityDecision.objects.create(
            clinic_id=course.clinic_id,
            course=course,
            patient_id=course.patient_id,
            protocol=protocol,
            protocol_version=protocol.version,
            outcome=outcome,
            rationale=rationale.strip(),
            findings=[f.as_dict() for f in findings],
            overrides_exclusion=overrides,
            override_reason=override_reason if overrides else "",
            signed_by=by,
        )
        evaluation.freeze_for_decision(decision.signed_at)
        record(
            request,
            "sign",
            decision,
            actor=by,
            detail={
                "outcome": outcome,
                "protocol_version": protocol.version,
                "findings": [f.rule for f in findings],
                "overrides_exclusion": overrides,
            },
        )
        try:
            course.decide(outcome, by=by, request=request, reason=rationale)
        except TransitionError as error:
            raise PreparationError(str(error)) from None
    return decision


def latest_decision(course) -> EligibilityDecision | None:
    return EligibilityDecision.objects.filter(course=course).order_by("-signed_at", "-pk").first()


@dataclass
class Dose:
    """A planned dose and its IV-equivalent by the protocol's bioavailability for the route."""

    mg: Decimal
    bioavailability: Decimal
    iv_equivalent_mg: Decimal
    iv_equivalent_mg_per_kg: Decimal
    maximum_mg_per_kg: Decimal
    maximum_mg: Decimal | None

    @property
    def problems(self) -> list[str]:
        found = []
        if self.iv_equivalent_mg_per_kg > self.maximum_mg_per_kg:
            found.append(
                f"The IV-equivalent dose is {self.iv_equivalent_mg_per_kg} mg/kg, "
                f"above the protocol's maximum of {self.maximum_mg_per_kg} mg/kg for this route."
            )
        if self.maximum_mg is not None and self.mg > self.maximum_mg:
            found.append(
                f"The dose is {self.mg} mg, "
                f"above the protocol's maximum of {self.maximum_mg} mg for this route."
            )
        return found


def dose_for(route: str, amount: Decimal, unit: str, weight_kg: Decimal, rules: dict) -> Dose:
    mg = amount * weight_kg if unit == "mg/kg" else amount
    bioavailability = Decimal(str(setting(rules, f"routes.{route}.bioavailability")))
    iv_mg = mg * bioavailability
    maximum_mg = rules["routes"][route].get("max_mg", {}).get("value")
    return Dose(
        mg=mg.quantize(Decimal("0.1"), ROUND_HALF_UP),
        bioavailability=bioavailability,
        iv_equivalent_mg=iv_mg.quantize(Decimal("0.1"), ROUND_HALF_UP),
        iv_equivalent_mg_per_kg=(iv_mg / weight_kg).quantize(Decimal("0.001"), ROUND_HALF_UP),
        maximum_mg_per_kg=Decimal(str(setting(rules, f"routes.{route}.max_iv_equivalent_mg_per_kg"))),
        maximum_mg=Decimal(str(maximum_mg)) if maximum_mg is not None else None,
    )


@dataclass
class EsketamineDose:
    """A planned esketamine (Spravato) dose: its mg and the 28 mg nasal devices that give it.

    It has no IV-equivalent. That figure converts racemic ketamine given by one route into racemic
    ketamine IV; esketamine is another molecule (one enantiomer), dosed by its label in devices
    (56 or 84 mg per session, reference/clinical.md §3, §4.4), and the protocol's racemic maximum
    does not apply to it. Showing one would put a racemic number on a drug it does not describe."""

    mg: Decimal | None
    problems: list[str]
    is_esketamine = True
    device_mg = spravato.DEVICE_MG
    label_doses = " or ".join(str(mg) for mg in spravato.LABEL_DOSES_MG)

    @property
    def devices(self) -> int | None:
        return spravato.devices(self.mg)

    @property
    def outside_label(self) -> str:
        return spravato.outside_label(self.mg) if self.devices else ""


def sign_plan(course, data: dict, *, by, request=None) -> TreatmentPlan:
    """Sign the treatment plan from a valid PlanForm's data, enforcing the protocol's dose limits
    for racemic ketamine, and the label's and REMS's rules for esketamine."""
    decision = latest_decision(course)
    if decision is None or decision.outcome != Outcome.ELIGIBLE:
        raise PreparationError("Sign an eligible decision before the treatment plan.")
    if TreatmentPlan.objects.filter(course=course).exists():
        raise PreparationError("This course has a signed plan; correct it with an addendum.")
    protocol = Protocol.active_for(course.clinic)
    data = {"medication": PlanMedication.KETAMINE} | data
    if data["medication"] == PlanMedication.ESKETAMINE:
        refusals = esketamine_refusals(
            data["route"], data["dose_unit"], data["dose_amount"], data.get("at_home_allowed", False)
        )
        if refusals:
            field, message = next(iter(refusals.items()))
            raise PreparationError(message, field)
        figures = {"dose_mg": data["dose_amount"]}
    else:
        dose = dose_for(
            data["route"], data["dose_amount"], data["dose_unit"], data["weight_kg"], protocol.rules
        )
        if dose.problems:
            raise PreparationError(" ".join(dose.problems), "dose_amount")
        figures = {
            "dose_mg": dose.mg,
            "bioavailability": dose.bioavailability,
            "iv_equivalent_mg": dose.iv_equivalent_mg,
            "iv_equivalent_mg_per_kg": dose.iv_equivalent_mg_per_kg,
        }
    with transaction.atomic():
        plan = TreatmentPlan.objects.create(
            clinic_id=course.clinic_id,
            course=course,
            patient_id=course.patient_id,
            protocol=protocol,
            protocol_version=protocol.version,
            signed_by=by,
            **figures,
            **data,
        )
        record(
            request,
            "sign",
            plan,
            actor=by,
            detail={
                "protocol_version": protocol.version,
                "medication": plan.medication,
                "dose_mg": str(plan.dose_mg),
            },
        )
    return plan


class ConsentNeeded(PreparationError):
    """The course cannot start: the patient's current KAP consent is not signed."""


def start_course(course, *, by, request=None):
    """Start the course: it needs a signed eligible decision, a signed treatment plan, and the
    patient's signature on the current informed consent for KAP. The plan's measures are then
    assigned: during the course on the plan's schedule, and after it."""
    decision = latest_decision(course)
    if course.state != CourseState.ELIGIBLE or decision is None or decision.outcome != Outcome.ELIGIBLE:
        raise PreparationError("Only a course with a signed eligible decision can start.")
    plan = TreatmentPlan.objects.filter(course=course).first()
    if plan is None:
        raise PreparationError("Sign the treatment plan before starting the course.")
    try:
        require_kap_consent(course.patient)
    except ConsentMissing as error:
        raise ConsentNeeded(str(error)) from None
    try:
        with transaction.atomic():
            transition = course.start(
                by=by, request=request, reason="Eligible decision and treatment plan signed."
            )
            assign_plan_measures(course, plan, by=by, request=request)
    except TransitionError as error:
        raise PreparationError(str(error)) from None
    return transition
