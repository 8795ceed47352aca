"""The treatment plan: dose and IV-equivalent by the protocol's bioavailability, the protocol's
maximum enforced, the integration window, signing, freezing, and starting the course."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.clinics.models import Protocol
from kapcare.evaluation.models import Diagnosis, Frozen, TreatmentPlan
from kapcare.evaluation.signing import PreparationError, dose_for, evaluation_of, sign_decision, start_course
from kapcare.evaluation.tests.factories import make_evaluation, signed_plan
from kapcare.patients.tests.factories import sign_kap_consent


@pytest.fixture
def eligible(prescriber, course):
    evaluation = make_evaluation(course)
    Diagnosis.objects.create(evaluation=evaluation, code="F33.2", description="MDD, recurrent severe")
    sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    return course


def plan_data(**changes):
    data = {
        "target_conditions": ["F33.2"],
        "target_measures": ["phq-9", "gad-7"],
        "measures_schedule": "weekly",
        "route": "lozenge",
        "dose_amount": "200",
        "dose_unit": "mg",
        "weight_kg": "70",
        "dosing_sessions": "6",
        "cadence_days": "7",
        "integration_sessions_after_each": "1",
        "integration_within_hours": "48",
    }
    return data | changes


def plan_url(course):
    return reverse("evaluation:plan", kwargs={"pk": course.pk})


def test_the_iv_equivalent_of_a_lozenge_dose_uses_the_protocols_bioavailability(clinic):
    rules = Protocol.active_for(clinic).rules
    dose = dose_for("lozenge", Decimal("200"), "mg", Decimal("70"), rules)
    assert dose.mg == Decimal("200.0")
    assert dose.iv_equivalent_mg == Decimal("64.0")  # 200 mg × 0.32
    assert dose.iv_equivalent_mg_per_kg == Decimal("0.914")
    assert dose.problems == []


def test_a_dose_in_mg_per_kg_uses_todays_weight(clinic):
    dose = dose_for("im", Decimal("0.5"), "mg/kg", Decimal("80"), Protocol.active_for(clinic).rules)
    assert dose.mg == Decimal("40.0")
    assert dose.iv_equivalent_mg == Decimal("37.2")  # 40 mg × 0.93


def test_a_dose_just_at_the_protocol_maximum_is_allowed_and_just_above_is_refused(clinic):
    rules = Protocol.active_for(clinic).rules
    assert dose_for("iv", Decimal("2.0"), "mg/kg", Decimal("70"), rules).problems == []
    (problem,) = dose_for("iv", Decimal("2.01"), "mg/kg", Decimal("70"), rules).problems
    assert "above the protocol's maximum of 2.0 mg/kg" in problem


def test_a_lozenge_dose_above_the_routes_maximum_in_mg_is_refused(clinic):
    (problem,) = dose_for(
        "lozenge", Decimal("451"), "mg", Decimal("100"), Protocol.active_for(clinic).rules
    ).problems
    assert "above the protocol's maximum of 450 mg for this route" in problem


def test_a_prescriber_signs_the_plan_and_it_records_the_dose_and_protocol_version(
    signed_in, prescriber, eligible
):
    response = signed_in(prescriber).post(plan_url(eligible), plan_data())
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get()
    assert (plan.dose_mg, plan.iv_equivalent_mg, plan.protocol_version) == (
        Decimal("200.0"),
        Decimal("64.0"),
        1,
    )
    assert plan.target_measures == ["phq-9", "gad-7"]
    assert plan.signed_by == prescriber


def test_the_plan_form_shows_the_iv_equivalent_as_the_dose_is_typed(signed_in, prescriber, eligible):
    response = signed_in(prescriber).post(
        plan_url(eligible), plan_data(route="intranasal", dose_amount="100"), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "45.0 mg · 0.643 mg/kg" in body
    assert "<html" not in body
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"route": "iv", "dose_amount": "3", "dose_unit": "mg/kg"},
            "above the protocol&#x27;s maximum of 2.0 mg/kg",
        ),
        ({"weight_kg": "0"}, "Weight must be between 20 and 400 kg."),
        ({"weight_kg": "700"}, "Weight must be between 20 and 400 kg."),
        ({"integration_within_hours": "49"}, "integration window is 48 hours"),
        ({"at_home_allowed": "on"}, "Say after how many in-clinic sessions"),
        ({"target_conditions": ["F41.1"]}, "Select a valid choice"),
    ],
    ids=[
        "dose-above-protocol-max",
        "weight-0",
        "weight-700",
        "integration-outside-window",
        "at-home-without-when",
        "target-not-in-evaluation",
    ],
)
def test_a_plan_that_breaks_the_protocol_is_refused_and_nothing_is_signed(
    signed_in, prescriber, eligible, changes, message
):
    response = signed_in(prescriber).post(plan_url(eligible), plan_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_a_plan_needs_an_eligible_decision_first(prescriber, course):
    make_evaluation(course)
    sign_decision(course, outcome="needs_clearance", rationale="BP.", by=prescriber)
    with pytest.raises(PreparationError, match="Sign an eligible decision before the treatment plan."):
        from kapcare.evaluation.signing import sign_plan

        sign_plan(course, {}, by=prescriber)


def test_a_signed_plan_cannot_be_edited(eligible):
    plan = signed_plan(eligible)
    plan.dosing_sessions = 12
    with pytest.raises(Frozen):
        plan.save()
    assert TreatmentPlan.objects.get().dosing_sessions == 6


def test_signing_an_eligible_decision_and_a_plan_lets_the_course_start(signed_in, prescriber, eligible):
    sign_kap_consent(eligible.patient)
    client = signed_in(prescriber)
    client.post(plan_url(eligible), plan_data())
    client.post(reverse("evaluation:start", kwargs={"pk": eligible.pk}))
    eligible.refresh_from_db()
    assert eligible.state == "active"
    assert eligible.transitions.last().reason == "Eligible decision and treatment plan signed."


def test_a_course_without_a_plan_cannot_start(prescriber, eligible):
    with pytest.raises(PreparationError, match="Sign the treatment plan before starting the course."):
        start_course(eligible, by=prescriber)
    eligible.refresh_from_db()
    assert eligible.state == "eligible"


def test_the_chart_panel_issues_the_same_number_of_queries_however_much_is_recorded(
    signed_in, prescriber, eligible
):
    client = signed_in(prescriber)
    url = reverse("evaluation:panel", kwargs={"pk": eligible.patient_id})
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    plan = signed_plan(eligible)
    from kapcare.evaluation.models import Addendum

    # Changes after the decision go into a re-evaluation, which the panel shows.
    evaluation = evaluation_of(eligible).reevaluate(by=prescriber)
    for n in range(5):
        Addendum.add(plan, f"Note {n}", by=prescriber)
        Diagnosis.objects.create(
            evaluation=evaluation, code=["F41.1", "F43.10", "F42.2", "F32.2", "F40.10"][n]
        )
    more = count()
    assert more <= few + 4  # the plan and its addenda appear once, then stay constant
    for n in range(5):
        Addendum.add(plan, f"More {n}", by=prescriber)
    assert count() == more
