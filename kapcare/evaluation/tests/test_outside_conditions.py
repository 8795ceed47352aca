"""Conditions recorded elsewhere, on the chart's evaluation panel beside the evaluation."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import OutsideCondition
from kapcare.evaluation.models.outside import SNOMED
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.evaluation.views import OUTSIDE_SHOWN
from kapcare.fhir.tests.conftest import body, fhir  # noqa: F401 - fixture


def outside(patient, code="51868009", **fields):
    values = dict(
        clinic=patient.clinic,
        patient=patient,
        system=SNOMED,
        code=code,
        display="Ulcer of duodenum (disorder)",
        clinical_status="active",
        verification_status="confirmed",
        category="problem-list-item",
        onset="2016-08",
        onset_start=datetime(2016, 8, 1, tzinfo=UTC),
        recorded_on=datetime(2016, 8, 10).date(),
        source="import by registry feed",
    )
    return OutsideCondition.objects.create(**(values | fields))


def panel(client, patient):
    return client.get(reverse("evaluation:panel", kwargs={"pk": patient.pk}), HTTP_HX_REQUEST="true")


def test_the_panel_shows_conditions_from_other_records_apart_from_the_diagnoses(
    signed_in, prescriber, course, patient
):
    make_evaluation(course)
    outside(patient, text="Active Duodenal Ulcer")
    outside(
        patient,
        code="39065001",
        display="Burn of ear",
        clinical_status="resolved",
        onset="2015-10-31",
        abatement="2015-12-01",
        source="registry feed",
    )
    page = panel(signed_in(prescriber), patient).content.decode()
    assert "Conditions from other records" in page
    assert "not this evaluation's diagnoses and change no screening rule" in page
    assert "SNOMED CT 51868009" in page and "Active Duodenal Ulcer" in page
    assert "Active · confirmed" in page and "2016-08" in page  # the onset as precise as sent
    assert "import by registry feed" in page
    assert "Resolved · confirmed · ended 2015-12-01" in page and "2015-10-31" in page
    # Viewing the panel is audited as the patient's chart is.
    assert AuditEvent.objects.filter(action="view", patient_id=patient.pk, actor=prescriber.email).exists()


def test_the_panel_shows_them_for_a_patient_with_no_course_yet(signed_in, nurse, patient):
    outside(patient)
    page = panel(signed_in(nurse), patient).content.decode()
    assert "No course of treatment yet." in page and "SNOMED CT 51868009" in page


def test_roles_outside_the_clinical_team_do_not_see_them(signed_in, billing, intake, course, patient):
    outside(patient)
    for user in (billing, intake):
        page = panel(signed_in(user), patient).content.decode()
        assert "Conditions from other records" not in page and "51868009" not in page


def test_another_patients_and_another_clinics_conditions_stay_out(
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
    outside(elsewhere, code="44054006")
    outside(patient)
    page = panel(signed_in(prescriber), patient).content.decode()
    assert "51868009" in page and "44054006" not in page
    assert panel(signed_in(prescriber), elsewhere).status_code == 404


def test_the_panel_queries_stay_the_same_however_many_conditions_were_sent(
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
    for n in range(OUTSIDE_SHOWN + 5):
        outside(
            patient, code=f"1000{n}", onset=f"{1990 + n}", onset_start=datetime(1990 + n, 1, 1, tzinfo=UTC)
        )
    many, page = count()
    assert many <= few + 1  # the count of all, once there are more than are shown
    assert f"The latest {OUTSIDE_SHOWN} of {OUTSIDE_SHOWN + 6} by onset." in page
    assert page.index("SNOMED CT 100024") < page.index("SNOMED CT 100023")  # latest onset first


def mark(client, condition, reason):
    url = reverse("evaluation:outside_condition_in_error", kwargs={"pk": condition.pk})
    return client.post(url, {"reason": reason})


def test_a_condition_from_another_record_is_marked_entered_in_error_with_its_reason(
    signed_in, prescriber, fhir, patient
):
    wrong = outside(patient, text="Active Duodenal Ulcer")
    client = signed_in(prescriber)
    response = mark(client, wrong, "Another patient's problem list, sent with this record by mistake.")
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.verification_status == "entered-in-error" and wrong.error_by == prescriber
    assert wrong.error_reason.startswith("Another patient's problem list")
    event = AuditEvent.objects.get(action="update", object_type="OutsideCondition")
    assert event.patient_id == patient.pk and "Another patient's" in event.detail["entered_in_error"]
    # It stays on the record, apart, with who said so and why; it is not among those to weigh.
    page = panel(client, patient).content.decode()
    assert "None in force." in page
    assert "Entered in error, kept apart" in page and "<s>SNOMED CT 51868009" in page
    assert "sent with this record by mistake" in page
    assert "The latest" not in page  # every one of them is on the panel
    # Through the API it reads entered-in-error, as a new version.
    resource = body(fhir().get(f"Condition/outside-{wrong.pk}"))
    assert resource["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


@pytest.mark.parametrize("reason", ["   ", "x" * 301])
def test_marking_in_error_needs_a_reason_that_fits_and_changes_nothing_without_one(
    signed_in, prescriber, patient, reason
):
    condition = outside(patient)
    response = mark(signed_in(prescriber), condition, reason)
    assert response.status_code == 302  # back to the chart with the message, never a server error
    condition.refresh_from_db()
    assert condition.verification_status == "confirmed" and condition.error_at is None
    assert not AuditEvent.objects.filter(action="update", object_type="OutsideCondition").exists()


def test_another_clinics_condition_cannot_be_marked(signed_in, prescriber, other_clinic, patient):
    from kapcare.patients.models import Patient

    theirs = Patient.objects.create(
        clinic=other_clinic,
        legal_first_name="Hal",
        legal_last_name="Hillside",
        date_of_birth=patient.date_of_birth,
    )
    condition = outside(theirs, clinic=other_clinic)
    assert mark(signed_in(prescriber), condition, "Not ours").status_code == 404
    condition.refresh_from_db()
    assert condition.error_at is None


def test_a_client_syncing_by_last_update_sees_the_correction_dated_when_it_was_made(
    signed_in, prescriber, fhir, patient
):
    from datetime import timedelta

    from django.utils import timezone

    from kapcare.fhir.versions import instant

    api = fhir()
    condition = outside(patient, recorded_at=timezone.now() - timedelta(days=30))
    assert body(api.get(f"Condition/outside-{condition.pk}"))["meta"]["versionId"] == "1"
    synced = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {"patient": patient.pk, "_lastUpdated": f"gt{synced}"}
    assert body(api.get("Condition", query))["total"] == 0
    mark(signed_in(prescriber), condition, "Another patient's problem list")
    condition.refresh_from_db()
    assert body(api.get("Condition", query))["total"] == 1
    now = body(api.get(f"Condition/outside-{condition.pk}"))
    assert now["meta"] == now["meta"] | {"versionId": "2", "lastUpdated": instant(condition.error_at)}
