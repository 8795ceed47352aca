"""Consent records for tests, made the short way (signing itself is tested in the portal's tests)."""

from kapcare.patients.consent import ConsentDocument, ConsentSignature


def kap_document(clinic) -> ConsentDocument:
    return ConsentDocument.objects.current(clinic.pk).get("kap") or ConsentDocument.publish(
        clinic, "kap", "Informed consent for KAP", "Ketamine can cause dissociation."
    )


def sign_kap_consent(patient) -> ConsentSignature:
    """The patient signs the clinic's current KAP consent in clinic (published first if need be)."""
    document = kap_document(patient.clinic)
    return document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=document.version,
        shown_sha256=document.sha256,
        channel="clinic",
    )
