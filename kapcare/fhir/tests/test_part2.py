"""The 42 CFR Part 2 hook: whatever part2.releasable refuses never leaves through the API.

kapcare has no Part 2 flag yet, so the hook releases everything; these tests stand in a rule for
it and check that every way out (read, search, export) asks it.
"""

import pytest
from django.db.models import Q

from kapcare.fhir import part2
from kapcare.fhir.tests.conftest import body, issues
from kapcare.patients.models import Patient


@pytest.fixture
def flagged(monkeypatch, clinic, patient):
    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Open",
        legal_last_name="Record",
        date_of_birth="1990-01-01",
        sex_at_birth="unknown",
    )
    monkeypatch.setattr(part2, "releasable", lambda mapper, obj, caller: obj.pk != patient.pk)
    monkeypatch.setattr(part2, "releasable_q", lambda mapper, caller: ~Q(pk=patient.pk))
    return other


def test_nothing_is_flagged_yet(fhir, patient):
    assert fhir().get(f"Patient/{patient.pk}").status_code == 200


def test_a_withheld_record_is_refused_on_read(fhir, patient, flagged):
    response = fhir().get(f"Patient/{patient.pk}")
    assert response.status_code == 403
    assert "42 CFR Part 2" in issues(response)[0]["diagnostics"]


def test_a_withheld_record_is_left_out_of_search(fhir, patient, flagged):
    entries = body(fhir().get("Patient"))["entry"]
    assert [e["resource"]["id"] for e in entries] == [str(flagged.pk)]


def test_a_withheld_record_is_left_out_of_export(fhir, patient, flagged):
    api = fhir()
    status = api.get("$export", {"_type": "Patient"}, HTTP_PREFER="respond-async")["Content-Location"]
    manifest = body(api.client.get(status, HTTP_AUTHORIZATION=f"Bearer {api.secret}"))
    assert manifest["output"][0]["count"] == 1


def test_a_withheld_record_is_left_out_of_type_history(fhir, patient, flagged):
    api = fhir()
    api.get(f"Patient/{flagged.pk}")  # each read writes the record's first version
    with_flag_off = part2.releasable
    part2.releasable = lambda mapper, obj, caller: True
    try:
        api.get(f"Patient/{patient.pk}")
    finally:
        part2.releasable = with_flag_off
    history = body(api.get("Patient/_history"))
    assert [e["resource"]["id"] for e in history["entry"]] == [str(flagged.pk)]
    assert history["total"] == 1
