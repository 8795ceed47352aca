"""Demo evaluations, screening, decisions and plans that agree with each demo course's state:
courses past evaluation have a signed decision (on findings that explain it), and courses that
started have a signed plan."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kapcare.audit.trail import record
from kapcare.clinics.models import Protocol
from kapcare.evaluation.models import (
    Diagnosis,
    EligibilityDecision,
    Evaluation,
    Medication,
    OutsideCondition,
    OutsideMedication,
    TreatmentPlan,
)
from kapcare.evaluation.models.outside import ICD10CM, RXNORM, SNOMED
from kapcare.evaluation.signing import dose_for, findings_for
from kapcare.lib import spravato as label
from kapcare.patients.demo import SPRAVATO_START_REASON
from kapcare.patients.models import CourseState

# Every question answered "no", with ordinary vital signs: the starting point of each demo picture.
CLEAN_HISTORY = {
    "psychosis": "none",
    "schizophrenia": False,
    "bipolar_disorder": False,
    "mania": "none",
    "substance_use": "none",
    "ketamine_misuse": "none",
    "suicide_attempt": False,
    "self_harm": "none",
    "suicidal_thoughts_last_2_weeks": False,
    "hypertension": "none",
    "cardiovascular_disease": "none",
    "cerebrovascular_disease": "none",
    "aneurysm_or_avm": False,
    "intracerebral_haemorrhage": False,
    "raised_intracranial_pressure": False,
    "raised_intraocular_pressure": False,
    "hepatic_impairment": "none",
    "pregnant": False,
    "lactating": False,
    "interstitial_cystitis": False,
    "seizures": "none",
    "hyperthyroidism": "none",
    "systolic_bp": 122,
    "diastolic_bp": 78,
    "heart_rate": 70,
    "weight_kg": Decimal("70.0"),
    "height_cm": Decimal("170.0"),
}

DIAGNOSES = {
    "trd": "F33.2",
    "depression": "F32.1",
    "ptsd": "F43.12",
    "anxiety": "F41.1",
    "ocd": "F42.2",
    "sud": "F10.20",
}
# What the evaluation found, by the decision that followed (patients/demo.py gives the reasons).
PICTURES = {
    "ineligible": {"psychosis": "current"},
    "needs_clearance": {"hypertension": "uncontrolled", "systolic_bp": 152, "diastolic_bp": 96},
}
CAUTIONS = [
    {},
    {"hypertension": "controlled"},
    {"medication": ("clonazepam", "benzodiazepine", Decimal("0.5"))},
    {"medication": ("lamotrigine", "lamotrigine", Decimal("100"))},
    {"psychosis": "past"},
]
GOALS = [
    "To get up in the morning without dread.",
    "Enjoy time with my kids again.",
    "Sleep through the night and stop the flashbacks.",
    "Feel less stuck; be able to work again.",
]
PLANS = [("lozenge", Decimal("200"), "mg"), ("im", Decimal("0.5"), "mg/kg"), ("iv", Decimal("0.5"), "mg/kg")]


def load(demo) -> None:
    clinic = demo.clinic
    if Evaluation.objects.filter(clinic=clinic).exists():
        return
    protocol = Protocol.active_for(clinic)
    rng = demo.rng
    counts = {"evaluations": 0, "decisions": 0, "plans": 0}
    courses = list(clinic.courses.select_related("patient").prefetch_related("transitions__by"))
    spravato = [c for c in courses if any(t.reason == SPRAVATO_START_REASON for t in c.transitions.all())]
    for n, course in enumerate(c for c in courses if c not in spravato):
        transitions = list(course.transitions.all())
        if course.state == CourseState.EVALUATING and n % 2:
            continue  # half the new courses have not been evaluated yet
        decided = [t for t in transitions if t.from_state in {"evaluating", "needs_clearance"}]
        picture = PICTURES.get(decided[0].to_state, {}) if decided else {}
        evaluation = make_evaluation(course, picture or CAUTIONS[n % len(CAUTIONS)], rng)
        counts["evaluations"] += 1
        for transition in decided:
            evaluation = sign(course, evaluation, protocol, transition)
            counts["decisions"] += 1
        started = next((t for t in transitions if t.to_state == CourseState.ACTIVE), None)
        if started:
            make_plan(course, evaluation, protocol, started, PLANS[n % len(PLANS)])
            counts["plans"] += 1
    for course in spravato:
        transitions = list(course.transitions.all())
        evaluation = make_evaluation(course, {}, rng)
        for transition in transitions[:1]:
            evaluation = sign(course, evaluation, protocol, transition)
        make_esketamine_plan(course, evaluation, protocol, transitions[-1])
        counts["evaluations"] += 1
        counts["decisions"] += 1
        counts["plans"] += 1
    imported = conditions_from_another_record(clinic)
    counts["conditions from another record"] = imported
    prescribed = medications_from_another_record(clinic)
    counts["medications from another record"] = prescribed
    record(None, "create", clinic=clinic, actor="kapcare demo", detail={"demo preparation": counts})
    demo.say(
        f"{counts['evaluations']} evaluations, {counts['decisions']} signed decisions, "
        f"{counts['plans']} treatment plans, {imported} conditions and {prescribed} medications "
        "imported from another record"
    )


# A primary-care problem list, as an import through the FHIR API keeps it.
IMPORTED = [
    dict(
        system=SNOMED,
        code="59621000",
        display="Essential hypertension (disorder)",
        clinical_status="active",
        verification_status="confirmed",
        category="problem-list-item",
        onset="2019-03",
        onset_start=datetime(2019, 3, 1, tzinfo=UTC),
        recorded_date="2019-03-14",
        recorded_on=date(2019, 3, 14),
    ),
    dict(
        system=ICD10CM,
        code="K21.9",
        display="Gastro-esophageal reflux disease without esophagitis",
        clinical_status="resolved",
        verification_status="confirmed",
        category="problem-list-item",
        onset="2016",
        onset_start=datetime(2016, 1, 1, tzinfo=UTC),
        abatement="2020-06-02",
        recorded_date="2016-05-20",
        recorded_on=date(2016, 5, 20),
    ),
]


def conditions_from_another_record(clinic) -> int:
    """The problem list of a patient whose evaluation is under way, from their primary-care record:
    for the prescriber to weigh, beside (not among) the evaluation's diagnoses."""
    evaluation = (
        Evaluation.objects.filter(clinic=clinic, course__state=CourseState.EVALUATING)
        .select_related("course__patient")
        .order_by("pk")
        .first()
    )
    if evaluation is None:
        return 0
    patient = evaluation.course.patient
    conditions = [
        OutsideCondition(
            clinic=clinic, patient=patient, source="import by Riverside Family Medicine", **fields
        )
        for fields in IMPORTED
    ]
    for condition in conditions:
        condition.derive_spans()  # bulk_create does not call save()
    OutsideCondition.objects.bulk_create(conditions)
    return len(IMPORTED)


