"""Medications recorded elsewhere (another clinic's medication list, the prescriptions of an
imported record), created through the API or loaded by $import-bundle, and served beside the
evaluation's medications as MedicationStatement."""

import json
from decimal import Decimal

import pytest
from fhir.resources.R4B.medicationstatement import MedicationStatement

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Medication, OutsideMedication
from kapcare.evaluation.tests.factories import make_evaluation
from kapcare.fhir.models import ResourceVersion
from kapcare.fhir.tests.conftest import body, issues
from kapcare.fhir.tests.test_bundles import patient as new_patient
from kapcare.fhir.tests.test_bundles import post_entry
from tests.conformance import SYNTHEA

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LAMOTRIGINE = {"system": RXNORM, "code": "28439", "display": "lamotrigine"}
LORAZEPAM = {"system": RXNORM, "code": "6470", "display": "lorazepam"}


def statement(patient_id, coding=LAMOTRIGINE, **elements):
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {"coding": [coding], "text": "Lamotrigine 100 mg tablet"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2021-03",
        "dateAsserted": "2024-05-02",
        "dosage": [{"text": "100 mg by mouth twice a day"}],
    } | elements


def prescription(subject, coding=LORAZEPAM, status="active", **elements):
    """A MedicationRequest as Synthea writes one (structured dosage, no dosage text)."""
    return {
        "resourceType": "MedicationRequest",
        "id": "9f4f3a53-9c5e-4d6c-8d7b-1d1b0f5c2a10",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [coding], "text": coding["display"]},
        "subject": {"reference": subject},
        "encounter": {"reference": "urn:uuid:0b9a5a57-51b6-4e0a-9d1f-1f3c1e8d6d11"},
        "authoredOn": "2019-11-04T10:14:23-05:00",
        "requester": {"reference": "urn:uuid:6f1f4b3a-2c55-4e0b-8a4e-5b7f3f0f5d12", "display": "Dr. Ames"},
        "dosageInstruction": [
            {
                "sequence": 1,
                "timing": {"repeat": {"frequency": 1, "period": 1.0, "periodUnit": "d"}},
                "asNeededBoolean": False,
                "doseAndRate": [{"doseQuantity": {"value": 1.0}}],
            }
        ],
    } | elements


def test_a_medication_statement_posted_reads_back_equivalent_and_is_kept_as_sent(fhir, patient):
    api = fhir()
    sent = statement(patient.pk)
    created = api.post("MedicationStatement", sent)
    assert created.status_code == 201, created.content
    medication_id = body(created)["id"]
    assert medication_id.startswith("outside-")
    resource = body(api.get(f"MedicationStatement/{medication_id}"))
    MedicationStatement.model_validate(resource)
    for element in (
        "status",
        "medicationCodeableConcept",
        "subject",
        "effectiveDateTime",
        "dateAsserted",
        "dosage",
    ):
        assert resource[element] == sent[element], element
    assert resource["meta"] == body(created)["meta"] and resource["meta"]["versionId"] == "1"
    kept = OutsideMedication.objects.get()
    assert (kept.code, kept.status, kept.sent_as, kept.effective_start, kept.source) == (
        "28439",
        "active",
        "MedicationStatement",
        "2021-03",  # as partial as sent
        "registry feed",
    )
    assert kept.dated.year == 2021 and kept.dated.month == 3
    assert (
        ResourceVersion.objects.filter(resource_type="MedicationStatement", resource_id=medication_id).count()
        == 1
    )
    assert AuditEvent.objects.filter(
        action="create", patient_id=patient.pk, detail__fhir=f"MedicationStatement/{medication_id}"
    ).exists()
    assert AuditEvent.objects.filter(
        action="view", detail__fhir=f"MedicationStatement/{medication_id}"
    ).exists()


