"""Medications recorded elsewhere, on the chart's evaluation panel for the prescriber to reconcile."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Medication, OutsideMedication
from kapcare.evaluation.models.outside import RXNORM
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.evaluation.views import MEDICATIONS_SHOWN
from kapcare.fhir.tests.conftest import body, fhir  # noqa: F401 - fixture


def outside(patient, code="6470", **fields):
    values = dict(
        clinic=patient.clinic,
        patient=patient,
        system=RXNORM,
        code=code,
        display="lorazepam",
        text="Lorazepam 0.5 MG Oral Tablet",
        status="active",
        sent_as="MedicationRequest",
        request_status="active",
        authored_on="2023-02-14T09:30:00-05:00",
        dated=datetime(2023, 2, 14, 14, 30, tzinfo=UTC),
        dosage="0.5 mg at night as needed for sleep",
        source="import by registry feed",
    )
    return OutsideMedication.objects.create(**(values | fields))


def panel(client, patient):
    return client.get(reverse("evaluation:panel", kwargs={"pk": patient.pk}), HTTP_HX_REQUEST="true")


def test_the_panel_shows_medications_from_other_records_apart_from_the_evaluations_list(
    signed_in, prescriber, course, patient
):
    evaluation = make_evaluation(course)
    Medication.objects.create(evaluation=evaluation, name="sertraline", drug_class="ssri")
    outside(patient)
    # Withdrawn before any dose: a statement's not-taken, the prescription's own status said too.
    outside(patient, code="596", display="alprazolam", status="not-taken", request_status="cancelled")
    outside(
        patient,
        code="28439",
        display="lamotrigine",
        text="",
        status="stopped",
        sent_as="MedicationStatement",
        request_status="",
        authored_on="",
        effective_start="2019-06",
        effective_end="2021-01-05",
        dated=datetime(2019, 6, 1, tzinfo=UTC),
        dosage="",
        source="registry feed",
    )
    page = panel(signed_in(prescriber), patient).content.decode()
    assert "Medications from other records" in page
    assert "not the evaluation's medications and no screening rule reads them" in page
    assert "reconcile with the evaluation's medication list" in page
    assert "RxNorm 6470" in page and "Lorazepam 0.5 MG Oral Tablet" in page and "(lorazepam)" in page
    assert "Active · a prescription</td>" in page and "prescribed 2023-02-14" in page
    assert "0.5 mg at night as needed for sleep" in page and "import by registry feed" in page
    assert "RxNorm 28439" in page and "Stopped</td>" in page and "taken 2019-06 to 2021-01-05" in page
    assert "Not taken · a prescription, sent as cancelled" in page
    assert page.index("RxNorm 6470") < page.index("RxNorm 28439")  # the latest first
    assert "Mark entered in error" in page
    # Viewing the panel is audited as the patient's chart is.
    assert AuditEvent.objects.filter(action="view", patient_id=patient.pk, actor=prescriber.email).exists()


def test_the_therapist_and_nurse_see_them_and_only_the_nurse_may_mark_one(
    signed_in, nurse, therapist, patient
):
    outside(patient)
    for user, may_mark in ((nurse, True), (therapist, False)):
        page = panel(signed_in(user), patient).content.decode()
        assert "No course of treatment yet." in page and "RxNorm 6470" in page
        assert ("Mark entered in error" in page) is may_mark


def test_roles_outside_the_clinical_team_do_not_see_them(signed_in, billing, intake, course, patient):
    outside(patient)
    for user in (billing, intake):
        page = panel(signed_in(user), patient).content.decode()
        assert "Medications from other records" not in page and "6470" not in page


def test_another_patients_and_another_clinics_medications_stay_out(
    signed_in, prescriber, course, patient, other_clinic
):
    from kapcare.patients.models import Patient

    elsewhere = Patient.objects.create(
        clinic=other_clinic,
        mrn="Z9",
        legal_first_name="Ola",
        legal_last_name="Berg",
        date_of_birth="1980-01-01",
    )
    outside(elsewhere, code="596", clinic=other_clinic)
    outside(patient)
    page = panel(signed_in(prescriber), patient).content.decode()
    assert "RxNorm 6470" in page and "RxNorm 596" not in page
    assert panel(signed_in(prescriber), elsewhere).status_code == 404


def test_the_panel_queries_stay_the_same_however_many_medications_were_sent(
    signed_in, prescriber, course, patient
):
    make_evaluation(course)
    client = signed_in(prescriber)
    outside(patient)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = panel(client, patient)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, _ = count()
    for n in range(MEDICATIONS_SHOWN + 5):
        outside(patient, code=f"1000{n}", dated=datetime(1990 + n, 1, 1, tzinfo=UTC))
    many, page = count()
    assert many <= few + 1  # the count of all, once there are more than are shown
    assert f"The latest {MEDICATIONS_SHOWN} of {MEDICATIONS_SHOWN + 6}." in page
    assert "RxNorm 1000" in page


def mark(client, medication, reason):
    url = reverse("evaluation:outside_medication_in_error", kwargs={"pk": medication.pk})
    return client.post(url, {"reason": reason})


def test_a_medication_from_another_record_is_marked_entered_in_error_with_its_reason(
    signed_in, nurse, fhir, patient
):
    wrong = outside(patient)
    api = fhir()
    before = body(api.get(f"MedicationStatement/outside-{wrong.pk}"))
    assert (before["status"], before["meta"]["versionId"]) == ("active", "1")
    client = signed_in(nurse)
    response = mark(client, wrong, "Another patient's prescription, sent with this record by mistake.")
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.status == "entered-in-error" and wrong.error_by == nurse
    assert wrong.request_status == "active"  # what the sender said stays as sent
    event = AuditEvent.objects.get(action="update", object_type="OutsideMedication")
    assert event.patient_id == patient.pk and "Another patient's" in event.detail["entered_in_error"]
    # It stays on the record, apart, with who said so and why; it is not among those to reconcile.
    page = panel(client, patient).content.decode()
    assert "None in force." in page
    assert "Entered in error, kept apart and not to be reconciled" in page
    assert "<s>RxNorm 6470 Lorazepam 0.5 MG Oral Tablet</s>" in page
    assert "sent with this record by mistake" in page
    # Through the API it reads entered-in-error, as a new version.
    after = body(api.get(f"MedicationStatement/outside-{wrong.pk}"))
    assert (after["status"], after["meta"]["versionId"]) == ("entered-in-error", "2")
    from kapcare.fhir.versions import instant

    assert after["meta"]["lastUpdated"] == instant(wrong.error_at)  # changed when it was marked
    marked_since = {"_lastUpdated": f"ge{after['meta']['lastUpdated']}"}
    assert body(api.get("MedicationStatement", marked_since))["total"] == 1
    assert body(api.get("MedicationStatement", {"status": "entered-in-error"}))["total"] == 1


@pytest.mark.parametrize("reason", ["   ", "x" * 301])
def test_marking_in_error_needs_a_reason_that_fits_and_changes_nothing_without_one(
    signed_in, prescriber, patient, reason
):
    medication = outside(patient)
    assert mark(signed_in(prescriber), medication, reason).status_code == 302
    medication.refresh_from_db()
    assert medication.status == "active" and medication.error_at is None
    assert not AuditEvent.objects.filter(action="update", object_type="OutsideMedication").exists()


def test_the_therapist_may_not_mark_one(signed_in, therapist, patient):
    medication = outside(patient)
    assert mark(signed_in(therapist), medication, "Not hers").status_code == 403
    medication.refresh_from_db()
    assert medication.error_at is None


def test_another_clinics_medication_cannot_be_marked(signed_in, prescriber, other_clinic, patient):
    from kapcare.patients.models import Patient

    theirs = Patient.objects.create(
        clinic=other_clinic,
        legal_first_name="Hal",
        legal_last_name="Hillside",
        date_of_birth=patient.date_of_birth,
    )
    medication = outside(theirs, clinic=other_clinic)
    assert mark(signed_in(prescriber), medication, "Not ours").status_code == 404
    medication.refresh_from_db()
    assert medication.error_at is None