# The same record's prescriptions (MedicationRequest, RxNorm ingredient codes), as an import keeps
# them: one the prescriber must weigh for ketamine (a benzodiazepine), and one stopped.
PRESCRIBED = [
    dict(
        code="6470",
        display="lorazepam",
        text="Lorazepam 0.5 mg oral tablet",
        status="active",
        request_status="active",
        authored_on="2024-09-03T10:20:00-07:00",
        dated=datetime(2024, 9, 3, 17, 20, tzinfo=UTC),
        dosage="0.5 mg by mouth at bedtime as needed for sleep",
    ),
    dict(
        code="28439",
        display="lamotrigine",
        text="Lamotrigine 100 mg oral tablet",
        status="stopped",
        request_status="stopped",
        authored_on="2021-04",
        dated=datetime(2021, 4, 1, tzinfo=UTC),
        dosage="100 mg by mouth twice a day",
    ),
]


def medications_from_another_record(clinic) -> int:
    """The prescriptions in the same patient's primary-care record: for the prescriber to
    reconcile with (not to count among) the evaluation's medication list."""
    condition = OutsideCondition.objects.filter(clinic=clinic).select_related("patient").first()
    if condition is None:
        return 0
    OutsideMedication.objects.bulk_create(
        OutsideMedication(
            clinic=clinic,
            patient=condition.patient,
            system=RXNORM,
            sent_as="MedicationRequest",
            source="import by Riverside Family Medicine",
            **fields,
        )
        for fields in PRESCRIBED
    )
    return len(PRESCRIBED)


