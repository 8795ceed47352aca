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


def test_a_signature_made_inactive_by_a_new_version_counts_as_changed_when_it_was_published(
    fhir, clinic, patient
):
    from datetime import timedelta

    from django.utils import timezone

    from kapcare.fhir.versions import instant
    from kapcare.patients.consent import ConsentSignature

    signature = sign(clinic, patient)
    month_ago = timezone.now() - timedelta(days=30)
    ConsentSignature.objects.filter(pk=signature.pk).update(signed_at=month_ago)
    ConsentDocument.objects.filter(pk=signature.document_id).update(published_at=month_ago)
    api = fhir()
    assert body(api.get(f"Consent/{signature.pk}"))["meta"]["versionId"] == "1"
    synced = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {"_lastUpdated": f"gt{synced}"}
    assert body(api.get("Consent", query))["total"] == 0
    newer = ConsentDocument.publish(clinic, "kap", "Informed consent", "You agree to treatment, revised.")
    assert body(api.get("Consent", query))["total"] == 1
    resource = body(api.get(f"Consent/{signature.pk}"))
    assert resource["status"] == "inactive"
    assert resource["meta"] == resource["meta"] | {
        "versionId": "2",
        "lastUpdated": instant(newer.published_at),
    }


def test_the_part2_consent_is_a_privacy_consent(fhir, clinic, patient):
    signature = sign(clinic, patient, kind="part2")
    assert body(fhir().get(f"Consent/{signature.pk}"))["scope"]["coding"][0]["code"] == "patient-privacy"


def test_consents_are_searched_by_patient_and_include_the_patient(fhir, clinic, patient):
    sign(clinic, patient)
    bundle = body(fhir().get("Consent", {"patient": patient.pk, "_include": "Consent:patient"}))
    assert bundle["total"] == 1
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Consent", "Patient"]
