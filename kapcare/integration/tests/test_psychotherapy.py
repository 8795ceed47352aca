"""Psychotherapy notes (HIPAA's separate category): only their author reads them unless released;
never on the chart, in an export or in the FHIR API."""

import json

import pytest
from django.urls import reverse

from conftest import make_member, sign_in
from kapcare.audit.models import AuditEvent
from kapcare.clinics.roles import Role
from kapcare.integration.models import PsychotherapyNote

SECRET = "Countertransference: reminds me of my own father."


@pytest.fixture
def private_note(therapy, therapist):
    return PsychotherapyNote.objects.create(
        clinic=therapy.clinic, patient=therapy.patient, session=therapy, author=therapist, text=SECRET
    )


def pages_for(therapy):
    return [
        reverse("integration:session", kwargs={"pk": therapy.pk}),
        reverse("integration:psychotherapy", kwargs={"pk": therapy.pk}),
        reverse("integration:panel", kwargs={"pk": therapy.patient_id}),
        reverse("patients:chart", kwargs={"pk": therapy.patient_id}),
    ]


def test_the_author_reads_and_edits_their_note(signed_in, therapist, therapy, private_note):
    client = signed_in(therapist)
    url = reverse("integration:psychotherapy", kwargs={"pk": therapy.pk})
    assert SECRET in client.get(url).content.decode()
    client.post(url, {"text": "Revised thought."})
    private_note.refresh_from_db()
    assert private_note.text == "Revised thought."
    assert AuditEvent.objects.filter(
        object_type="PsychotherapyNote", action="view", actor=therapist.email
    ).exists()


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_no_other_staff_member_sees_a_psychotherapy_note(client, clinic, therapy, private_note, role, course):
    other = make_member(clinic, role, f"other-{role}@riverside.example", f"Other {role}")
    if role == Role.PRESCRIBER:
        # The patient's own prescriber, too.
        course.prescriber = other
        course.save(update_fields=["prescriber"])
    sign_in(client, other)
    for url in pages_for(therapy):
        response = client.get(url)
        assert SECRET not in response.content.decode(), f"{role} saw it on {url}"
    assert not PsychotherapyNote.objects.visible_to(other).exists()


def test_another_therapist_cannot_release_or_overwrite_it(client, clinic, therapy, private_note, therapist2):
    sign_in(client, therapist2)
    url = reverse("integration:psychotherapy", kwargs={"pk": therapy.pk})
    client.post(url, {"text": "Mine now"})
    release = reverse("integration:psychotherapy_release", kwargs={"pk": therapy.pk})
    client.post(release, {"confirm": "yes"})
    private_note.refresh_from_db()
    assert private_note.text == SECRET and private_note.released_at is None
    # Their own save made a separate note of their own, which the author cannot read either.
    theirs = PsychotherapyNote.objects.get(author=therapist2)
    assert theirs.text == "Mine now"


def test_a_released_note_is_read_by_the_clinical_team_but_not_by_billing(
    client, signed_in, therapist, therapy, private_note, prescriber, billing
):
    release = reverse("integration:psychotherapy_release", kwargs={"pk": therapy.pk})
    signed_in(therapist).post(release, {})
    private_note.refresh_from_db()
    assert private_note.released_at is None  # not without confirming
    signed_in(therapist).post(release, {"confirm": "yes"})
    private_note.refresh_from_db()
    assert private_note.released_at is not None
    client.logout()
    page = signed_in(prescriber).get(reverse("integration:session", kwargs={"pk": therapy.pk}))
    assert SECRET in page.content.decode()
    client.logout()
    sign_in(client, billing)
    assert not PsychotherapyNote.objects.visible_to(billing).exists()


def test_the_fhir_export_and_searches_never_include_psychotherapy_notes(
    client, clinic, private_note, settings, tmp_path
):
    from kapcare.fhir.models import ApiToken
    from kapcare.fhir.registry import registry

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.FHIR_EXPORT_DIR = tmp_path / "export"
    private_note.released_at = private_note.created_at  # even released, it stays out of the API
    private_note.save()
    _, secret = ApiToken.issue(clinic=clinic, scopes="system/*.read", name="registry")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    kick = client.get("/fhir/R4/$export", HTTP_PREFER="respond-async", **auth)
    assert kick.status_code == 202
    status = client.get(kick["Content-Location"], **auth)
    manifest = json.loads(status.content)
    exported = b""
    for item in manifest["output"]:
        exported += b"".join(client.get(item["url"], **auth).streaming_content)
    assert exported and SECRET.encode() not in exported
    for kind in registry().mappers:
        search = client.get(f"/fhir/R4/{kind}", **auth)
        assert SECRET not in search.content.decode(), kind
    assert "PsychotherapyNote" not in json.dumps(sorted(registry().mappers))
    parts = [part for mapper in registry().mappers.values() for part in mapper.parts()]
    assert all(part.queryset(clinic.pk).model is not PsychotherapyNote for part in parts)
