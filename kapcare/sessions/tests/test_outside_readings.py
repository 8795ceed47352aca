"""A reading from outside a dosing session (a home cuff's, another clinic's) that is wrong is marked
entered in error on the chart, with the reason: it stays on the record, apart, no longer the
patient's history, and reads entered-in-error through the FHIR API as a new version. A session's
readings are the nurse's flowsheet and are not marked so."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.fhir.tests.conftest import body, fhir, issues  # noqa: F401 - fixture
from kapcare.fhir.versions import instant
from kapcare.patients.models import Patient
from kapcare.sessions.models import VitalSign
from kapcare.sessions.tests.fhir_readings import blood_pressure
from kapcare.sessions.views import OUTSIDE_SHOWN

WHY = "Another patient's cuff readings, sent with this record by mistake."


def home_reading(patient, days_ago=10, **values):
    values = values or {"systolic": 131, "diastolic": 84, "heart_rate": 72}
    return VitalSign.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        taken_at=timezone.now() - timedelta(days=days_ago),
        source="device",
        device="Home blood pressure monitor",
        **values,
    )


def mark(client, reading, reason=WHY):
    url = reverse("sessions:outside_reading_in_error", kwargs={"pk": reading.pk})
    return client.post(url, {"reason": reason}, follow=True)


def panel(client, patient) -> str:
    url = reverse("sessions:panel", kwargs={"pk": patient.pk})
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


def marks():
    return AuditEvent.objects.filter(action="update", object_type="VitalSign")


def test_a_nurse_marks_a_reading_from_outside_a_session_entered_in_error_with_the_reason(
    signed_in, nurse, patient
):
    wrong = home_reading(patient, systolic=188, diastolic=121, heart_rate=72)
    right = home_reading(patient, days_ago=3, systolic=126, diastolic=80)
    client = signed_in(nurse)
    response = mark(client, wrong)
    assert response.redirect_chain[-1][0].endswith(
        reverse("patients:chart", kwargs={"pk": patient.pk}) + "#dosing-sessions"
    )
    assert "is marked entered in error" in response.content.decode()
    wrong.refresh_from_db()
    assert wrong.status == "entered-in-error" and wrong.error_by == nurse and wrong.error_reason == WHY
    assert wrong.error_at is not None
    event = marks().get()
    assert event.patient_id == patient.pk and event.object_id == str(wrong.pk)
    assert event.detail == {"entered_in_error": WHY}
    # It stays on the record, apart and struck through, with who said so, when and why; the
    # readings in force no longer include it.
    page = panel(client, patient)
    in_force, _, apart = page.partition("Entered in error, kept apart")
    assert "126/80" in in_force and "188/121" not in in_force
    assert "<s>" in apart and "BP 188/121" in apart and "HR 72" in apart
    assert f"marked entered in error by {nurse.display_name} on" in apart
    assert "sent with this record by mistake" in apart
    right.refresh_from_db()
    assert right.status == "final" and right.error_at is None


def test_a_prescriber_may_mark_one_and_a_therapist_may_not(signed_in, prescriber, therapist, patient):
    reading = home_reading(patient)
    therapist_client = signed_in(therapist)
    assert "Entered in error?" not in panel(therapist_client, patient)
    url = reverse("sessions:outside_reading_in_error", kwargs={"pk": reading.pk})
    assert therapist_client.post(url, {"reason": WHY}).status_code == 403
    assert "Entered in error?" in panel(signed_in(prescriber), patient)
    mark(signed_in(prescriber), reading)
    reading.refresh_from_db()
    assert reading.error_by == prescriber


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("   ", "Say why this reading is in error; nothing was changed."),
        ("x" * 301, "Say why in at most 300 characters; nothing was changed."),
    ],
)
def test_without_a_reason_or_with_too_long_a_one_nothing_changes_and_the_nurse_is_told(
    signed_in, nurse, patient, reason, said
):
    reading = home_reading(patient)
    response = mark(signed_in(nurse), reading, reason)
    assert said in response.content.decode()
    reading.refresh_from_db()
    assert reading.status == "final" and reading.error_at is None and reading.error_reason == ""
    assert not marks().exists()


def test_marking_it_again_is_refused_and_keeps_the_first_reason(signed_in, nurse, prescriber, patient):
    reading = home_reading(patient)
    mark(signed_in(nurse), reading)
    response = mark(signed_in(prescriber), reading, "A second opinion")
    assert "already marked entered in error" in response.content.decode()
    reading.refresh_from_db()
    assert reading.error_reason == WHY and reading.error_by == nurse
    assert marks().count() == 1


def test_a_sessions_reading_is_the_nurses_flowsheet_and_cannot_be_marked(signed_in, nurse, dosed):
    reading = VitalSign.objects.filter(session=dosed).first()
    response = mark(signed_in(nurse), reading)
    assert "dosing session's, on the nurse's flowsheet" in unescape(response.content.decode())
    reading.refresh_from_db()
    assert reading.status == "final" and reading.error_at is None
    assert not marks().exists()
    # Nor can anything else mark it: the database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalSign.objects.filter(pk=reading.pk).update(
            status="entered-in-error", error_at=timezone.now(), error_by=nurse, error_reason=WHY
        )


def test_another_clinics_reading_is_not_found(signed_in, nurse, other_clinic, patient):
    theirs = Patient.objects.create(
        clinic=other_clinic,
        legal_first_name="Hal",
        legal_last_name="Hillside",
        date_of_birth=patient.date_of_birth,
    )
    reading = home_reading(theirs)
    url = reverse("sessions:outside_reading_in_error", kwargs={"pk": reading.pk})
    assert signed_in(nurse).post(url, {"reason": WHY}).status_code == 404
    reading.refresh_from_db()
    assert reading.error_at is None


def test_the_panel_queries_stay_the_same_however_many_readings_are_kept_or_in_error(
    signed_in, nurse, prescriber, patient
):
    client = signed_in(nurse)
    home_reading(patient, days_ago=40)
    mark(client, home_reading(patient, days_ago=41))
    with CaptureQueriesContext(connection) as few:
        panel(client, patient)
    for day in range(OUTSIDE_SHOWN + 2):
        home_reading(patient, days_ago=day + 1)
        reading = home_reading(patient, days_ago=day + 50, spo2=96)
        reading.mark_entered_in_error(by=prescriber, reason=f"Cuff fault {day}")
    with CaptureQueriesContext(connection) as many:
        page = panel(client, patient)
    assert len(many) <= len(few) + 2  # the count of each list, once it is longer than is shown
    total = OUTSIDE_SHOWN + 3
    assert f"The latest {OUTSIDE_SHOWN} of {total}." in page  # in force only
    assert f"(the latest {OUTSIDE_SHOWN} of {total})" in page
    assert page.count("<li><s>") == OUTSIDE_SHOWN
    assert "Cuff fault 0" in page and "Cuff fault 11" not in page  # latest taken first


def test_through_the_api_it_reads_entered_in_error_as_a_new_version(signed_in, nurse, fhir, patient):
    api = fhir()
    taken = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    sent = blood_pressure(patient.pk, 190, 125, ident="home-cuff-77", at=taken)
    created = body(api.post("Observation", sent))
    resource_id = created["id"]
    assert body(api.get(f"Observation/{resource_id}"))["status"] == "final"
    reading = VitalSign.objects.get(identifier__endswith="home-cuff-77")
    mark(signed_in(nurse), reading)
    reading.refresh_from_db()

    now = body(api.get(f"Observation/{resource_id}"))
    assert now["status"] == "entered-in-error" and now["meta"]["versionId"] == "2"
    assert now["meta"]["lastUpdated"] == instant(reading.error_at)  # when it was marked
    first = body(api.get(f"Observation/{resource_id}/_history/1"))
    assert first["status"] == "final" and first["meta"]["versionId"] == "1"
    assert first["meta"]["lastUpdated"] == instant(reading.recorded_at)
    history = body(api.get(f"Observation/{resource_id}/_history"))
    assert [e["resource"]["status"] for e in history["entry"]] == ["entered-in-error", "final"]

    def found(status):
        return [
            e["resource"]["id"]
            for e in body(api.get("Observation", {"patient": patient.pk, "status": status}))["entry"]
        ]

    assert found("final") == []
    assert found("entered-in-error") == [resource_id]
    # The same reading posted again is the one kept, still in error: a repeat does not restore it.
    again = api.post("Observation", sent)
    assert again.status_code == 200 and body(again)["status"] == "entered-in-error"
    reading.refresh_from_db()
    assert reading.in_error


def test_a_reading_sent_as_entered_in_error_is_refused_and_nothing_is_kept(fhir, patient):
    sent = blood_pressure(patient.pk, 120, 80, ident="sent-in-error", at=timezone.now() - timedelta(days=9))
    sent["status"] = "entered-in-error"
    response = fhir().post("Observation", sent)
    assert response.status_code == 422
    problem = issues(response)[0]
    assert problem["expression"] == ["Observation.status"]
    assert "marked entered in error on the patient's chart" in problem["diagnostics"]
    assert not VitalSign.objects.exists()


def test_a_client_syncing_by_last_update_sees_the_correction(
    signed_in, nurse, fhir, patient, settings, tmp_path
):
    from kapcare.fhir.tests.test_export import download, kick_off

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.FHIR_EXPORT_DIR = tmp_path / "fhir-export"
    api = fhir()
    reading = home_reading(patient, days_ago=30)
    VitalSign.objects.filter(pk=reading.pk).update(recorded_at=timezone.now() - timedelta(days=30))
    synced = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def since_sync():
        search = body(api.get("Observation", {"patient": patient.pk, "_lastUpdated": f"gt{synced}"}))
        export = download(api, body(api.get(kick_off(api, _type="Observation", _since=synced))))
        return search["total"], {o["status"] for o in export.get("Observation", [])}

    assert since_sync() == (0, set())  # kept a month ago: nothing new since the last sync
    mark(signed_in(nurse), reading)
    total, exported = since_sync()
    assert total == 2 and exported == {"entered-in-error"}  # its blood pressure and its heart rate