def test_an_effective_period_is_kept_and_what_is_not_kept_is_said(fhir, patient):
    api = fhir()
    sent = statement(
        patient.pk, effectivePeriod={"start": "2018", "end": "2020-02-11"}, reasonCode=[{"text": "x"}]
    )
    del sent["effectiveDateTime"]
    created = api.post("MedicationStatement", sent, HTTP_PREFER="return=OperationOutcome")
    assert created.status_code == 201, created.content
    said = {item["diagnostics"] for item in issues(created)}
    assert [m for m in said if "not kept" in m] == [
        "MedicationStatement.reasonCode was not kept: kapcare does not record it."
    ]
    resource = body(api.get(f"MedicationStatement/outside-{OutsideMedication.objects.get().pk}"))
    assert resource["effectivePeriod"] == {"start": "2018", "end": "2020-02-11"}


@pytest.mark.parametrize(
    "change, where, words",
    [
        (
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "387562000"}]
                }
            },
            "MedicationStatement.medicationCodeableConcept.coding",
            "coded in RxNorm",
        ),
        (
            {"medicationCodeableConcept": None, "medicationReference": {"reference": "Medication/1"}},
            "MedicationStatement.medicationReference",
            "medicationCodeableConcept",
        ),
        (
            {"subject": {"reference": "Patient/999999"}},
            "MedicationStatement.subject",
            "a patient of this clinic",
        ),
        ({"status": "taking"}, "MedicationStatement.status", "active, completed"),
        ({"effectiveDateTime": "last spring"}, "MedicationStatement.effectiveDateTime", "does not match"),
    ],
)
def test_a_medication_kapcare_cannot_keep_is_refused_saying_why_and_nothing_kept(
    fhir, patient, change, where, words
):
    sent = {k: v for k, v in (statement(patient.pk) | change).items() if v is not None}
    response = fhir().post("MedicationStatement", sent)
    assert response.status_code in (400, 422), response.content
    problem = issues(response)[0]
    if response.status_code == 422:
        assert problem["expression"] == [where]
    assert words in problem["diagnostics"]
    assert not OutsideMedication.objects.exists()
    assert not ResourceVersion.objects.filter(resource_type="MedicationStatement").exists()


@pytest.fixture
def mixed(fhir, course, patient):
    """One medication of the evaluation and two from elsewhere (one stopped), for one patient."""
    Medication.objects.create(
        evaluation=make_evaluation(course), name="sertraline", drug_class="ssri", dose=Decimal(100), unit="mg"
    )
    api = fhir()
    assert api.post("MedicationStatement", statement(patient.pk)).status_code == 201
    stopped = statement(patient.pk, LORAZEPAM, status="stopped")
    assert api.post("MedicationStatement", stopped).status_code == 201
    return api


def test_search_finds_the_evaluations_medications_and_those_from_elsewhere(mixed, patient):
    def total(**params):
        response = mixed.get("MedicationStatement", params)
        assert response.status_code == 200, response.content
        return body(response)["total"]

    assert total(patient=patient.pk) == 3
    assert total(subject=f"Patient/{patient.pk}") == 3
    assert total(patient=patient.pk + 1000) == 0
    assert total(status="active") == 2  # the evaluation's, and lamotrigine
    assert total(status="stopped") == 1
    assert total(status="stopped,active") == 3
    assert total(status="http://hl7.org/fhir/CodeSystem/medication-statement-status|active") == 2
    assert total(status="http://example.org/statuses|active") == 0
    assert total(code=f"{RXNORM}|28439") == 1
    assert total(code="6470") == 1
    assert total(code="http://snomed.info/sct|6470") == 0
    included = body(
        mixed.get("MedicationStatement", {"code": "6470", "_include": "MedicationStatement:patient"})
    )
    assert [e["resource"]["resourceType"] for e in included["entry"]] == ["MedicationStatement", "Patient"]
    # The evaluation's medication keeps its id.
    ids = {e["resource"]["id"] for e in body(mixed.get("MedicationStatement"))["entry"]}
    assert str(Medication.objects.get().pk) in ids


