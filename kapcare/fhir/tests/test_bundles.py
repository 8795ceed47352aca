"""Transaction and batch Bundles, and loading a Synthea record with $import-bundle."""

import json

from kapcare.evaluation.models import OutsideCondition
from kapcare.fhir.tests.conftest import body, expressions, issues
from kapcare.patients.models import Patient
from kapcare.sessions.models import VitalSign
from tests.conformance import SYNTHEA, US_CORE


def patient(family, born="1980-01-01"):
    return {"resourceType": "Patient", "name": [{"family": family, "given": ["Test"]}], "birthDate": born}


def post_entry(resource, full_url=None):
    item = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
    if full_url:
        item["fullUrl"] = full_url
    return item


def test_a_transaction_creates_every_entry(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(patient("Arden")), post_entry(patient("Birch"))],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 200, response.content
    result = body(response)
    assert result["type"] == "transaction-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created", "201 Created"]
    assert sorted(Patient.objects.values_list("legal_last_name", flat=True)) == ["Arden", "Birch"]


def test_a_transaction_posted_to_the_base_without_its_trailing_slash_is_processed(fhir, client):
    # FHIR clients post to [base] as configured, "https://host/fhir/R4": a redirect to the address
    # with a slash makes them lose the body (or send it again as a GET).
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [post_entry(patient("Arden"))]}
    api = fhir()
    response = client.post(
        "/fhir/R4", json.dumps(bundle), content_type="application/fhir+json", **api.headers({})
    )
    assert response.status_code == 200, response.content
    assert body(response)["type"] == "transaction-response"
    assert Patient.objects.filter(legal_last_name="Arden").count() == 1


def test_a_transaction_with_one_bad_entry_changes_nothing_and_names_the_entry(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(patient("Arden")), post_entry(patient("Birch", born="1980-02-31"))],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 400
    assert "Bundle.entry[1].resource.birthDate" in expressions(response)
    assert issues(response)[0]["diagnostics"].startswith("Bundle.entry[1]:")
    assert not Patient.objects.exists()


def test_a_batch_keeps_the_good_entries_and_reports_the_bad(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [post_entry(patient("Arden")), post_entry(patient("Birch", born="1980"))],
    }
    result = body(fhir().post("", bundle))
    assert result["type"] == "batch-response"
    first, second = result["entry"]
    assert first["response"]["status"] == "201 Created"
    assert second["response"]["status"] == "422 Unprocessable Entity"
    assert second["response"]["outcome"]["issue"][0]["expression"] == ["Bundle.entry[1].resource.birthDate"]
    assert list(Patient.objects.values_list("legal_last_name", flat=True)) == ["Arden"]


def test_a_transaction_can_read_and_update(fhir, clinic):
    existing = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Jo",
        legal_last_name="Old",
        date_of_birth="1970-01-01",
        sex_at_birth="unknown",
    )
    api = fhir()
    resource = body(api.get(f"Patient/{existing.pk}"))
    resource["name"] = [{"family": "New", "given": ["Jo"]}]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "GET", "url": f"Patient?_id={existing.pk}"}},
            {
                "resource": resource,
                "request": {"method": "PUT", "url": f"Patient/{existing.pk}", "ifMatch": 'W/"1"'},
            },
        ],
    }
    result = body(api.post("", bundle))
    assert result["entry"][1]["response"]["etag"] == 'W/"2"'
    assert Patient.objects.get().legal_last_name == "New"


def test_a_bundle_that_is_not_a_transaction_or_batch_is_refused(fhir):
    response = fhir().post("", {"resourceType": "Bundle", "type": "collection", "entry": []})
    assert response.status_code == 400 and expressions(response) == ["Bundle.type"]


def test_a_delete_in_a_bundle_is_refused_without_changing_anything(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(patient("Arden")), {"request": {"method": "DELETE", "url": "Patient/1"}}],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 405 and not Patient.objects.exists()


