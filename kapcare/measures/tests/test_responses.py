"""Storing completed responses: whole and scored or not at all, the alerts they raise, and the
queries that find them."""

import pytest
from django.db import IntegrityError

from kapcare.audit.models import AuditEvent
from kapcare.measures.models import Response, SafetyAlert, install_shipped, record_response
from kapcare.measures.scoring import ScoringError
from kapcare.measures.tests.conftest import phq9_answers


def test_a_complete_phq9_is_stored_with_total_band_and_item_scores(phq9, patient, course):
    response = record_response(phq9, patient, phq9_answers([2, 2, 1, 1, 1, 1, 1, 1, 0]), via="link")
    response.refresh_from_db()
    assert response.total == 10
    assert response.band_label == "Moderate"
    assert response.item_scores["/44250-9"] == 2
    assert response.course == course
    assert response.definition_version == phq9.version
    assert [r["code"] for r in response.rules if r["met"]] == ["major-depression-screen"]
    assert not SafetyAlert.objects.exists()


def test_an_incomplete_phq9_is_refused_item_by_item_and_nothing_is_stored(phq9, patient):
    answers = phq9_answers([1, 1, 1, 1, 1, 1, 1, 1, 1])
    del answers["/44260-8"]
    answers["/44250-9"] = "LA-not-an-answer"
    with pytest.raises(ScoringError) as refused:
        record_response(phq9, patient, answers, via="link")
    assert set(refused.value.by_item) == {"/44260-8", "/44250-9"}
    assert "an answer is required" in refused.value.by_item["/44260-8"]
    assert Response.objects.count() == 0
    assert SafetyAlert.objects.count() == 0


def test_a_positive_item_9_raises_an_alert_to_the_course_prescriber(phq9, patient, course, prescriber):
    response = record_response(phq9, patient, phq9_answers([0, 0, 0, 0, 0, 0, 0, 0, 1]), via="link")
    alert = SafetyAlert.objects.get()
    assert alert.response == response
    assert alert.prescriber == prescriber
    assert alert.rule_code == "suicide-risk"
    assert "item 9" in alert.rule_label
    assert "instruments.md §1.1" in alert.source
    assert alert.follow_up == "clinician_review"
    assert alert.follow_up_assignee == prescriber
    assert AuditEvent.objects.filter(object_type="SafetyAlert", action="create").exists()


def test_the_follow_up_task_kind_is_a_setting(phq9, patient, course, settings):
    settings.MEASURES_ALERT_FOLLOW_UP = "cssrs"
    record_response(phq9, patient, phq9_answers([0] * 8 + [2]), via="link")
    assert SafetyAlert.objects.get().get_follow_up_display() == "C-SSRS screen"


def test_item_9_at_zero_raises_no_alert_however_high_the_total(phq9, patient, course):
    record_response(phq9, patient, phq9_answers([3, 3, 3, 3, 3, 3, 3, 3, 0]), via="link")
    assert SafetyAlert.objects.count() == 0


def test_a_response_without_a_scoring_version_cannot_be_stored(phq9, patient):
    with pytest.raises(IntegrityError):
        Response.objects.create(
            clinic=patient.clinic,
            patient=patient,
            instrument=phq9,
            answers={},
            item_scores={},
            entered_via="link",
            definition_version="",
        )


def test_staff_entry_must_name_who_entered_it(phq9, patient):
    with pytest.raises(IntegrityError):
        Response.objects.create(
            clinic=patient.clinic,
            patient=patient,
            instrument=phq9,
            answers={},
            item_scores={},
            entered_via="clinic",
            definition_version="x",
        )


def test_for_instrument_finds_only_that_instruments_responses(phq9, gad7, patient):
    record_response(phq9, patient, phq9_answers([1] * 8 + [0]), via="link")
    gad = record_response(
        gad7, patient, {i.answer_key: "LA6568-5" for i in gad7.definition().items}, via="link"
    )
    assert list(Response.objects.for_instrument("phq-9").values_list("total", flat=True)) == [8]
    assert list(Response.objects.for_instrument("gad-7")) == [gad]


def test_responses_are_visible_only_inside_their_clinic(phq9, patient, prescriber, outsider):
    record_response(phq9, patient, phq9_answers([1] * 9), via="link")
    prescriber.active_membership = prescriber.memberships.get()
    outsider.active_membership = outsider.memberships.get()
    assert Response.objects.visible_to(prescriber).count() == 1
    assert Response.objects.visible_to(outsider).count() == 0
    assert SafetyAlert.objects.visible_to(outsider).count() == 0


def test_storing_a_response_is_audited(phq9, patient):
    response = record_response(phq9, patient, phq9_answers([1] * 8 + [0]), via="link")
    event = AuditEvent.objects.get(object_type="Response", object_id=str(response.pk))
    assert event.action == "create" and event.patient_id == patient.pk


def test_installing_the_shipped_instruments_twice_keeps_one_of_each(clinic):
    install_shipped(clinic)
    install_shipped(clinic)
    names = list(clinic.instruments.values_list("name", flat=True))
    assert len(names) == len(set(names)) == 13
    cssrs = clinic.instruments.get(name="c-ssrs-screener")
    assert cssrs.questionnaire is None and not cssrs.shows_item_text
    assert "Pfizer" in clinic.instruments.get(name="phq-9").copyright


SEVERE_RULE = {
    "code": "severe-total",
    "label": "PHQ-9 total of 20 or more: call the patient within a day",
    "level": "urgent",
    "when": {"score": "total", "op": ">=", "value": 20},
    "source": "Riverside KAP protocol, March 2026",
}


def test_a_rule_the_clinic_adds_raises_an_alert_with_its_own_label_and_source(phq9, patient, course):
    phq9.clinic_rules = [SEVERE_RULE]
    phq9.full_clean()
    phq9.save()
    response = record_response(phq9, patient, phq9_answers([3, 3, 3, 3, 3, 3, 2, 0, 0]), via="link")
    alert = SafetyAlert.objects.get()
    assert alert.rule_code == "severe-total" and alert.source == "Riverside KAP protocol, March 2026"
    assert response.flags[-1]["code"] == "severe-total"
    record_response(phq9, patient, phq9_answers([3, 3, 3, 3, 3, 3, 1, 0, 0]), via="link")
    assert SafetyAlert.objects.count() == 1  # 19 does not meet it


def test_a_clinic_rule_naming_an_item_the_instrument_lacks_is_refused(phq9):
    from django.core.exceptions import ValidationError

    phq9.clinic_rules = [{**SEVERE_RULE, "when": {"item": "/no-such-item", "op": ">", "value": 0}}]
    with pytest.raises(ValidationError, match="unknown item /no-such-item"):
        phq9.full_clean()