def test_a_patient_scoped_token_reads_only_its_patients_medications(fhir, patient, mixed, clinic):
    from kapcare.patients.models import Patient

    medication_id = f"outside-{OutsideMedication.objects.first().pk}"
    other = Patient.objects.create(
        clinic=clinic, mrn="X2", legal_first_name="Ada", legal_last_name="Lind", date_of_birth="1970-01-01"
    )
    assert (
        fhir("patient/*.read", patient=other).get(f"MedicationStatement/{medication_id}").status_code == 404
    )
    assert (
        fhir("patient/*.read", patient=patient).get(f"MedicationStatement/{medication_id}").status_code == 200
    )
    refused = fhir("patient/*.read", patient=patient).post("MedicationStatement", statement(patient.pk))
    assert refused.status_code == 403


def test_another_clinics_token_does_not_find_them(fhir, patient, mixed, other_clinic):
    medication_id = f"outside-{OutsideMedication.objects.first().pk}"
    theirs = fhir(clinic_=other_clinic)
    assert theirs.get(f"MedicationStatement/{medication_id}").status_code == 404
    assert body(theirs.get("MedicationStatement"))["total"] == 0


def test_a_medication_from_elsewhere_has_its_version_history(mixed):
    medication_id = f"outside-{OutsideMedication.objects.first().pk}"
    assert body(mixed.get(f"MedicationStatement/{medication_id}/_history/1"))["id"] == medication_id
    assert body(mixed.get(f"MedicationStatement/{medication_id}/_history"))["total"] == 1
    history = body(mixed.get("MedicationStatement/_history"))
    assert {e["resource"]["id"] for e in history["entry"]} >= {medication_id}


def test_the_capability_statement_and_openapi_say_medication_statements_can_be_created(fhir, client):
    statement_ = body(fhir().get("metadata"))
    medications = next(r for r in statement_["rest"][0]["resource"] if r["type"] == "MedicationStatement")
    assert {"code": "create"} in medications["interaction"]
    assert {"patient", "subject", "status", "code"} <= {p["name"] for p in medications["searchParam"]}
    description = json.loads(client.get("/fhir/R4/openapi.json").content)
    assert "post" in description["paths"]["/MedicationStatement"]


