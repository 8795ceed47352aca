"""What of a resource sent kapcare did not keep is said back, never silently dropped (kept.py)."""

import json

from django.utils import timezone

from kapcare.fhir.kept import not_kept
from kapcare.fhir.tests.conftest import body, issues
from kapcare.sessions.tests.conftest import (  # noqa: F401 - fixtures
    active_course,
    cleared,
    dosed,
    nurse2,
    ordered,
    quick_consent_pdf,
    ready_patient,
    session,
)
from kapcare.sessions.tests.fhir_readings import heart_rate
from tests.conformance import SYNTHEA, US_CORE

RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
SSN = "http://hl7.org/fhir/sid/us-ssn"
OUTCOME = {"HTTP_PREFER": "return=OperationOutcome"}


def test_an_item_without_a_counterpart_is_named_and_one_kept_in_another_form_is_not():
    sent = {
        "resourceType": "Patient",
        "id": "theirs",
        "text": {"status": "generated", "div": "<div/>"},
        "telecom": [
            {"system": "phone", "value": "(617) 555-0101", "use": "home"},
            {"system": "phone", "value": "(617) 555-0199", "use": "mobile"},
        ],
        "name": [{"family": "Okafor", "given": ["Ngozi"], "prefix": ["Dr."]}],
        "maritalStatus": {"text": "Married"},
        "extension": [{"url": RACE, "extension": []}],
        "photo": [],
    }
    kept = {
        "resourceType": "Patient",
        "id": "12",
        "telecom": [{"system": "phone", "value": "+16175550199", "use": "mobile"}],
        "name": [{"use": "official", "family": "Okafor", "given": ["Ngozi"]}],
    }
    assert not_kept(sent, kept) == [
        "Patient.telecom[0] (system phone, use home)",
        "Patient.name[0].prefix",
        "Patient.maritalStatus",
        "Patient.extension",
    ]
    # The same resource back, nothing missing: nothing said (the id and narrative are the server's).
    assert not_kept(kept, kept) == []


def test_each_kept_item_stands_for_one_sent_item_only():
    sent = {
        "resourceType": "Patient",
        "identifier": [{"system": "a", "value": "1"}, {"system": "a", "value": "2"}],
    }
    kept = {"resourceType": "Patient", "identifier": [{"system": "a", "value": "2"}]}
    assert not_kept(sent, kept) == ["Patient.identifier[0] (system a)"]


def test_a_create_asked_for_an_outcome_says_what_was_not_kept_without_repeating_values(fhir):
    example = json.loads((US_CORE / "patient-example.json").read_text())
    api = fhir()
    response = api.post("Patient", example, **OUTCOME)
    assert response.status_code == 201, response.content
    assert response["Location"] and response["ETag"]
    said = issues(response)
    assert said[0]["severity"] == "information"
    assert said[0]["diagnostics"].startswith("Created Patient/")
    warnings = {item["expression"][0]: item["diagnostics"] for item in said[1:]}
    assert all(item["severity"] == "warning" for item in said[1:])
    assert "Patient.extension[0]" in warnings and RACE in warnings["Patient.extension[0]"]
    assert "home" in warnings["Patient.telecom[0]"]
    assert "Patient.name[0]" in warnings  # the old name
    # What was kept is not listed: the official name's family and given, the email, the birth date.
    assert not any(path.startswith(("Patient.birthDate", "Patient.name[1].family")) for path in warnings)
    assert "555" not in response.content.decode()  # the phone number sent is not repeated
    # Asked for nothing, the answer is the resource, as before.
    plain = api.post("Patient", example | {"identifier": []})
    assert plain.status_code == 201 and body(plain)["resourceType"] == "Patient"


def test_a_resource_kept_whole_is_said_to_be(fhir):
    sent = {
        "resourceType": "Patient",
        "name": [{"family": "Okafor", "given": ["Ngozi"]}],
        "birthDate": "1979-05-02",
    }
    response = fhir().post("Patient", sent, **OUTCOME)
    assert response.status_code == 201, response.content
    [said] = issues(response)
    assert said["diagnostics"].endswith("Everything sent was kept.")