def make_evaluation(course, picture: dict, rng) -> Evaluation:
    picture = dict(picture)
    medication = picture.pop("medication", None)
    weight = Decimal(rng.randint(52, 104))
    evaluation = Evaluation.objects.create(
        clinic_id=course.clinic_id,
        course=course,
        patient=course.patient,
        evaluated_on=(course.opened_at + timedelta(days=3)).date(),
        presenting_problems=f"{course.get_condition_display()}; treatments tried without lasting relief.",
        goals=rng.choice(GOALS),
        prior_treatments="Two SSRIs, an SNRI, weekly CBT for a year.",
        **(CLEAN_HISTORY | {"weight_kg": weight, "height_cm": Decimal(rng.randint(155, 192))} | picture),
    )
    Diagnosis.objects.create(evaluation=evaluation, code=DIAGNOSES[course.condition])
    Medication.objects.create(
        evaluation=evaluation, name="sertraline", drug_class="ssri", dose=100, unit="mg"
    )
    if medication:
        name, drug_class, dose = medication
        Medication.objects.create(
            evaluation=evaluation, name=name, drug_class=drug_class, dose=dose, unit="mg"
        )
    for diagnosis in evaluation.diagnoses.all():
        diagnosis.full_clean()
        Diagnosis.objects.filter(pk=diagnosis.pk).update(description=diagnosis.description)
    return evaluation


def sign(course, evaluation, protocol, transition) -> Evaluation:
    """The decision of one demo transition, on the evaluation it rests on (frozen by it)."""
    if transition.from_state == "needs_clearance" and transition.to_state == "eligible":
        # Cleared: the PCP treated the blood pressure, and a re-evaluation brought it up to date.
        evaluation = evaluation.reevaluate(by=transition.by)
        evaluation.hypertension, evaluation.systolic_bp, evaluation.diastolic_bp = "controlled", 128, 82
        evaluation.evaluated_on = (transition.at - timedelta(days=1)).date()
        evaluation.save()
    findings = findings_for(evaluation, protocol)
    decision = EligibilityDecision.objects.create(
        clinic_id=course.clinic_id,
        course=course,
        patient_id=course.patient_id,
        protocol=protocol,
        protocol_version=protocol.version,
        outcome=transition.to_state,
        rationale=transition.reason
        or "No exclusions; cautions discussed with the patient. Suitable for KAP.",
        findings=[f.as_dict() for f in findings],
        signed_by=transition.by,
        signed_at=transition.at,
    )
    evaluation.freeze_for_decision(decision.signed_at)
    return evaluation


def signed_plan(course, protocol, started) -> dict:
    """What every demo plan shares: signed by whoever started the course, two hours before; the
    course's diagnosis and the PHQ-9 and GAD-7 before each session; one integration session
    within 48 hours after each dosing session."""
    return {
        "clinic_id": course.clinic_id,
        "course": course,
        "patient_id": course.patient_id,
        "protocol": protocol,
        "protocol_version": protocol.version,
        "signed_by": started.by,
        "signed_at": started.at - timedelta(hours=2),
        "target_conditions": [DIAGNOSES[course.condition]],
        "target_measures": ["phq-9", "gad-7"],
        "measures_schedule": "each_session",
        "integration_sessions_after_each": 1,
        "integration_within_hours": 48,
    }


def make_plan(course, evaluation, protocol, started, plan) -> None:
    route, amount, unit = plan
    dose = dose_for(route, amount, unit, evaluation.weight_kg, protocol.rules)
    TreatmentPlan.objects.create(
        **signed_plan(course, protocol, started),
        route=route,
        dose_amount=amount,
        dose_unit=unit,
        weight_kg=evaluation.weight_kg,
        dose_mg=dose.mg,
        bioavailability=dose.bioavailability,
        iv_equivalent_mg=dose.iv_equivalent_mg,
        iv_equivalent_mg_per_kg=dose.iv_equivalent_mg_per_kg,
        dosing_sessions=6,
        cadence_days=7 if route == "lozenge" else 3,
        at_home_allowed=route == "lozenge",
        at_home_after_sessions=3 if route == "lozenge" else None,
    )


def make_esketamine_plan(course, evaluation, protocol, started) -> None:
    """Esketamine (Spravato) as its label gives it for treatment-resistant depression
    (reference/clinical.md §3): 56 mg (two 28 mg devices) intranasally, twice a week for the first
    four weeks (eight sessions; a plan counts whole days between them, so every three), in clinic
    only. No IV-equivalent: that is racemic ketamine's (see signing.EsketamineDose)."""
    TreatmentPlan.objects.create(
        **signed_plan(course, protocol, started),
        medication="esketamine",
        route=label.ROUTE,
        dose_amount=Decimal(label.LABEL_DOSES_MG[0]),
        dose_unit="mg",
        dose_mg=Decimal(label.LABEL_DOSES_MG[0]),  # not by weight: the plan records none
        dosing_sessions=8,
        cadence_days=3,
        at_home_allowed=False,
    )
