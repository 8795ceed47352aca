"""Who may call the API: bearer tokens for one clinic, scopes per interaction, revocation, audit."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kapcare.audit.models import AuditEvent
from kapcare.fhir.models import ApiToken, hash_token
from kapcare.fhir.tests.conftest import body, issues
from kapcare.patients.models import Patient


def test_a_call_without_a_token_is_refused_with_401_and_a_bearer_challenge(client, patient):
    response = client.get(f"/fhir/R4/Patient/{patient.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization header" in issues(response)[0]["diagnostics"]


def test_an_unknown_token_is_refused(client, patient):
    response = client.get(f"/fhir/R4/Patient/{patient.pk}", HTTP_AUTHORIZATION="Bearer kap_guess")
    assert response.status_code == 401


def test_a_revoked_token_no_longer_works(fhir, patient):
    api = fhir("system/*.read")
    assert api.get(f"Patient/{patient.pk}").status_code == 200
    api.token.revoke()
    response = api.get(f"Patient/{patient.pk}")
    assert response.status_code == 401
    assert "revoked" in issues(response)[0]["diagnostics"]


def test_only_a_hash_of_the_token_is_stored(fhir):
    api = fhir()
    stored = ApiToken.objects.get(pk=api.token.pk)
    assert api.secret not in (stored.token_hash, stored.prefix, stored.scopes)
    assert stored.token_hash == hash_token(api.secret)


def test_another_clinics_patient_is_not_found(fhir, other_clinic, patient):
    response = fhir(clinic_=other_clinic).get(f"Patient/{patient.pk}")
    assert response.status_code == 404
    assert "Quillfeather" not in response.content.decode()


def test_another_clinics_patients_never_appear_in_search(fhir, other_clinic, patient):
    found = body(fhir(clinic_=other_clinic).get("Patient", {"family": "Quillfeather"}))
    assert found["total"] == 0 and found["entry"] == []


def test_a_read_scope_cannot_create(fhir):
    response = fhir("system/*.read").post("Patient", {"resourceType": "Patient"})
    assert response.status_code == 403
    assert "create on Patient" in issues(response)[0]["diagnostics"]
    assert not Patient.objects.exists()


def test_a_scope_for_one_type_does_not_reach_another(fhir, prescriber):
    api = fhir("system/Patient.read")
    assert api.get(f"Practitioner/{prescriber.pk}").status_code == 403


def test_smart_v2_scopes_separate_read_from_search(fhir, patient):
    api = fhir("system/Patient.r")
    assert api.get(f"Patient/{patient.pk}").status_code == 200
    assert api.get("Patient").status_code == 403


def test_patient_scopes_reach_only_the_tokens_patient(fhir, clinic, patient):
    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    api = fhir("patient/*.read", patient=patient)
    assert api.get(f"Patient/{patient.pk}").status_code == 200
    assert api.get(f"Patient/{other.pk}").status_code == 404
    assert [e["resource"]["id"] for e in body(api.get("Patient"))["entry"]] == [str(patient.pk)]


def test_patient_scopes_do_not_reach_staff_records(fhir, patient, prescriber):
    assert fhir("patient/*.read", patient=patient).get(f"Practitioner/{prescriber.pk}").status_code == 403


def test_every_call_is_audited_with_the_client_as_actor(fhir, patient):
    api = fhir("system/*.read")
    api.get(f"Patient/{patient.pk}")
    api.get("Patient", {"family": "Quill"})
    read, search = AuditEvent.objects.order_by("seq")
    assert (read.action, read.actor, read.patient_id, read.clinic_id) == (
        "view",
        api.token.audit_actor,
        patient.pk,
        patient.clinic_id,
    )
    assert read.role == "api" and read.detail["token"] == api.token.pk
    assert search.action == "list" and search.detail["ids"] == [str(patient.pk)]


def test_the_token_records_when_it_was_last_used(fhir, patient):
    api = fhir()
    api.get(f"Patient/{patient.pk}")
    assert ApiToken.objects.get(pk=api.token.pk).last_used_at is not None


def test_apitoken_prints_the_token_alone_on_stdout(clinic):
    out, err = io.StringIO(), io.StringIO()
    call_command("apitoken", "--clinic", clinic.slug, "--scopes", "system/*.*", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert "\n" not in secret and secret.startswith("kap_")
    assert ApiToken.objects.get(token_hash=hash_token(secret)).scopes == "system/*.*"
    assert AuditEvent.objects.filter(action="security", detail__event="api token issued").exists()


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ("system/Patient", "not a scope"),
        ("user/*.read", "SMART launch"),
        ("system/Claim.read", "does not serve"),
    ],
)
def test_apitoken_refuses_scopes_it_cannot_honour(clinic, scopes, message):
    with pytest.raises(CommandError, match=message):
        call_command("apitoken", "--clinic", clinic.slug, "--scopes", scopes)
    assert not ApiToken.objects.exists()


def test_apitoken_needs_a_patient_for_patient_scopes(clinic, patient):
    with pytest.raises(CommandError, match="--patient"):
        call_command("apitoken", "--clinic", clinic.slug, "--scopes", "patient/*.read")
    out = io.StringIO()
    call_command(
        "apitoken",
        "--clinic",
        clinic.slug,
        "--scopes",
        "patient/*.read",
        "--patient",
        patient.mrn,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert ApiToken.objects.get().patient == patient


def test_apitoken_revoke_revokes_by_id(fhir):
    api = fhir()
    call_command("apitoken", "--revoke", str(api.token.pk), stdout=io.StringIO())
    assert ApiToken.objects.get(pk=api.token.pk).is_revoked
    with pytest.raises(CommandError, match="already revoked"):
        call_command("apitoken", "--revoke", str(api.token.pk))


def test_apitoken_lists_a_clinics_tokens_without_their_secrets(fhir, clinic):
    api = fhir()
    out = io.StringIO()
    call_command("apitoken", "--clinic", clinic.slug, "--list", stdout=out)
    line = out.getvalue().strip()
    assert line.startswith(f"{api.token.pk}\t{api.token.prefix}") and "active" in line
    assert api.secret not in line
