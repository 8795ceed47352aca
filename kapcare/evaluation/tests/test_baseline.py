"""The PHQ-9 item 9 screening rule reads the patient's latest PHQ-9 from the measures engine."""

from django.urls import reverse

from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.measures.models import install_shipped, record_response
from kapcare.measures.scoring import shipped_definition
from kapcare.measures.tests.responses import answers_for


def phq9(clinic, patient, scores):
    instrument = {i.name: i for i in install_shipped(clinic)}["phq-9"]
    return record_response(instrument, patient, answers_for(shipped_definition("phq-9"), scores), via="link")


def panel(client, course):
    return client.get(reverse("evaluation:panel", kwargs={"pk": course.patient_id})).content.decode()


def test_a_positive_item_9_on_the_latest_phq9_asks_for_a_risk_assessment(
    signed_in, prescriber, clinic, course
):
    make_evaluation(course)
    phq9(clinic, course.patient, [2] * 8 + [1])
    assert "PHQ-9 item 9 positive" in panel(signed_in(prescriber), course)


def test_a_later_phq9_with_item_9_at_zero_clears_that_finding(signed_in, prescriber, clinic, course):
    make_evaluation(course)
    phq9(clinic, course.patient, [2] * 8 + [1])
    phq9(clinic, course.patient, [1] * 8 + [0])
    page = panel(signed_in(prescriber), course)
    assert "PHQ-9 item 9 positive" not in page
    assert "Latest PHQ-9: 8" in page  # the later one, which the rules read


def test_without_a_phq9_the_rule_is_silent_and_the_evaluation_says_so(signed_in, prescriber, course):
    make_evaluation(course)
    page = panel(signed_in(prescriber), course)
    assert "PHQ-9 item 9 positive" not in page
    assert "No PHQ-9 on file" in page
