"""Check-in: every pre-check recorded; any failure holds the session with its reason; only a
prescriber's recorded override lets a held session go ahead."""

from decimal import Decimal

import pytest

from kapcare.measures.models import SafetyAlert
from kapcare.patients.preparation import PreparationConfirmation
from kapcare.sessions.models import CheckKind, SessionError
from kapcare.sessions.tests.conftest import GOOD_ANSWERS


def check_in(session, nurse, **changes):
    checks = session.check_in(by=nurse, answers=GOOD_ANSWERS | changes)
    session.refresh_from_db()
    return {check.kind: check for check in checks}


def test_it_clears_the_session_when_every_pre_check_passes(session, nurse):
    checks = check_in(session, nurse)
    assert session.state == "cleared"
    assert set(checks) == set(CheckKind.values) - {CheckKind.AT_HOME_CONSENT}  # in clinic
    assert all(check.passed for check in checks.values())
    assert session.vitals.get().pre_dose is True
    assert session.weight_kg == Decimal("70.0")


def test_it_holds_the_session_when_identity_is_not_confirmed(session, nurse):
    checks = check_in(session, nurse, identity_confirmed=False)
    assert session.state == "held"
    assert not checks["identity"].passed
    assert "Identity not confirmed" in session.held_reason


def test_it_holds_the_session_when_the_kap_consent_is_not_signed(patient, active_course, nurse):
    from kapcare.sessions.tests.conftest import confirm_checklist, schedule

    confirm_checklist(patient)
    session = schedule(active_course, nurse)
    checks = check_in(session, nurse)
    assert session.state == "held"
    assert not checks["consent"].passed
    assert "consent" in session.held_reason.lower()


def test_it_holds_the_session_when_a_newer_consent_version_is_unsigned(session, nurse, prescriber):
    from kapcare.patients.consent import ConsentDocument, ConsentKind

    ConsentDocument.publish(
        session.clinic, ConsentKind.KAP, "Informed consent", "Revised text.", by=prescriber
    )
    checks = check_in(session, nurse)
    assert not checks["consent"].passed
    assert "version 2 is current" in checks["consent"].detail


def test_it_holds_the_session_when_the_kap_consent_was_withdrawn_and_says_so(session, nurse, prescriber):
    from kapcare.patients.consent import ConsentKind, ConsentSignature

    signature = ConsentSignature.objects.get(patient=session.patient, document__kind=ConsentKind.KAP)
    signature.withdraw(channel="clinic", recorded_by=prescriber, actor=prescriber, note="Changed mind.")
    checks = check_in(session, nurse)
    assert session.state == "held"
    assert "withdrew the KAP consent" in checks["consent"].detail


def test_it_holds_the_session_when_the_checklist_is_not_confirmed_for_today(session, nurse):
    PreparationConfirmation.objects.filter(patient=session.patient).delete()
    checks = check_in(session, nurse)
    assert session.state == "held"
    assert not checks["checklist"].passed


def test_it_holds_the_session_when_the_patient_reports_a_new_condition(session, nurse):
    checks = check_in(session, nurse, new_conditions=True, new_conditions_detail="Diagnosed with glaucoma")
    assert not checks["exclusion"].passed
    assert "glaucoma" in session.held_reason


def test_it_holds_the_session_when_screening_finds_a_new_exclusion_since_the_decision(session, nurse):
    from kapcare.evaluation.models import Evaluation

    Evaluation.objects.filter(course=session.course).update(aneurysm_or_avm=True)
    checks = check_in(session, nurse)
    assert not checks["exclusion"].passed
    assert "aneurysm" in checks["exclusion"].detail.lower()


def test_it_holds_the_session_when_the_course_is_not_active(session, nurse, prescriber):
    session.course.pause(by=prescriber, reason="Travelling")
    checks = check_in(session, nurse)
    assert not checks["exclusion"].passed
    assert "paused" in checks["exclusion"].detail


def test_it_holds_the_session_when_medications_changed(session, nurse):
    checks = check_in(session, nurse, medications_changed=True, medication_changes="Started lorazepam 1 mg")
    assert not checks["medications"].passed
    assert "lorazepam" in session.held_reason