def import_record(api, entries):
    response = api.post("$import-bundle", {"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert response.status_code == 200, response.content
    return [item["diagnostics"] for item in issues(response)]


def test_an_import_keeps_a_records_prescriptions_as_medications_from_other_records(fhir):
    uuid = "urn:uuid:4c1b8a40-3c21-4b7e-9f0e-2d6c8e5a7b01"
    api = fhir()
    messages = import_record(
        api,
        [
            post_entry(prescription(uuid)),
            post_entry(prescription(uuid, LAMOTRIGINE, status="cancelled", authoredOn="2020-06")),
            post_entry(new_patient("Arden"), uuid),
        ],
    )
    assert "Loaded 2 MedicationRequest as medications from other records." in messages
    assert "Loaded 1 Patient." in messages
    assert (
        "In 2 of 2 MedicationRequest: MedicationRequest.encounter was not kept: kapcare does not record it."
        in messages
    )
    assert (
        "In 2 of 2 MedicationRequest: MedicationRequest.dosageInstruction.timing was not kept: "
        "kapcare does not record it." in messages
    )
    kept = {m.code: m for m in OutsideMedication.objects.select_related("patient")}
    lorazepam, lamotrigine = kept["6470"], kept["28439"]
    assert lorazepam.patient.legal_last_name == "Arden"
    assert (lorazepam.sent_as, lorazepam.request_status, lorazepam.status) == (
        "MedicationRequest",
        "active",
        "active",
    )
    # Withdrawn before any dose: kept as not taken, its own status beside.
    assert (lamotrigine.request_status, lamotrigine.status, lamotrigine.authored_on) == (
        "cancelled",
        "not-taken",
        "2020-06",
    )
    assert lorazepam.source == "import by registry feed"
    resource = body(api.get(f"MedicationStatement/outside-{lorazepam.pk}"))
    MedicationStatement.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["medicationCodeableConcept"]["coding"] == [LORAZEPAM]
    assert "written 2019-11-04T10:14:23-05:00" in resource["basedOn"][0]["display"]
    assert AuditEvent.objects.filter(
        action="create", detail__fhir=f"MedicationStatement/outside-{lorazepam.pk}"
    ).exists()


def test_an_import_skips_a_prescription_kapcare_cannot_keep_with_its_reason_and_loads_the_rest(fhir):
    uuid = "urn:uuid:4c1b8a40-3c21-4b7e-9f0e-2d6c8e5a7b02"
    ndc = {"system": "http://hl7.org/fhir/sid/ndc", "code": "0093-0832-01", "display": "lorazepam"}
    messages = import_record(
        fhir(),
        [
            post_entry(new_patient("Birch"), uuid),
            post_entry(prescription(uuid)),
            post_entry(prescription(uuid, ndc)),
            post_entry(prescription(uuid, LAMOTRIGINE, intent="proposal")),
            post_entry(statement(0, status="unheard-of") | {"subject": {"reference": uuid}}),
        ],
    )
    assert "Loaded 1 MedicationRequest as medications from other records." in messages
    assert any(
        m.startswith(
            "Skipped 1 MedicationRequest: kapcare keeps a medication from another record coded in RxNorm"
        )
        for m in messages
    ), messages
    assert any(
        m.startswith("Skipped 1 MedicationRequest: 'proposal' is not a prescription") for m in messages
    )
    assert any(m.startswith("Skipped 1 MedicationStatement: give one of active") for m in messages)
    assert list(OutsideMedication.objects.values_list("code", flat=True)) == ["6470"]


def test_the_published_synthea_record_has_no_prescriptions_and_none_are_reported(fhir):
    record = json.loads(SYNTHEA.read_text())
    kinds = [e["resource"]["resourceType"] for e in record["entry"]]
    assert kinds.count("MedicationRequest") == 0 and kinds.count("MedicationStatement") == 0
    messages = import_record(fhir(), record["entry"])
    assert not [m for m in messages if "Medication" in m]
    assert not OutsideMedication.objects.exists()


def test_a_medication_request_posted_to_its_own_address_is_not_served(fhir, patient):
    response = fhir().post("MedicationRequest", prescription(f"Patient/{patient.pk}"))
    assert response.status_code == 404
    response = fhir().post("MedicationStatement", prescription(f"Patient/{patient.pk}"))
    assert response.status_code == 400  # the import alone keeps a prescription as a statement
    assert not OutsideMedication.objects.exists()


def test_a_conditional_create_gives_back_the_medication_kept_before(fhir, patient):
    api = fhir()
    first = api.post("MedicationStatement", statement(patient.pk))
    again = api.post(
        "MedicationStatement",
        statement(patient.pk),
        HTTP_IF_NONE_EXIST=f"patient={patient.pk}&code={RXNORM}|28439",
    )
    assert again.status_code == 200, again.content
    assert body(again)["id"] == body(first)["id"]
    assert OutsideMedication.objects.count() == 1


def test_a_transaction_creates_a_patient_and_their_medication_together(fhir):
    uuid = "urn:uuid:4c1b8a40-3c21-4b7e-9f0e-2d6c8e5a7b03"
    sent = statement(0) | {"subject": {"reference": uuid}}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [post_entry(new_patient("Cole"), uuid), post_entry(sent)],
    }
    response = fhir().post("", bundle)
    assert response.status_code == 200, response.content
    assert OutsideMedication.objects.get().patient.legal_last_name == "Cole"
