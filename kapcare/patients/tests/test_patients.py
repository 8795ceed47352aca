"""The patient list, search, registration and the chart."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.patients.models import Course, Patient, Sex
from kapcare.patients.tests.factories import sign_kap_consent

NEW_PATIENT = {
    "legal_first_name": "Tobias",
    "legal_last_name": "Arkwright",
    "date_of_birth": "1990-06-15",
    "sex_at_birth": "male",
    "phone": "(617) 555-0177",
    "email": "tobias@example.com",
    "preferred_language": "English",
}


def names_found(client, query):
    page = client.get(reverse("patients:list"), {"q": query}).content.decode()
    return "Quillfeather" in page


@pytest.mark.parametrize(
    "query",
    [
        "Quill",
        "quillfeather",
        "Marguerite",
        "Daisy",
        "Daisy Quill",
        "1984-03-09",
        "03/09/1984",
        "K000001",
        "617-555-0123",
        "(617) 555 0123",
        "+16175550123",
    ],
)
def test_staff_find_a_patient_by_name_birth_date_mrn_or_phone(client, nurse, patient, signed_in, query):
    signed_in(nurse)
    assert names_found(client, query)


@pytest.mark.parametrize("query", ["Smith", "1984-03-10", "K000002", "617-555-0199"])
def test_search_does_not_match_other_people(client, nurse, patient, signed_in, query):
    signed_in(nurse)
    assert not names_found(client, query)


def test_intake_registers_a_patient_with_an_mrn_and_e164_phone(client, intake, clinic, signed_in):
    signed_in(intake)
    response = client.post(reverse("patients:new"), NEW_PATIENT)
    patient = Patient.objects.get(legal_last_name="Arkwright")
    assert response["Location"] == reverse("patients:chart", args=[patient.pk])
    assert patient.clinic == clinic and patient.mrn == "K000001"
    assert str(patient.phone) == "+16175550177"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("date_of_birth", (date.today() + timedelta(days=2)).isoformat(), "in the future"),
        ("date_of_birth", "1850-01-01", "more than 120 years ago"),
        ("phone", "12", "Enter a valid phone number"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("legal_last_name", "", "This field is required"),
        ("sex_at_birth", "robot", "Select a valid choice"),
    ],
)
def test_bad_registration_shows_the_field_error_and_saves_nothing(
    client, intake, signed_in, field, value, message
):
    signed_in(intake)
    response = client.post(reverse("patients:new"), NEW_PATIENT | {field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_mrns_are_unique_within_a_clinic_but_not_across_clinics(clinic, other_clinic, patient):
    twin = dict(
        legal_first_name="A", legal_last_name="B", date_of_birth=date(1990, 1, 1), sex_at_birth=Sex.MALE
    )
    Patient.objects.create(clinic=other_clinic, mrn=patient.mrn, **twin)
    with pytest.raises(IntegrityError):
        Patient.objects.create(clinic=clinic, mrn=patient.mrn, **twin)


def test_the_patient_list_shows_only_the_members_clinic(client, outsider, patient, signed_in):
    signed_in(outsider)
    assert not names_found(client, "Quill")


def test_the_patient_list_issues_the_same_number_of_queries_for_5_or_25_patients(
    client, nurse, clinic, signed_in
):
    signed_in(nurse)
    client.get(reverse("patients:list"))  # the first request of a session does one-off work
    counts = []
    for total in (5, 25):
        for i in range(total - Patient.objects.count()):
            p = Patient.objects.create(
                clinic=clinic,
                legal_first_name=f"P{i}",
                legal_last_name="Listed",
                date_of_birth=date(1980, 1, 1),
                sex_at_birth=Sex.FEMALE,
            )
            Course.objects.create(clinic=clinic, patient=p, condition="ptsd")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("patients:list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 15


def test_the_chart_query_count_does_not_grow_with_the_course_history(client, prescriber, course, signed_in):
    signed_in(prescriber)
    url = reverse("patients:chart", args=[course.patient_id])
    course.decide("eligible", by=prescriber)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    course.start(by=prescriber)
    course.pause(by=prescriber, reason="travel")
    sign_kap_consent(course.patient)
    course.resume(by=prescriber)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url).content.decode()
    assert "Paused → <strong>Active</strong>" in page
    assert len(after) == len(before) <= 16


def test_the_chart_shows_demographics_and_the_course(client, therapist, course, signed_in):
    signed_in(therapist)
    page = client.get(reverse("patients:chart", args=[course.patient_id])).content.decode()
    for text in ("Daisy Quillfeather", "she/her", "K000001", "Treatment-resistant depression", "Evaluating"):
        assert text in page
    assert "Change details" not in page  # therapists do not edit registration details


def test_a_patient_can_have_only_one_open_course(client, intake, course, signed_in):
    signed_in(intake)
    response = client.post(reverse("patients:course_new", args=[course.patient_id]), {"condition": "ptsd"})
    assert "already has an open course" in response.content.decode()
    assert Course.objects.count() == 1
    with pytest.raises(IntegrityError):
        Course.objects.create(clinic=course.clinic, patient=course.patient, condition="ptsd")


def test_the_chart_leaves_out_panels_the_role_may_not_open(client, therapist, prescriber, patient, signed_in):
    from kapcare.clinics.roles import allows
    from kapcare.clinics.staff_app import chart_panels, panel_permission

    hidden = [name for name in chart_panels("prescriber") if not allows("therapist", panel_permission(name))]
    assert hidden, "the insurance panel, at least, is not for therapists"
    signed_in(therapist)
    page = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    for name in hidden:
        assert reverse(name, args=[patient.pk]) not in page
    for name in chart_panels("therapist"):
        assert reverse(name, args=[patient.pk]) in page
