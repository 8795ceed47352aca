"""Signed means frozen for the evaluation too: once a prescriber signs a decision on it, it is that
decision's evidence and cannot change; what changes later goes into a re-evaluation."""

import re

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Diagnosis, EligibilityDecision, Evaluation, Frozen, Medication
from kapcare.evaluation.signing import evaluation_of, sign_decision
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.evaluation.tests.test_evaluation import form_data
from kapcare.portal.tests.conftest import portal_sign_in


@pytest.fixture
def needs_clearance(prescriber, course):
    evaluation = make_evaluation(course, hypertension="uncontrolled", systolic_bp=152, diastolic_bp=96)
    Medication.objects.create(
        evaluation=evaluation, name="sertraline", drug_class="ssri", dose=100, unit="mg"
    )
    sign_decision(course, outcome="needs_clearance", rationale="Ask the PCP.", by=prescriber)
    return course


def test_signing_a_decision_freezes_the_evaluation_it_rests_on(needs_clearance):
    evaluation = Evaluation.objects.get()
    assert evaluation.decided_at == EligibilityDecision.objects.get().signed_at
    evaluation.hypertension = "controlled"
    with pytest.raises(Frozen, match="start a re-evaluation"):
        evaluation.save()
    with pytest.raises(Frozen):
        evaluation.delete()
    assert Evaluation.objects.get().hypertension == "uncontrolled"


def test_the_frozen_evaluations_medications_and_diagnoses_cannot_change(needs_clearance):
    evaluation = Evaluation.objects.get()
    with pytest.raises(Frozen):
        Medication.objects.create(evaluation=evaluation, name="phenelzine", drug_class="maoi")
    with pytest.raises(Frozen):
        Diagnosis.objects.create(evaluation=evaluation, code="F33.2")
    with pytest.raises(Frozen):
        evaluation.medications.get().delete()
    assert [m.name for m in evaluation.medications.all()] == ["sertraline"]


def test_a_stale_copy_loaded_before_the_decision_cannot_change_it_either(prescriber, course):
    make_evaluation(course)
    stale = Evaluation.objects.get()
    sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    stale.goals = "Rewritten afterwards"
    with pytest.raises(Frozen):
        stale.save()


def test_posting_changes_to_a_decided_evaluation_saves_nothing_and_says_why(
    signed_in, prescriber, needs_clearance
):
    url = reverse("evaluation:evaluation", kwargs={"pk": needs_clearance.pk})
    response = signed_in(prescriber).post(url, form_data(hypertension="controlled"), follow=True)
    page = response.content.decode()
    assert "Nothing was saved: this evaluation is the evidence of a signed eligibility decision" in page
    evaluation = Evaluation.objects.get()
    assert evaluation.hypertension == "uncontrolled"
    assert list(evaluation.diagnoses.all()) == []


def test_the_decided_evaluation_is_shown_read_only_with_a_way_to_re_evaluate(
    signed_in, prescriber, needs_clearance
):
    page = signed_in(prescriber).get(reverse("evaluation:evaluation", kwargs={"pk": needs_clearance.pk}))
    html = page.content.decode()
    assert "Read only: this evaluation is the evidence of the eligibility decision" in html
    assert "Save evaluation" not in html
    assert re.search(r'<select name="hypertension"[^>]*disabled', html)
    assert "hx-post" not in html.split('class="panel evaluation-form"')[1].split(">")[0]
    assert reverse("evaluation:reevaluate", kwargs={"pk": needs_clearance.pk}) in html


def test_a_re_evaluation_copies_the_frozen_one_and_the_decision_keeps_its_snapshot(
    signed_in, prescriber, needs_clearance
):
    client = signed_in(prescriber)
    client.post(reverse("evaluation:reevaluate", kwargs={"pk": needs_clearance.pk}))
    original, current = Evaluation.objects.order_by("pk")
    assert evaluation_of(needs_clearance) == current
    assert current.previous == original and current.decided_at is None
    assert [m.name for m in current.medications.all()] == ["sertraline"]
    assert current.hypertension == "uncontrolled"
    assert AuditEvent.objects.filter(
        action="create", object_type="Evaluation", object_id=str(current.pk)
    ).exists()

    url = reverse("evaluation:evaluation", kwargs={"pk": needs_clearance.pk})
    data = form_data(hypertension="controlled", systolic_bp="128", diastolic_bp="82")
    data |= {"medications-INITIAL_FORMS": "1", "medications-0-id": str(current.medications.get().pk)}
    assert client.post(url, data).status_code == 302
    current.refresh_from_db()
    assert current.hypertension == "controlled"
    sign_decision(needs_clearance, outcome="eligible", rationale="PCP cleared; BP controlled.", by=prescriber)

    first, second = EligibilityDecision.objects.order_by("pk")
    assert "uncontrolled-hypertension" in [f["rule"] for f in first.findings]
    assert "uncontrolled-hypertension" not in [f["rule"] for f in second.findings]
    original.refresh_from_db()
    assert original.hypertension == "uncontrolled"
    current.refresh_from_db()
    assert current.is_decided


def test_only_one_re_evaluation_is_in_progress_at_a_time(prescriber, needs_clearance):
    frozen = Evaluation.objects.get()
    frozen.reevaluate(by=prescriber)
    with pytest.raises(Exception, match="already in progress"):
        frozen.reevaluate(by=prescriber)
    assert Evaluation.objects.count() == 2


def test_the_patient_cannot_change_their_history_after_the_decision(client, patient, needs_clearance):
    portal_sign_in(client, patient)
    response = client.post(reverse("evaluation_portal:history"), {"goals": "Changed later"}, follow=True)
    assert "already made a decision on your history" in response.content.decode()
    evaluation = Evaluation.objects.get()
    assert evaluation.goals == "Feel like myself again." and evaluation.reported_by_patient_at is None
