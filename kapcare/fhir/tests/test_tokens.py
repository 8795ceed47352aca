"""The staff page where an admin issues and revokes API tokens."""

from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.fhir.models import ApiToken, hash_token


def test_an_admin_issues_a_token_and_sees_it_once(client, admin, signed_in):
    signed_in(admin)
    response = client.post(reverse("fhir:tokens"), {"name": "registry feed", "scopes": "system/*.read"})
    token = ApiToken.objects.get()
    page = response.content.decode()
    secret = page.split('<code class="token-secret">')[1].split("</code>")[0]
    assert token.token_hash == hash_token(secret) and token.created_by == admin
    assert "Copy this token now" in page
    assert secret not in client.get(reverse("fhir:tokens")).content.decode()
    assert AuditEvent.objects.filter(action="security", detail__event="api token issued").exists()


def test_a_bad_scope_re_renders_the_form_with_the_reason_and_issues_nothing(client, admin, signed_in):
    signed_in(admin)
    response = client.post(reverse("fhir:tokens"), {"name": "feed", "scopes": "everything please"})
    assert response.status_code == 400
    assert "is not a scope" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_patient_scopes_need_a_patients_mrn(client, admin, signed_in, patient):
    signed_in(admin)
    response = client.post(reverse("fhir:tokens"), {"name": "app", "scopes": "patient/*.rs"})
    assert "need the MRN" in response.content.decode() and not ApiToken.objects.exists()
    client.post(reverse("fhir:tokens"), {"name": "app", "scopes": "patient/*.rs", "patient_mrn": patient.mrn})
    assert ApiToken.objects.get().patient == patient


def test_an_admin_revokes_a_token(client, admin, signed_in, clinic):
    token, _ = ApiToken.issue(clinic=clinic, scopes="system/*.read", name="old feed")
    signed_in(admin)
    response = client.post(reverse("fhir:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == admin


def test_another_clinics_admin_cannot_revoke_a_token(client, signed_in, clinic, other_clinic):
    from conftest import make_member

    token, _ = ApiToken.issue(clinic=clinic, scopes="system/*.read", name="feed")
    signed_in(make_member(other_clinic, "admin", "admin@hillside.example", "Hal Side"))
    assert client.post(reverse("fhir:token_revoke", args=[token.pk])).status_code == 404
    assert not ApiToken.objects.get().is_revoked


def test_only_admins_see_the_page(client, prescriber, signed_in):
    signed_in(prescriber)
    assert client.get(reverse("fhir:tokens")).status_code == 403


def test_the_page_issues_the_same_number_of_queries_however_many_tokens(
    client, admin, signed_in, clinic, patient
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in(admin)
    ApiToken.issue(clinic=clinic, scopes="system/*.read", name="one", created_by=admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("fhir:tokens"))
    for index in range(5):
        ApiToken.issue(
            clinic=clinic, scopes="patient/*.rs", name=f"app {index}", created_by=admin, patient=patient
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("fhir:tokens"))
    assert len(many) == len(few)