def test_importing_a_synthea_record_loads_the_patient_and_reports_what_it_skipped(fhir):
    record = json.loads(SYNTHEA.read_text())
    response = fhir().post("$import-bundle", record)
    assert response.status_code == 200, response.content
    messages = [item["diagnostics"] for item in issues(response)]
    assert "Loaded 1 Patient." in messages
    # Its three blood pressures (LOINC 55284-4) are kept as the patient's history; its weights,
    # heights and BMIs are refused each with its reason; labs and pain scores are not vital signs
    # kapcare keeps, and say so.
    assert "Loaded 3 Observation." in messages
    assert any(
        m.startswith("Skipped 3 Observation: Observation.code 29463-7: kapcare keeps a body weight")
        for m in messages
    )
    assert "Skipped 3 Observation: Observation.code 8302-2: kapcare does not record body height." in messages
    assert (
        "Skipped 3 Observation: Observation.code 39156-5: kapcare does not record body mass index."
        in messages
    )
    assert any(
        m.startswith("Skipped 33 Observation: Observation.code must be a LOINC vital sign") for m in messages
    )
    assert any(m.startswith("Skipped 3 Observation:") and "survey score" in m for m in messages)
    assert any(m.startswith("Skipped 3 Encounter:") for m in messages)
    assert any(m.startswith("Skipped 1 Practitioner:") for m in messages)
    patient = Patient.objects.get()
    kept = VitalSign.objects.filter(patient=patient).order_by("taken_at")
    assert [(r.systolic, r.diastolic, r.taken_at.year, r.session_id) for r in kept] == [
        (107, 72, 2012, None),
        (134, 79, 2015, None),
        (122, 87, 2018, None),
    ]
    found = body(fhir().get("Observation", {"patient": patient.pk, "code": "http://loinc.org|85354-9"}))
    assert found["total"] == 3
    # Its one condition (SNOMED CT 162864005, obesity) is kept as recorded elsewhere, about the
    # patient just loaded; its encounter, which kapcare skipped, is said not kept.
    assert "Loaded 1 Condition." in messages
    assert "In 1 of 1 Condition: Condition.encounter was not kept: kapcare does not record it." in messages
    condition = OutsideCondition.objects.get()
    assert (condition.patient, condition.system, condition.code, condition.clinical_status) == (
        patient,
        "http://snomed.info/sct",
        "162864005",
        "active",
    )
    assert condition.onset == "2018-09-17T15:29:24+00:00"
    assert condition.source == "import by registry feed"
    found = body(fhir().get("Condition", {"patient": patient.pk, "clinical-status": "active"}))
    assert [e["resource"]["code"]["coding"][0]["code"] for e in found["entry"]] == ["162864005"]


def test_an_import_skips_a_condition_kapcare_cannot_keep_and_loads_the_rest(fhir):
    uuid = "urn:uuid:5b0e7f43-1c1d-4d43-9a38-0e2f3a9c1b20"

    def condition(system, code):
        return {
            "resourceType": "Condition",
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": uuid},
        }

    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        # The conditions before their patient: the import loads patients first.
        "entry": [
            post_entry(condition("http://hl7.org/fhir/sid/icd-10-cm", "F41.1")),
            post_entry(condition("http://example.org/local-codes", "ANX")),
            post_entry(patient("Arden"), uuid),
        ],
    }
    response = fhir().post("$import-bundle", bundle)
    assert response.status_code == 200, response.content
    messages = [item["diagnostics"] for item in issues(response)]
    assert "Loaded 1 Condition." in messages and "Loaded 1 Patient." in messages
    assert any(
        m.startswith("Skipped 1 Condition: kapcare keeps a condition coded in SNOMED CT") for m in messages
    )
    assert list(OutsideCondition.objects.values_list("code", "patient__legal_last_name")) == [
        ("F41.1", "Arden")
    ]


def test_an_import_with_an_invalid_patient_loads_nothing(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(patient("Arden")), post_entry(patient("Birch", born=""))],
    }
    response = fhir().post("$import-bundle", bundle)
    assert response.status_code in (400, 422)
    assert not Patient.objects.exists()


def test_a_transaction_of_a_new_patient_and_their_published_readings_keeps_them_together(fhir):
    # As an integration sends a record: the patient and readings that name it by its fullUrl.
    from tests.conformance import US_CORE

    uuid = "urn:uuid:7f8a1c52-0d7e-4a8e-9a51-3c1f0b5d2e11"
    readings = []
    for name in ("blood-pressure", "heart-rate"):
        example = json.loads((US_CORE / f"{name}.json").read_text())
        readings.append(post_entry(example | {"subject": {"reference": uuid}}))
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(patient("Okafor"), uuid), *readings],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 200, response.content
    statuses = [entry["response"]["status"][:3] for entry in body(response)["entry"]]
    assert statuses == ["201", "201", "201"]
    created = Patient.objects.get(legal_last_name="Okafor")
    assert VitalSign.objects.filter(patient=created, session__isnull=True, date_only=True).count() == 2


def test_a_batch_reading_naming_a_new_patient_by_fullurl_is_told_to_send_a_transaction(fhir):
    # In a batch each entry stands alone (FHIR), so the reference cannot be resolved; the answer
    # said only that subject.reference "must name the patient", which it did.
    reading = json.loads((US_CORE / "Observation-satO2-fiO2.json").read_text())
    reading["subject"] = {"reference": "urn:uuid:7f0c2a7e-0000-4000-8000-000000000001"}
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            post_entry(patient("Arden"), "urn:uuid:7f0c2a7e-0000-4000-8000-000000000001"),
            post_entry(reading),
        ],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 200, response.content
    created, refused = body(response)["entry"]
    assert created["response"]["status"] == "201 Created"
    [said] = refused["response"]["outcome"]["issue"]
    assert said["expression"] == ["Bundle.entry[1].resource.subject"]
    assert "only a transaction resolves those" in said["diagnostics"]
    assert not VitalSign.objects.exists()
