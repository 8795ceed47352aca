"""Consent: the patient's signed consent documents, read-only."""

from fhir.resources.R4B.consent import Consent

from kapcare.fhir.tests.conftest import body
from kapcare.patients.consent import ConsentDocument


def sign(clinic, patient, kind="kap"):
    document = ConsentDocument.publish(clinic, kind, "Informed consent", "You agree to treatment.")
    return document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=document.version,
        shown_sha256=document.sha256,
        channel="clinic",
    )


def test_a_signature_reads_as_a_valid_active_treatment_consent(fhir, clinic, patient):
    signature = sign(clinic, patient)
    resource = body(fhir().get(f"Consent/{signature.pk}"))
    Consent.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["scope"]["coding"][0]["code"] == "treatment"
    assert resource["patient"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["policyRule"] == {"text": "Informed consent, version 1"}


def test_a_signature_on_a_superseded_version_is_inactive(fhir, clinic, patient):
    signature = sign(clinic, patient)
    ConsentDocument.publish(clinic, "kap", "Informed consent", "You agree to treatment, revised.")
    api = fhir()
    assert body(api.get(f"Consent/{signature.pk}"))["status"] == "inactive"
    assert body(api.get("Consent", {"status": "active"}))["total"] == 0


def test_the_part2_consent_is_a_privacy_consent(fhir, clinic, patient):
    signature = sign(clinic, patient, kind="part2")
    assert body(fhir().get(f"Consent/{signature.pk}"))["scope"]["coding"][0]["code"] == "patient-privacy"


def test_consents_are_searched_by_patient_and_include_the_patient(fhir, clinic, patient):
    sign(clinic, patient)
    bundle = body(fhir().get("Consent", {"patient": patient.pk, "_include": "Consent:patient"}))
    assert bundle["total"] == 1
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Consent", "Patient"]
