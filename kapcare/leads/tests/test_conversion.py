from datetime import date

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.leads.conversion import convert_lead, initial_patient_fields
from kapcare.leads.models import CoverageRequest, LeadError, Status
from kapcare.patients.models import Course, Patient


def test_converting_creates_the_patient_and_a_course_in_evaluation_from_the_lead(signed_in, intake, lead):
    client = signed_in(intake)
    form = client.get(reverse("leads:convert", kwargs={"pk": lead.pk})).text
    assert 'value="Wren"' in form and 'value="Ashdown"' in form and "wren@example.com" in form
    response = client.post(
        reverse("leads:convert", kwargs={"pk": lead.pk}),
        {
            "legal_first_name": "Wren",
            "legal_last_name": "Ashdown",
            "date_of_birth": "1988-05-04",
            "sex_at_birth": "female",
            "phone": "+16175550177",
            "email": "wren@example.com",
            "condition": "trd",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "patients:chart", kwargs={"pk": patient.pk}
    )
    assert (patient.legal_name, patient.email, str(patient.phone)) == (
        "Wren Ashdown",
        "wren@example.com",
        "+16175550177",
    )
    course = Course.objects.get(patient=patient)
    assert (course.state, course.condition, course.opened_by) == ("evaluating", "trd", intake)
    lead.refresh_from_db()
    assert lead.status == Status.CONVERTED and lead.patient == patient
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk).count() == 2


def test_the_coverage_subscribers_birth_date_is_carried_over_when_the_patient_is_the_subscriber(lead):
    CoverageRequest.objects.create(
        lead=lead,
        payer_name="Acme",
        member_id="1",
        subscriber_name="Wren Ashdown",
        subscriber_date_of_birth=date(1988, 5, 4),
        relationship="self",
    )
    lead.refresh_from_db()
    assert initial_patient_fields(lead)["date_of_birth"] == date(1988, 5, 4)


def test_a_conversion_with_bad_input_creates_nothing(signed_in, intake, lead):
    response = signed_in(intake).post(
        reverse("leads:convert", kwargs={"pk": lead.pk}),
        {
            "legal_first_name": "Wren",
            "legal_last_name": "Ashdown",
            "date_of_birth": "2999-01-01",
            "sex_at_birth": "female",
            "condition": "trd",
        },
    )
    assert "The date of birth is in the future" in response.text
    assert not Patient.objects.exists() and not Course.objects.exists()
    lead.refresh_from_db()
    assert lead.status == Status.NEW


def test_a_closed_or_converted_lead_does_not_convert_again(lead, intake):
    fields = {
        "legal_first_name": "W",
        "legal_last_name": "A",
        "date_of_birth": date(1990, 1, 1),
        "sex_at_birth": "female",
    }
    convert_lead(lead, intake, condition="trd", **fields)
    with pytest.raises(LeadError):
        convert_lead(lead, intake, condition="trd", **fields)
    assert Patient.objects.count() == 1


def test_a_failed_conversion_leaves_no_half_made_patient(lead, intake):
    with pytest.raises(LeadError):
        convert_lead(
            lead,
            intake,
            condition="not-a-condition",
            legal_first_name="W",
            legal_last_name="A",
            date_of_birth=date(1990, 1, 1),
            sex_at_birth="female",
        )
    assert not Patient.objects.exists()
    lead.refresh_from_db()
    assert lead.status == Status.NEW


def test_a_therapist_may_not_convert_a_lead(signed_in, therapist, lead):
    assert signed_in(therapist).get(reverse("leads:convert", kwargs={"pk": lead.pk})).status_code == 403


def test_the_chart_shows_what_the_lead_told_us_before_they_were_a_patient(signed_in, nurse, lead, intake):
    patient = convert_lead(lead, intake, condition="trd", legal_first_name="Wren", legal_last_name="Ashdown",
                           date_of_birth=date(1988, 5, 4), sex_at_birth="female")  # fmt: skip
    text = signed_in(nurse).get(reverse("leads:chart_panel", kwargs={"pk": patient.pk})).text
    assert "nothing has helped" in text
    assert "Open the lead" not in text  # a nurse may read the chart but not the inbox
    assert AuditEvent.objects.filter(action="view", object_type="Lead", patient_id=patient.pk).exists()


def test_the_chart_panel_says_when_a_patient_did_not_come_from_an_enquiry(signed_in, nurse, patient):
    text = signed_in(nurse).get(reverse("leads:chart_panel", kwargs={"pk": patient.pk})).text
    assert "Added directly by staff" in text
