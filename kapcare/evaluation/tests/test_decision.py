"""The signed eligibility decision: it records the findings and protocol version, moves the course,
needs a reason to override an exclusion, and once signed is frozen; addenda keep the original."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import default_rules
from kapcare.evaluation.models import Addendum, EligibilityDecision, Frozen
from kapcare.evaluation.signing import PreparationError, sign_decision
from kapcare.evaluation.tests.factories import make_evaluation


def decide_url(course):
    return reverse("evaluation:decide", kwargs={"pk": course.pk})


def test_signing_an_eligible_decision_records_findings_and_protocol_version_and_moves_the_course(
    signed_in, prescriber, course
):
    make_evaluation(course, hypertension="controlled")
    response = signed_in(prescriber).post(
        decide_url(course), {"outcome": "eligible", "rationale": "Suitable."}
    )
    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.signed_by == prescriber
    assert decision.protocol_version == 1
    assert [f["rule"] for f in decision.findings] == ["controlled-hypertension"]
    assert not decision.overrides_exclusion
    course.refresh_from_db()
    assert course.state == "eligible"
    assert AuditEvent.objects.filter(action="sign", object_type="EligibilityDecision").exists()


def test_the_decision_page_shows_the_findings_for_the_prescriber_to_review(signed_in, prescriber, course):
    make_evaluation(course, hypertension="uncontrolled")
    page = signed_in(prescriber).get(decide_url(course)).content.decode()
    assert "Uncontrolled hypertension" in page
    assert "Needs medical clearance" in page
    assert "Sign decision" in page


def test_needs_clearance_then_eligible_after_clearance_keeps_both_decisions(prescriber, course):
    make_evaluation(course, systolic_bp=152, diastolic_bp=96)
    sign_decision(course, outcome="needs_clearance", rationale="Ask the PCP.", by=prescriber)
    sign_decision(course, outcome="eligible", rationale="PCP cleared; BP now controlled.", by=prescriber)
    assert list(EligibilityDecision.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "needs_clearance",
        "eligible",
    ]
    course.refresh_from_db()
    assert course.state == "eligible"


def test_marking_eligible_despite_an_exclusion_needs_a_written_reason(signed_in, prescriber, course):
    make_evaluation(course, psychosis="current")
    response = signed_in(prescriber).post(decide_url(course), {"outcome": "eligible", "rationale": "Fine."})
    assert "To mark the patient eligible, write why." in response.content.decode()
    assert not EligibilityDecision.objects.exists()
    course.refresh_from_db()
    assert course.state == "evaluating"


def test_an_override_of_an_exclusion_is_flagged_in_the_record(signed_in, prescriber, course):
    make_evaluation(course, psychosis="current")
    signed_in(prescriber).post(
        decide_url(course),
        {
            "outcome": "eligible",
            "rationale": "Reviewed.",
            "override_reason": "Psychiatrist letter: symptoms resolved.",
        },
    )
    decision = EligibilityDecision.objects.get()
    assert decision.overrides_exclusion
    assert decision.override_reason == "Psychiatrist letter: symptoms resolved."
    panel = signed_in(prescriber).get(reverse("evaluation:panel", kwargs={"pk": course.patient_id}))
    assert "Overrides an exclusion." in panel.content.decode()


def test_declining_after_an_exclusion_needs_no_override_reason(prescriber, course):
    make_evaluation(course, pregnant=True)
    decision = sign_decision(
        course, outcome="ineligible", rationale="Pregnant; revisit after.", by=prescriber
    )
    assert not decision.overrides_exclusion
    course.refresh_from_db()
    assert course.state == "ineligible"


def test_a_decision_records_the_version_in_force_when_it_was_signed(admin, prescriber, course):
    make_evaluation(course, systolic_bp=145, diastolic_bp=85)
    rules = default_rules()
    for rule in rules["screening"]:
        if rule["id"] == "blood-pressure-high-at-evaluation":
            rule["when"] = {
                "any": [{"fact": "systolic_bp", "above": 150}, {"fact": "diastolic_bp", "above": 95}]
            }
    Protocol.revise(course.clinic, rules, by=admin, note="Raise the evaluation BP threshold")
    decision = sign_decision(course, outcome="eligible", rationale="BP fine by our protocol.", by=prescriber)
    assert decision.protocol_version == 2
    assert decision.findings == []


def test_a_decision_needs_an_evaluation(prescriber, course):
    with pytest.raises(PreparationError, match="Fill in the evaluation before deciding."):
        sign_decision(course, outcome="eligible", rationale="x", by=prescriber)


def test_a_signed_decision_cannot_be_edited_or_deleted(prescriber, course):
    make_evaluation(course)
    decision = sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    decision.rationale = "Changed my mind."
    with pytest.raises(Frozen):
        decision.save()
    with pytest.raises(Frozen):
        EligibilityDecision.objects.filter(pk=decision.pk).update(outcome="ineligible")
    with pytest.raises(Frozen):
        decision.delete()
    assert EligibilityDecision.objects.get().rationale == "Suitable."


def test_an_addendum_corrects_a_decision_and_keeps_the_original(signed_in, prescriber, course):
    make_evaluation(course)
    decision = sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    url = reverse("evaluation:decision_addendum", kwargs={"pk": decision.pk})
    signed_in(prescriber).post(url, {"text": "Also discussed the at-home option."})
    addendum = Addendum.objects.get()
    assert addendum.decision == decision
    assert EligibilityDecision.objects.get().rationale == "Suitable."
    assert AuditEvent.objects.filter(
        action="sign", object_type="Addendum", patient_id=course.patient_id
    ).exists()
    panel = signed_in(prescriber).get(reverse("evaluation:panel", kwargs={"pk": course.patient_id}))
    assert "Also discussed the at-home option." in panel.content.decode()


def test_an_empty_addendum_is_refused(signed_in, prescriber, course):
    make_evaluation(course)
    decision = sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    signed_in(prescriber).post(
        reverse("evaluation:decision_addendum", kwargs={"pk": decision.pk}), {"text": " "}
    )
    assert not Addendum.objects.exists()


def test_billing_sees_where_preparation_stands_but_none_of_its_content(
    signed_in, billing, prescriber, course
):
    make_evaluation(course, hypertension="uncontrolled")
    sign_decision(
        course, outcome="needs_clearance", rationale="Ask the PCP about her blood pressure.", by=prescriber
    )
    page = (
        signed_in(billing).get(reverse("evaluation:panel", kwargs={"pk": course.patient_id})).content.decode()
    )
    assert "Needs medical clearance, signed" in page
    assert "Uncontrolled hypertension" not in page
    assert "blood pressure" not in page
    assert "Findings, history and doses are shown to the clinical team only." in page


def test_the_panel_shows_the_findings_the_decision_was_signed_on(signed_in, prescriber, course):
    make_evaluation(course, hypertension="uncontrolled")
    sign_decision(course, outcome="needs_clearance", rationale="Ask the PCP.", by=prescriber)
    page = (
        signed_in(prescriber)
        .get(reverse("evaluation:panel", kwargs={"pk": course.patient_id}))
        .content.decode()
    )
    assert "Findings when signed: Uncontrolled hypertension." in page


def test_the_database_itself_refuses_to_change_a_signed_decision(prescriber, course):
    from django.db import DatabaseError, connection, transaction

    make_evaluation(course)
    decision = sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    with pytest.raises(DatabaseError, match="signed records cannot be changed"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE evaluation_eligibilitydecision SET rationale = %s WHERE id = %s",
                ["Rewritten", decision.pk],
            )
    assert EligibilityDecision.objects.get().rationale == "Suitable."
