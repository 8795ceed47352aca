"""Consent: a patient's signature on one version of a clinic's consent document, read-only.

Signatures are made in kapcare (portal or in clinic) and frozen, so the API only reads them.
- status: active while the signed version is the clinic's current one of its kind; inactive
  once a newer version is published (the patient is then asked to sign again).
- scope: patient-privacy for the 42 CFR Part 2 disclosure consent, treatment for the others.
- category: LOINC 59284-0 (patient consent), with the kind of document in words.
- policyRule: the document's title and version in words (kapcare's own documents have no code).
The PDF copy is not embedded; the text's SHA-256 is given as an identifier so a copy can be checked.
"""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from fhir.resources.R4B.consent import Consent as FhirConsent

from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter
from kapcare.patients.consent import ConsentDocument, ConsentKind, ConsentSignature

SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"

PATIENT = patient_filter("patient_id")


def status_filter(value: str, modifier: str, ctx) -> Q:
    return {"active": Q(is_current=True), "inactive": Q(is_current=False)}.get(value, Q(pk__in=[]))


def newer_versions():
    """Versions of a signature's document published after the one signed (for a queryset of
    signatures)."""
    return ConsentDocument.objects.filter(
        clinic_id=OuterRef("clinic_id"), kind=OuterRef("kind"), version__gt=OuterRef("version")
    )


def newer_published():
    return Subquery(newer_versions().order_by("version").values("published_at")[:1])


class ConsentMapper(Mapper):
    resource_type = "Consent"
    fhir_model = FhirConsent
    documentation = __doc__.split("\n\n")[0]
    # Changed when signed, and again when a newer version of its document made it inactive.
    last_updated_field = Coalesce(newer_published(), "signed_at")
    patient_field = "patient_id"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("date", "date", "When it was signed, with prefixes.", fields=("signed_at",)),
        SearchParam("status", "token", "active (the current version) or inactive.", build=status_filter),
    )
    sorts = {"_id": "pk", "date": "signed_at", "_lastUpdated": "signed_at"}
    includes = (Include("patient", "Patient", "patient_id"),)

    def queryset(self, clinic_id):
        return (
            ConsentSignature.objects.filter(clinic_id=clinic_id)
            .defer("pdf")
            .select_related("document")
            .annotate(is_current=~Exists(newer_versions()), superseded_at=newer_published())
        )

    def last_updated(self, signature: ConsentSignature):
        return signature.superseded_at or signature.signed_at

    def to_resource(self, signature: ConsentSignature) -> dict:
        part2 = signature.kind == ConsentKind.PART2
        scope = ("patient-privacy", "Privacy Consent") if part2 else ("treatment", "Treatment")
        return {
            "resourceType": "Consent",
            "id": str(signature.pk),
            "identifier": [{"system": "urn:ietf:rfc:6920", "value": f"sha-256;{signature.text_sha256}"}],
            "status": "active" if signature.is_current else "inactive",
            "scope": {"coding": [{"system": SCOPE, "code": scope[0], "display": scope[1]}]},
            "category": [
                {
                    "coding": [{"system": "http://loinc.org", "code": "59284-0"}],
                    "text": signature.get_kind_display(),
                }
            ],
            "patient": {"reference": f"Patient/{signature.patient_id}"},
            "dateTime": signature.signed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "performer": [{"reference": f"Patient/{signature.patient_id}"}],
            "policyRule": {"text": f"{signature.document.title}, version {signature.version}"},
        }
