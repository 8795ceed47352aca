"""Bulk data export: kick-off, status, manifest, NDJSON files, _type and _since, cancel; the command."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.fhir.models import ExportJob
from kapcare.fhir.tests.conftest import body, issues
from kapcare.patients.models import Course, Patient

ASYNC = {"HTTP_PREFER": "respond-async"}


def kick_off(api, url="$export", **params):
    response = api.get(url, params, **ASYNC)
    assert response.status_code == 202, response.content
    return response["Content-Location"].split("/R4/")[1]


def download(api, manifest):
    files = {}
    for item in manifest["output"]:
        response = api.client.get(item["url"], HTTP_AUTHORIZATION=f"Bearer {api.secret}")
        assert response["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(response.streaming_content).decode().splitlines()
        files[item["type"]] = [json.loads(line) for line in lines]
        assert len(lines) == item["count"]
    return files


def test_a_system_export_writes_ndjson_for_every_type(fhir, patient, prescriber):
    api = fhir("system/*.read")
    status = api.get(kick_off(api))
    assert status.status_code == 200
    manifest = body(status)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    files = download(api, manifest)
    assert sorted(files) == [
        "AdverseEvent",
        "Appointment",
        "Condition",
        "Consent",
        "Coverage",
        "Encounter",
        "Group",
        "MedicationAdministration",
        "MedicationStatement",
        "Observation",
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
    ]
    assert [p["name"][0]["family"] for p in files["Patient"]] == ["Quillfeather"]
    assert files["Patient"][0]["meta"]["versionId"] == "1"


def test_an_export_is_audited(fhir, patient):
    api = fhir("system/*.read")
    kick_off(api)
    assert AuditEvent.objects.filter(action="export", detail__written__Patient=1).exists()


def test_type_narrows_the_export(fhir, patient, prescriber):
    api = fhir()
    manifest = body(api.get(kick_off(api, _type="Patient")))
    assert [item["type"] for item in manifest["output"]] == ["Patient"]


def test_since_leaves_out_what_has_not_changed(fhir, clinic, patient):
    Patient.objects.filter(pk=patient.pk).update(updated_at=timezone.now() - timedelta(days=10))
    Patient.objects.create(
        clinic=clinic,
        legal_first_name="New",
        legal_last_name="Comer",
        date_of_birth="1990-01-01",
        sex_at_birth="unknown",
    )
    api = fhir()
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = download(api, body(api.get(kick_off(api, _type="Patient", _since=since))))
    assert [p["name"][0]["family"] for p in files["Patient"]] == ["Comer"]


def test_a_patient_level_export_leaves_out_staff(fhir, patient, prescriber):
    api = fhir()
    manifest = body(api.get(kick_off(api, "Patient/$export")))
    assert [item["type"] for item in manifest["output"]] == [
        "AdverseEvent",
        "Appointment",
        "Condition",
        "Consent",
        "Coverage",
        "Encounter",
        "MedicationAdministration",
        "MedicationStatement",
        "Observation",
        "Patient",
        "QuestionnaireResponse",
    ]


def test_a_group_export_holds_the_patients_at_that_site(fhir, clinic, patient, prescriber):
    site = clinic.sites.get()
    Course.objects.create(clinic=clinic, patient=patient, condition="trd", site=site, opened_by=prescriber)
    Patient.objects.create(
        clinic=clinic,
        legal_first_name="Else",
        legal_last_name="Where",
        date_of_birth="1990-01-01",
        sex_at_birth="unknown",
    )
    api = fhir()
    assert body(api.get(f"Group/{site.pk}"))["quantity"] == 1
    files = download(api, body(api.get(kick_off(api, f"Group/{site.pk}/$export"))))
    assert [p["name"][0]["family"] for p in files["Patient"]] == ["Quillfeather"]


def test_a_group_of_another_clinic_is_not_found(fhir, other_clinic, clinic):
    response = fhir(clinic_=other_clinic).get(f"Group/{clinic.sites.get().pk}/$export", **ASYNC)
    assert response.status_code == 404


def test_kick_off_without_prefer_respond_async_is_refused(fhir):
    response = fhir().get("$export")
    assert response.status_code == 400 and "respond-async" in issues(response)[0]["diagnostics"]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"_type": "Claim"}, "does not serve Claim"),
        ({"_outputFormat": "text/csv"}, "not offered"),
        ({"_since": "2026-13-01T00:00:00Z"}, "not a real date"),
        ({"_typeFilter": "Patient?family=x"}, "does not support _typeFilter"),
    ],
)
def test_a_kick_off_it_cannot_honour_is_refused_saying_why(fhir, params, message):
    response = fhir().get("$export", params, **ASYNC)
    assert response.status_code == 400 and message in issues(response)[0]["diagnostics"]


def test_export_needs_read_scope_for_each_type(fhir):
    response = fhir("system/Patient.read").get("$export", **ASYNC)
    assert response.status_code == 403


def test_status_is_202_with_progress_while_the_export_runs(fhir, settings, patient):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    api = fhir()
    status = api.get(kick_off(api))
    assert status.status_code == 202 and status["X-Progress"] == "queued"


def test_another_client_cannot_see_the_export(fhir, patient):
    api = fhir()
    status_url = kick_off(api)
    assert fhir().get(status_url).status_code == 404


def test_delete_cancels_and_removes_the_files(fhir, patient, settings):
    api = fhir()
    status_url = kick_off(api)
    job = ExportJob.objects.get()
    assert (settings.FHIR_EXPORT_DIR / str(job.id) / "Patient.ndjson").exists()
    assert api.delete(status_url).status_code == 202
    assert not (settings.FHIR_EXPORT_DIR / str(job.id)).exists()
    assert api.get(status_url).status_code == 404


def test_the_export_command_writes_the_same_files(clinic, patient, tmp_path):
    out = io.StringIO()
    call_command(
        "export", "--clinic", clinic.slug, "--out", str(tmp_path / "out"), "--type", "Patient", stdout=out
    )
    manifest = json.loads(out.getvalue())
    assert manifest["output"][0]["count"] == 1
    line = (tmp_path / "out" / "Patient.ndjson").read_text().splitlines()[0]
    assert json.loads(line)["name"][0]["family"] == "Quillfeather"


def test_the_export_command_refuses_an_unknown_type(clinic, tmp_path):
    with pytest.raises(CommandError, match="does not serve Claim"):
        call_command("export", "--clinic", clinic.slug, "--out", str(tmp_path), "--type", "Claim")