def test_it_holds_the_session_when_a_suicide_risk_flag_is_open(session, nurse, monkeypatch):
    from kapcare.sessions import seams

    monkeypatch.setattr(
        seams,
        "open_suicide_flags",
        lambda patient: seams.Answer(False, "Open safety flag: PHQ-9 item 9 positive."),
    )
    checks = check_in(session, nurse)
    assert not checks["suicide_risk"].passed
    assert "PHQ-9 item 9" in session.held_reason


def test_the_suicide_risk_check_reads_open_safety_alerts_from_measures(session):
    from kapcare.sessions.seams import open_suicide_flags

    assert open_suicide_flags(session.patient).ok
    assert SafetyAlert.objects.open().filter(patient=session.patient).count() == 0


@pytest.mark.parametrize("status", ["pregnant", "unknown"])
def test_it_holds_the_session_when_pregnancy_is_possible_or_unknown(session, nurse, status):
    checks = check_in(session, nurse, pregnancy=status)
    assert not checks["pregnancy"].passed


def test_pregnancy_status_does_not_apply_to_a_patient_male_at_birth(session, nurse):
    type(session.patient).objects.filter(pk=session.patient_id).update(sex_at_birth="male")
    session.patient.sex_at_birth = "male"
    checks = check_in(session, nurse, pregnancy="unknown")
    assert checks["pregnancy"].passed


def test_it_holds_the_session_when_systolic_is_above_the_protocol_hold_limit(session, nurse):
    checks = check_in(session, nurse, systolic=141, diastolic=80)
    assert session.state == "held"
    assert "141/80 is above 140/90" in checks["vitals"].detail
    assert "Spravato" in checks["vitals"].rule["source"]


def test_it_clears_the_session_at_exactly_the_hold_limit(session, nurse):
    check_in(session, nurse, systolic=140, diastolic=90)
    assert session.state == "cleared"


def test_it_holds_the_session_when_diastolic_is_above_the_protocol_hold_limit(session, nurse):
    checks = check_in(session, nurse, systolic=130, diastolic=91)
    assert not checks["vitals"].passed


def test_it_holds_the_session_when_no_weight_is_recorded(session, nurse):
    checks = check_in(session, nurse, weight_kg=None)
    assert not checks["weight"].passed


def test_a_prescriber_overrides_a_hold_with_a_recorded_reason(session, nurse, prescriber):
    check_in(session, nurse, systolic=146, diastolic=88)
    session.override_hold(by=prescriber, reason="Baseline 142-148 on home readings; discussed with patient.")
    session.refresh_from_db()
    assert session.state == "cleared"
    assert session.override_by == prescriber
    assert "home readings" in session.override_reason


def test_a_nurse_cannot_override_a_hold(session, nurse):
    check_in(session, nurse, identity_confirmed=False)
    with pytest.raises(SessionError, match="Only a prescriber"):
        session.override_hold(by=nurse, reason="Looks fine")
    session.refresh_from_db()
    assert session.state == "held"


def test_an_override_without_a_reason_is_refused(session, nurse, prescriber):
    check_in(session, nurse, identity_confirmed=False)
    with pytest.raises(SessionError, match="reason"):
        session.override_hold(by=prescriber, reason="  ")
    session.refresh_from_db()
    assert session.state == "held" and session.override_at is None


def test_a_held_session_cannot_be_dosed(session, nurse, prescriber):
    from kapcare.sessions.models import dose

    check_in(session, nurse, identity_confirmed=False)
    with pytest.raises(SessionError, match="cleared"):
        dose.order_dose(session, by=prescriber, route="iv", amount_mg=30)


def test_check_in_is_audited_with_each_transition(session, nurse):
    from kapcare.audit.models import AuditEvent

    check_in(session, nurse)
    moves = [
        e.detail["to"]
        for e in AuditEvent.objects.filter(object_type="DosingSession", action="transition").order_by("seq")
    ]
    assert moves == ["checked_in", "cleared"]
