"""What a dosing session asks of the apps before it, each through one small function.

The sessions app reads consent, the preparation checklist, the eligibility decision and safety
flags from the apps that own them. Each is imported here, lazily, so that a clinic without one of
those apps installed still runs; the answer then says the check could not be made.
"""

from dataclasses import dataclass

from django.apps import apps


@dataclass
class Answer:
    """A finding from another app: whether it is fine, what was seen, and whether it could be checked."""

    ok: bool
    detail: str
    available: bool = True


def consent_current(patient) -> Answer:
    if not apps.is_installed("kapcare.patients"):
        return Answer(False, "Consent records are not available.", available=False)
    from kapcare.patients.consent import ConsentKind, consent_status

    rows = {row["kind"]: row for row in consent_status(patient)}
    kap = rows.get(ConsentKind.KAP)
    if kap is None:
        return Answer(False, "The clinic has not published a KAP consent document.")
    if kap["signature"] is None:
        return Answer(False, "The patient has not signed the KAP consent.")
    if kap["withdrawn"]:
        version = kap["document"].version
        return Answer(False, f"The patient withdrew the KAP consent; version {version} must be signed again.")
    if kap["due"]:
        return Answer(
            False,
            f"The patient signed version {kap['signature'].version}; version "
            f"{kap['document'].version} is current and not yet signed.",
        )
    return Answer(True, f"KAP consent version {kap['document'].version} signed.")


def at_home_consent_current(patient) -> Answer:
    """The at-home sessions addendum: signed in its current version and not withdrawn."""
    if not apps.is_installed("kapcare.patients"):
        return Answer(False, "Consent records are not available.", available=False)
    from kapcare.patients.consent import ConsentKind, consent_status

    title = ConsentKind.AT_HOME.label.lower()
    row = next((r for r in consent_status(patient) if r["kind"] == ConsentKind.AT_HOME), None)
    if row is None:
        return Answer(False, f"An at-home session needs the {title}; the clinic has not published one.")
    version = row["document"].version
    if row["signature"] is None:
        return Answer(False, f"An at-home session needs the {title}; the patient has not signed it.")
    if row["withdrawn"]:
        return Answer(False, f"The patient withdrew the {title}; version {version} must be signed again.")
    if row["due"]:
        return Answer(
            False,
            f"The patient signed version {row['signature'].version} of the {title}; version {version} "
            "is current and not yet signed.",
        )
    return Answer(True, f"{ConsentKind.AT_HOME.label} version {version} signed.")


def at_home_refusal(course) -> str | None:
    """Why this course may not book an at-home session, or None when its signed treatment plan
    allows one: the plan allows at-home sessions, and at least the plan's number of in-clinic
    dosing sessions of the course have been discharged."""
    if not apps.is_installed("kapcare.evaluation"):
        return "At-home sessions need a signed treatment plan, and the evaluation app is not installed."
    from kapcare.evaluation.models import TreatmentPlan
    from kapcare.sessions.models import DosingSession, Setting, State

    plan = TreatmentPlan.objects.filter(course=course).first()
    if plan is None:
        return "At-home sessions need a signed treatment plan that allows them; this course has none."
    signed = f"the treatment plan signed {plan.signed_at:%b %-d, %Y}"
    if not plan.at_home_allowed:
        return f"At home is not allowed: {signed} does not allow at-home sessions."
    needed = plan.at_home_after_sessions or 0
    done = DosingSession.objects.filter(course=course, setting=Setting.CLINIC, state=State.DISCHARGED).count()
    if done < needed:
        return (
            f"At home is not allowed yet: {signed} allows at-home sessions only after {needed} "
            f"in-clinic dosing session{'s' if needed != 1 else ''} discharged, and "
            f"{done} {'has' if done == 1 else 'have'} been."
        )
    return None


def checklist_confirmed(patient, day) -> Answer:
    from kapcare.patients.preparation import checklist_status

    status = checklist_status(patient, day)
    if not status.confirmed:
        return Answer(False, f"The patient has not confirmed the preparation checklist for {day:%b %-d}.")
    return Answer(True, "Confirmed: " + " ".join(item["text"] for item in status.items))


def new_exclusions(course) -> Answer:
    """Exclusions found since the eligibility decision was signed (the evaluation app's rules)."""
    if not apps.is_installed("kapcare.evaluation"):
        return Answer(
            False,
            "No eligibility decision can be found: the evaluation app is not installed.",
            available=False,
        )
    from kapcare.clinics.models import Protocol
    from kapcare.clinics.protocol import Level
    from kapcare.evaluation.signing import evaluation_of, findings_for, latest_decision

    decision = latest_decision(course)
    evaluation = evaluation_of(course)
    if decision is None or evaluation is None:
        return Answer(False, "No signed eligibility decision is on record for this course.")
    known = {f["rule"] for f in decision.findings if f["level"] == Level.EXCLUSION}
    now = findings_for(evaluation, Protocol.active_for(course.clinic))
    new = [f for f in now if f.level == Level.EXCLUSION and f.rule not in known]
    if new:
        return Answer(False, "New exclusion since the decision: " + "; ".join(f.title for f in new) + ".")
    return Answer(
        True, f"Screening today finds no exclusion beyond the decision of {decision.signed_at:%b %-d, %Y}."
    )


def open_suicide_flags(patient) -> Answer:
    if not apps.is_installed("kapcare.measures"):
        return Answer(False, "Safety flags are not available.", available=False)
    from kapcare.measures.models import SafetyAlert

    alerts = list(SafetyAlert.objects.open().filter(patient=patient).values_list("rule_label", flat=True))
    if alerts:
        return Answer(False, "Open safety flag: " + "; ".join(alerts) + ".")
    return Answer(True, "No open suicide-risk or safety flags.")


def dosing_session_scheduled(session) -> None:
    if apps.is_installed("kapcare.measures"):
        from kapcare.measures.schedule import dosing_session_scheduled as scheduled

        scheduled(session.course, f"dosing-{session.pk}", session.planned_start)


def dosing_session_completed(session, ended_at) -> None:
    if apps.is_installed("kapcare.measures"):
        from kapcare.measures.schedule import dosing_session_completed as completed

        completed(session.course, f"dosing-{session.pk}", ended_at)
