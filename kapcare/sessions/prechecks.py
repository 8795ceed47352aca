"""The checks at check-in, each recorded with what was found. Any failure holds the session.

Some are asked of the patient by the nurse (identity, medication changes, pregnancy, new
conditions), some are read from other apps (consent, preparation checklist, safety flags,
eligibility), and the pre-dose vital signs are judged against the protocol's hold limits.
"""

from django.db import models
from django.utils import timezone

from kapcare.patients.models import Sex
from kapcare.sessions import seams
from kapcare.sessions.models import CheckKind, PreCheck
from kapcare.sessions.rules import rule


class Pregnancy(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_PREGNANT = "not_pregnant", "Not pregnant (patient report)"
    TEST_NEGATIVE = "test_negative", "Test negative today"
    PREGNANT = "pregnant", "Pregnant or possibly pregnant"
    UNKNOWN = "unknown", "Not known"


def pregnancy_relevant(patient) -> bool:
    return patient.sex_at_birth in (Sex.FEMALE, Sex.INTERSEX, Sex.UNKNOWN)


def run_prechecks(session, *, by, answers: dict, request=None) -> list[PreCheck]:
    """Judge every check, store each one, and take the pre-dose vital signs."""
    from kapcare.sessions.monitor import record_vitals
    from kapcare.sessions.vitals import FIELDS as VITAL_FIELDS

    patient = session.patient
    today = timezone.localtime(timezone.now(), session.site_zone).date()
    results = [
        identity(answers),
        answer_check(CheckKind.CONSENT, seams.consent_current(patient)),
        answer_check(CheckKind.CHECKLIST, seams.checklist_confirmed(patient, today)),
        exclusion(session, answers),
        medications(answers),
        answer_check(CheckKind.SUICIDE_RISK, seams.open_suicide_flags(patient)),
        pregnancy(patient, answers),
        pre_dose_vitals(session.rules, answers),
        weight(answers),
    ]
    if session.at_home:
        results.append(answer_check(CheckKind.AT_HOME_CONSENT, seams.at_home_consent_current(patient)))
    checks = [
        PreCheck(
            session=session, kind=kind, passed=passed, detail=detail, value=found, rule=applied, checked_by=by
        )
        for kind, passed, detail, found, applied in results
    ]
    PreCheck.objects.bulk_create(checks)
    vitals = {field: answers.get(field) for field in (*VITAL_FIELDS, "temperature_unit")}
    record_vitals(
        session,
        by=by,
        taken_at=timezone.now(),
        values=vitals,
        request=request,
        pre_dose=True,
        confirmed_note=answers.get("confirmed_note", ""),
    )
    return checks


def identity(answers):
    ok = bool(answers.get("identity_confirmed"))
    detail = "Checked against photo ID and date of birth." if ok else "Identity not confirmed."
    return CheckKind.IDENTITY, ok, detail, {}, {}


def answer_check(kind, answer):
    return kind, answer.ok, answer.detail, {"available": answer.available}, {}


def exclusion(session, answers):
    if session.course.state != "active":
        return (
            CheckKind.EXCLUSION,
            False,
            f"The course is {session.course.get_state_display().lower()}, "
            "not active: there is no eligibility decision to dose under.",
            {},
            {},
        )
    if answers.get("new_conditions"):
        detail = answers.get("new_conditions_detail", "").strip() or "not described"
        return CheckKind.EXCLUSION, False, f"New condition since the evaluation: {detail}.", {}, {}
    found = seams.new_exclusions(session.course)
    if found.available and not found.ok:
        return CheckKind.EXCLUSION, False, found.detail, {}, {}
    detail = "No new condition reported since the evaluation."
    if found.available:
        detail += " " + found.detail
    return CheckKind.EXCLUSION, True, detail, {"rescreened": found.available}, {}


def medications(answers):
    if answers.get("medications_changed"):
        changes = answers.get("medication_changes", "").strip() or "not described"
        return (
            CheckKind.MEDICATIONS,
            False,
            f"Medications changed: {changes}. A prescriber reviews before dosing.",
            {"changes": changes},
            {},
        )
    return CheckKind.MEDICATIONS, True, "No change since the last session.", {}, {}


def pregnancy(patient, answers):
    status = answers.get("pregnancy") or Pregnancy.UNKNOWN
    label = Pregnancy(status).label
    if not pregnancy_relevant(patient):
        return CheckKind.PREGNANCY, True, "Not applicable.", {"status": Pregnancy.NOT_APPLICABLE}, {}
    if status in (Pregnancy.NOT_PREGNANT, Pregnancy.TEST_NEGATIVE):
        return CheckKind.PREGNANCY, True, label + ".", {"status": status}, {}
    return CheckKind.PREGNANCY, False, f"Pregnancy status: {label.lower()}.", {"status": status}, {}


def pre_dose_vitals(rules, answers):
    hold_s, hold_d = rule(rules, "vitals.hold_systolic_above"), rule(rules, "vitals.hold_diastolic_above")
    systolic, diastolic = answers.get("systolic"), answers.get("diastolic")
    applied = {
        "text": f"Hold when above {hold_s.value}/{hold_d.value} mmHg before dosing",
        "source": hold_s.source,
    }
    found = {f: answers.get(f) for f in ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")}
    if systolic is None or diastolic is None:
        return CheckKind.VITALS, False, "Take the blood pressure before dosing.", found, applied
    problems = []
    if systolic > hold_s.value or diastolic > hold_d.value:
        problems.append(
            f"blood pressure {systolic}/{diastolic} is above {hold_s.value}/{hold_d.value} ({hold_s.source})"
        )
    spo2 = rule(rules, "vitals.alert_spo2_below")
    if spo2.value is not None and answers.get("spo2") is not None and answers["spo2"] < spo2.value:
        problems.append(f"SpO2 {answers['spo2']}% is below {spo2.value}% ({spo2.source})")
    if problems:
        return CheckKind.VITALS, False, "; ".join(problems).capitalize() + ".", found, applied
    return (
        CheckKind.VITALS,
        True,
        f"Blood pressure {systolic}/{diastolic}, within the protocol's limits.",
        found,
        applied,
    )


def weight(answers):
    kg = answers.get("weight_kg")
    if kg is None:
        return CheckKind.WEIGHT, False, "Weigh the patient: the dose may depend on today's weight.", {}, {}
    return CheckKind.WEIGHT, True, f"{kg} kg.", {"kg": str(kg)}, {}
