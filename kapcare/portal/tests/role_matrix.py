"""Staff URLs for consent and the preparation checklist (served by the patients app; the patient's
side is the portal, outside /staff/). name -> (kwargs from the cast, method)."""

from kapcare.patients.consent import Channel, ConsentDocument


def kap_consent(cast):
    return ConsentDocument.objects.filter(
        clinic=cast["clinic"], kind="kap"
    ).first() or ConsentDocument.publish(
        cast["clinic"], "kap", "Informed consent", "What ketamine-assisted psychotherapy involves."
    )


def signed_kap_consent(cast):
    document, patient = kap_consent(cast), cast["patient"]
    existing = document.signatures.filter(patient=patient).first()
    return existing or document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=document.version,
        shown_sha256=document.sha256,
        channel=Channel.PORTAL,
    )


URLS = {
    "patients:consent_panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "patients:consent_sign": (
        lambda cast: {"pk": cast["patient"].pk, "kind": kap_consent(cast).kind},
        "get",
    ),
    "patients:consent_pdf": (lambda cast: {"pk": signed_kap_consent(cast).pk}, "get"),
    "patients:preparation_panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "patients:consent_documents": (lambda cast: {}, "get"),
    "patients:consent_withdraw": (lambda cast: {"pk": signed_kap_consent(cast).pk}, "get"),
    "patients:consent_publish": (lambda cast: {}, "get"),
}