def test_an_update_asked_for_an_outcome_says_so_with_its_version(fhir):
    api = fhir()
    created = body(
        api.post(
            "Patient",
            {
                "resourceType": "Patient",
                "name": [{"family": "Okafor", "given": ["Ngozi"]}],
                "birthDate": "1979-05-02",
            },
        )
    )
    changed = created | {"maritalStatus": {"text": "Married"}}
    response = api.put(f"Patient/{created['id']}", changed, **OUTCOME)
    assert response.status_code == 200, response.content
    said = issues(response)
    assert said[0]["diagnostics"] == f"Updated Patient/{created['id']}; it is now at version 2."
    assert [item["expression"] for item in said[1:]] == [["Patient.maritalStatus"]]


def test_a_bundle_entry_says_what_was_not_kept_in_its_response_outcome(fhir):
    sent = {
        "resourceType": "Patient",
        "name": [{"family": "Arden", "given": ["Test"]}],
        "birthDate": "1980-01-01",
        "identifier": [{"system": SSN, "value": "999-48-8934"}],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": sent, "request": {"method": "POST", "url": "Patient"}}],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 200, response.content
    [entry] = body(response)["entry"]
    assert entry["response"]["status"] == "201 Created"
    [warning] = entry["response"]["outcome"]["issue"]
    assert warning["expression"] == ["Patient.identifier[0]"] and SSN in warning["diagnostics"]
    assert "8934" not in response.content.decode()


def test_a_reading_with_a_note_kapcare_does_not_keep_says_so(fhir, dosed, patient):
    at = timezone.now() - timezone.timedelta(minutes=1)
    reading = heart_rate(patient.pk, 72, ident="monitor-1", at=at) | {"note": [{"text": "patient moved"}]}
    response = fhir().post("Observation", reading, **OUTCOME)
    assert response.status_code == 201, response.content
    assert [item["expression"] for item in issues(response)[1:]] == [["Observation.note"]]
    # Sent again, it was kept before: nothing new to say about it.
    again = fhir().post("Observation", reading, **OUTCOME)
    assert again.status_code == 200
    [said] = issues(again)
    assert "was kept before" in said["diagnostics"]


def test_importing_a_record_counts_what_was_not_kept_by_element(fhir):
    record = json.loads(SYNTHEA.read_text())
    response = fhir().post("$import-bundle", record)
    assert response.status_code == 200, response.content
    messages = [item["diagnostics"] for item in issues(response)]
    assert (
        f"In 1 of 1 Patient: Patient.identifier (system {SSN}) was not kept: kapcare does not record it."
        in messages
    )
    assert any(m.startswith(f"In 1 of 1 Patient: Patient.extension (url {RACE})") for m in messages)
    assert "999-48-8934" not in response.content.decode()


def test_another_hospitals_mrn_is_said_not_kept_rather_than_taken_for_the_clinics(fhir):
    # Published with another hospital's MRN (use usual, type MR), as the clinic's own MRN is given
    # out: alike in all but its system, it was taken for the clinic's MRN and its loss went unsaid.
    example = json.loads((US_CORE / "Patient-child-example.json").read_text())
    response = fhir().post("Patient", example, **OUTCOME)
    assert response.status_code == 201, response.content
    warnings = {item["expression"][0]: item["diagnostics"] for item in issues(response)[1:]}
    assert "http://hospital.smarthealthit.org" in warnings["Patient.identifier[0]"]
    assert "1032704" not in response.content.decode()
    assert not_kept(
        {"resourceType": "Patient", "extension": [{"url": "a", "valueCode": "M"}]},
        {"resourceType": "Patient", "extension": [{"url": "b", "valueCode": "M"}]},
    ) == ["Patient.extension[0] (url a)"]
