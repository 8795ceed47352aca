"""Filling in the evaluation in clinic: what it saves, what it refuses, live screening, ICD-10-CM
search, the patient's own history from the portal, and the clinician's review of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.forms import PatientHistoryForm, history_instance, save_patient_history
from kapcare.evaluation.models import Diagnosis, Evaluation, Medication
from kapcare.evaluation.tests.factories import CLEAN_HISTORY, make_evaluation


def form_data(**overrides):
    """What the evaluation form posts: a clean history, one diagnosis, one medication."""
    data = {
        "evaluated_on": "2026-11-20",
        "presenting_problems": "Low mood for two years despite two antidepressants.",
        "goals": "To enjoy my children again.",
        "diagnoses-TOTAL_FORMS": "2",
        "diagnoses-INITIAL_FORMS": "0",
        "diagnoses-0-code": "F33.2",
        "diagnoses-1-code": "",
        "medications-TOTAL_FORMS": "2",
        "medications-INITIAL_FORMS": "0",
        "medications-0-name": "sertraline",
        "medications-0-drug_class": "ssri",
        "medications-0-dose": "100",
        "medications-0-unit": "mg",
        "medications-0-frequency": "once a day",
        "allergies-TOTAL_FORMS": "1",
        "allergies-INITIAL_FORMS": "0",
    }
    for name, value in CLEAN_HISTORY.items():
        data[name] = (
            {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
        )
    data.update(overrides)
    return data


def url(name, course):
    return reverse(f"evaluation:{name}", kwargs={"pk": course.pk})


def test_a_nurse_records_an_evaluation_with_a_diagnosis_and_a_medication(signed_in, nurse, course):
    response = signed_in(nurse).post(url("evaluation", course), form_data())
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(course=course)
    assert evaluation.updated_by == nurse
    assert [(d.code, d.description) for d in evaluation.diagnoses.all()] == [
        ("F33.2", "Major depressive disorder, recurrent severe without psychotic features")
    ]
    assert evaluation.medications.get().unit == "mg"
    assert AuditEvent.objects.filter(
        action="create", object_type="Evaluation", patient_id=course.patient_id
    ).exists()


def test_a_code_typed_without_its_dot_is_stored_as_the_dotted_code(signed_in, nurse, course):
    signed_in(nurse).post(url("evaluation", course), form_data(**{"diagnoses-0-code": "f4310"}))
    assert Diagnosis.objects.get().code == "F43.10"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("diagnoses-0-code", "F99.99X", "F99.99X is not an ICD-10-CM code in the current code set."),
        ("diagnoses-0-code", "F33", "F33 is a category, not a billable code"),
        ("medications-0-unit", "", "Give the unit of the dose (for example mg)."),
        ("weight_kg", "0", "Weight must be between 20 and 400 kg."),
        ("weight_kg", "700", "Weight must be between 20 and 400 kg. Check the unit: kilograms, not pounds."),
    ],
    ids=[
        "unknown-icd-code",
        "icd-category-not-billable",
        "dose-without-unit",
        "weight-zero",
        "weight-700-kg",
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    signed_in, nurse, course, field, value, message
):
    response = signed_in(nurse).post(url("evaluation", course), form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not Evaluation.objects.exists()
    assert not Medication.objects.exists()
    assert not Diagnosis.objects.exists()


def test_a_failed_save_of_an_existing_evaluation_changes_none_of_its_rows(signed_in, nurse, course):
    evaluation = make_evaluation(course)
    Medication.objects.create(
        evaluation=evaluation, name="lorazepam", drug_class="benzodiazepine", dose=1, unit="mg"
    )
    data = form_data(**{"weight_kg": "700", "medications-0-name": "bupropion"})
    signed_in(nurse).post(url("evaluation", course), data)
    assert list(evaluation.medications.values_list("name", flat=True)) == ["lorazepam"]
    evaluation.refresh_from_db()
    assert evaluation.weight_kg == 70


def test_live_screening_shows_findings_for_the_unsaved_form(signed_in, nurse, course):
    data = form_data(psychosis="current", **{"medications-0-drug_class": "benzodiazepine"})
    response = signed_in(nurse).post(url("screen", course), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Active psychosis or schizophrenia" in body
    assert "Benzodiazepine: may blunt the effect" in body
    assert "<html" not in body
    assert not Evaluation.objects.exists()


def test_live_screening_screens_the_valid_fields_while_others_are_wrong(signed_in, nurse, course):
    response = signed_in(nurse).post(url("screen", course), form_data(weight_kg="700", pregnant="true"))
    body = response.content.decode()
    assert "Pregnant or breastfeeding" in body
    assert "Some fields below are not valid yet" in body


def test_icd_search_suggests_codes_by_words(signed_in, nurse, course):
    response = signed_in(nurse).get(
        reverse("evaluation:icd_search"), {"diagnoses-0-code": "post-traumatic chronic"}
    )
    assert (
        '<option value="F43.12">F43.12 Post-traumatic stress disorder, chronic</option>'
        in response.content.decode()
    )


def test_icd_search_suggests_codes_by_the_start_of_the_code(signed_in, nurse, course):
    response = signed_in(nurse).get(reverse("evaluation:icd_search"), {"q": "F41.1"})
    assert "Generalized anxiety disorder" in response.content.decode()


def test_the_patients_history_from_the_portal_waits_for_clinician_review(signed_in, prescriber, course):
    form = PatientHistoryForm(
        {"psychosis": "none", "suicidal_thoughts_last_2_weeks": "true", "goals": "Sleep and feel calm."},
        instance=history_instance(course),
    )
    assert form.is_valid(), form.errors
    evaluation = save_patient_history(course, form)
    assert evaluation.awaiting_review
    client = signed_in(prescriber)
    page = client.get(url("evaluation", course)).content.decode()
    assert "Reported by the patient" in page
    assert "awaiting clinician review" in page
    assert "Suicidal thoughts in the last two weeks" in page
    client.post(url("confirm_history", course))
    evaluation.refresh_from_db()
    assert not evaluation.awaiting_review
    assert evaluation.reviewed_by == prescriber


def test_a_decision_waits_until_the_patients_history_is_reviewed(signed_in, prescriber, course):
    form = PatientHistoryForm({"psychosis": "none"}, instance=history_instance(course))
    assert form.is_valid()
    save_patient_history(course, form)
    response = signed_in(prescriber).post(
        url("decide", course), {"outcome": "eligible", "rationale": "Fine."}
    )
    assert "review it first" in response.content.decode()
    course.refresh_from_db()
    assert course.state == "evaluating"


def test_the_patient_history_form_refuses_an_attempt_dated_in_the_future(course):
    form = PatientHistoryForm(
        {"suicide_attempt": "true", "last_suicide_attempt": "2999-01-01"}, instance=history_instance(course)
    )
    assert not form.is_valid()
    assert "after the evaluation" in str(form.errors)


def test_the_evaluation_page_issues_the_same_number_of_queries_however_long_the_lists(
    signed_in, nurse, course
):
    evaluation = make_evaluation(course)
    client = signed_in(nurse)
    client.get(url("evaluation", course))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("evaluation", course)).status_code == 200
        return len(queries)

    few = count()
    for n in range(8):
        Medication.objects.create(
            evaluation=evaluation, name=f"drug {n}", drug_class="other", dose=1, unit="mg"
        )
        Diagnosis.objects.create(
            evaluation=evaluation,
            code=["F33.2", "F41.1", "F43.10", "F42.2", "F32.2", "F33.1", "F43.12", "F40.10"][n],
        )
    assert count() == few
