"""The chart's measures panel, assigning questionnaires and entering answers in clinic."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.measures.models import Assignment, Invitation, Response, record_response
from kapcare.measures.tests.conftest import phq9_answers


def history(phq9, patient, totals, start=None):
    start = start or timezone.now() - timedelta(weeks=len(totals))
    for week, total in enumerate(totals):
        scores = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        record_response(
            phq9, patient, phq9_answers(scores), via="link", completed_at=start + timedelta(weeks=week)
        )


def test_the_panel_shows_the_trend_with_bands_and_the_change_over_the_course(
    signed_in, prescriber, phq9, patient, course
):
    history(phq9, patient, [18, 14, 9, 6])
    body = (
        signed_in(prescriber)
        .get(reverse("measures:panel", args=[patient.pk]), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert "<svg" in body and 'class="band band-' in body
    assert "Moderately severe" in body  # a band label on the chart
    assert "<dt>Baseline</dt><dd>18</dd>" in body
    assert "<dt>Latest</dt><dd>6" in body
    assert "-12" in body and "(-66.7%)" in body
    assert "Response: a drop of 50% or more" in body
    assert 'badge-improved">Improved' in body  # IAPT reliable improvement: a drop of 6 or more
    assert "All 4 Patient Health Questionnaire-9 (PHQ-9) results" in body
    assert "<html" not in body  # the HTMX partial only


def test_the_panel_without_htmx_is_a_whole_page_for_browsers_without_javascript(signed_in, nurse, patient):
    body = signed_in(nurse).get(reverse("measures:panel", args=[patient.pk])).content.decode()
    assert "<html" in body and "No completed questionnaires yet." in body


def test_the_panel_issues_the_same_number_of_queries_whatever_the_history(
    signed_in, prescriber, phq9, gad7, patient, course
):
    client = signed_in(prescriber)
    url = reverse("measures:panel", args=[patient.pk])
    history(phq9, patient, [12, 10])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, headers={"HX-Request": "true"})
    history(phq9, patient, [15, 12, 10, 9, 8, 7, 6, 5] * 5)
    zeros = {i.answer_key: "LA6568-5" for i in gad7.definition().items}
    for _ in range(5):
        record_response(gad7, patient, zeros, via="link")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, headers={"HX-Request": "true"})
    assert "All 42 Patient Health Questionnaire-9 (PHQ-9) results" in page.content.decode()
    assert len(many) == len(few)


def test_a_positive_item_9_shows_on_the_chart_as_an_open_alert_and_a_flagged_point(
    signed_in, prescriber, phq9, patient, course
):
    record_response(phq9, patient, phq9_answers([1] * 9), via="link")
    body = signed_in(prescriber).get(reverse("measures:panel", args=[patient.pk])).content.decode()
    assert "Safety alert, open" in body
    assert "point point-urgent" in body


def test_billing_may_not_see_questionnaire_results(signed_in, billing, patient):
    assert signed_in(billing).get(reverse("measures:panel", args=[patient.pk])).status_code == 403


def test_another_clinic_gets_not_found_for_the_panel(signed_in, outsider, patient):
    assert signed_in(outsider).get(reverse("measures:panel", args=[patient.pk])).status_code == 404


def test_assigning_once_by_text_sends_the_link_now(signed_in, therapist, phq9, patient, course, sms_outbox):
    page = signed_in(therapist).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": phq9.pk, "schedules": ["once"], "channel": "sms"},
    )
    assert page.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.sent_at is not None and len(sms_outbox) == 1


def test_assigning_on_the_course_schedule_stores_one_assignment_per_occasion_kind(
    signed_in, prescriber, phq9, patient, course
):
    signed_in(prescriber).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": phq9.pk, "schedules": ["baseline", "weekly", "after_course_3m"], "channel": "email"},
    )
    assert sorted(Assignment.objects.values_list("schedule", flat=True)) == [
        "after_course_3m",
        "baseline",
        "weekly",
    ]
    assert list(Invitation.objects.values_list("occasion", flat=True)) == ["baseline"]


def test_assigning_by_text_to_a_patient_without_a_mobile_number_is_refused(
    signed_in, prescriber, phq9, patient, course
):
    patient.phone = ""
    patient.save()
    page = signed_in(prescriber).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": phq9.pk, "schedules": ["once"], "channel": "sms"},
    )
    assert "no mobile number on file" in page.content.decode()
    assert not Assignment.objects.exists()


def test_a_course_schedule_needs_an_open_course(signed_in, prescriber, phq9, patient):
    page = signed_in(prescriber).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": phq9.pk, "schedules": ["weekly"], "channel": "sms"},
    )
    assert "no open course" in page.content.decode()
    assert not Assignment.objects.exists()


def test_staff_enter_answers_in_clinic_and_the_response_records_who(signed_in, nurse, phq9, patient, course):
    url = reverse("measures:enter", args=[patient.pk]) + "?instrument=phq-9"
    page = signed_in(nurse).post(url, phq9_answers([1, 1, 1, 1, 1, 0, 0, 0, 0]))
    assert page.status_code == 302
    response = Response.objects.get()
    assert response.entered_via == "clinic" and response.entered_by == nurse and response.total == 5


def test_staff_entry_with_a_missing_answer_re_renders_with_the_error(signed_in, nurse, phq9, patient):
    answers = phq9_answers([1] * 9)
    del answers["/44260-8"]
    url = reverse("measures:enter", args=[patient.pk]) + "?instrument=phq-9"
    body = signed_in(nurse).post(url, answers).content.decode()
    assert "Please answer this question." in body and 'aria-invalid="true"' in body
    assert not Response.objects.exists()


def test_a_licensed_scale_is_entered_as_scores_by_item_label(signed_in, prescriber, instruments, patient):
    url = reverse("measures:enter", args=[patient.pk]) + "?instrument=madrs"
    client = signed_in(prescriber)
    body = client.get(url).content.decode()
    assert "Item 1" in body and 'type="number"' in body
    page = client.post(url, {f"madrs/{n}": "7" for n in range(1, 11)})
    assert "no higher than 6" in page.content.decode()
    assert not Response.objects.exists()


def test_the_response_page_shows_each_answer_and_its_score(signed_in, therapist, phq9, patient):
    response = record_response(phq9, patient, phq9_answers([3, 0, 0, 0, 0, 0, 0, 0, 0]), via="link")
    body = signed_in(therapist).get(reverse("measures:response", args=[response.pk])).content.decode()
    assert "Little interest or pleasure in doing things" in body and "Nearly every day" in body


@pytest.mark.parametrize("name", ["measures:assign", "measures:enter"])
def test_billing_may_not_assign_or_enter(signed_in, billing, patient, name):
    assert signed_in(billing).get(reverse(name, args=[patient.pk])).status_code == 403


def test_a_scale_without_item_text_cannot_be_sent_by_link(
    signed_in, prescriber, instruments, patient, course
):
    page = signed_in(prescriber).post(
        reverse("measures:assign", args=[patient.pk]),
        {"instrument": instruments["madrs"].pk, "schedules": ["once"], "channel": "sms"},
    )
    assert "cannot answer it by link; choose in clinic" in page.content.decode()
    assert not Assignment.objects.exists()


def test_the_results_page_lists_every_result_a_page_at_a_time(signed_in, therapist, phq9, patient):
    history(phq9, patient, [12] * 55)
    client = signed_in(therapist)
    url = reverse("measures:results", args=[patient.pk, "phq-9"])
    first = client.get(url).content.decode()
    assert first.count('data-label="Total"') == 50 and "Page 1 of 2" in first
    assert client.get(url + "?page=2").content.decode().count('data-label="Total"') == 5


def test_the_panel_table_shows_only_the_latest_ten(signed_in, therapist, phq9, patient):
    history(phq9, patient, [12] * 15)
    body = signed_in(therapist).get(reverse("measures:panel", args=[patient.pk])).content.decode()
    assert body.count('data-label="Total"') == 10


def test_dosing_sessions_offered_by_another_app_are_marked_on_the_chart(
    signed_in, prescriber, phq9, patient, monkeypatch
):
    from django.apps import apps

    history(phq9, patient, [18, 14, 9])
    middle = Response.objects.order_by("completed_at")[1].completed_at - timedelta(days=1)
    offer = lambda p: [(middle, f"Dosing session 1 for {p.pk}")]  # noqa: E731
    monkeypatch.setattr(apps.get_app_config("patients"), "measures_marks", offer, raising=False)
    body = signed_in(prescriber).get(reverse("measures:panel", args=[patient.pk])).content.decode()
    assert '<line class="mark"' in body and f"Dosing session 1 for {patient.pk}" in body
    assert "Dashed lines: dosing sessions." in body
