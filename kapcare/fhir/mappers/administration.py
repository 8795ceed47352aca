"""MedicationAdministration: a ketamine or esketamine dose as given in a dosing session
(kapcare.sessions Administration), with its route, amount and lot, read-only.

The medication is named in words (kapcare does not code medications yet) in a contained
Medication that carries the product and its lot number; the route is the clinic protocol's
route, in words. The nurse who gave it is the performer; the second person who checked it is a
performer with the function "verifier".
"""

from django.db.models import Q
from fhir.resources.R4B.medicationadministration import MedicationAdministration as FhirAdministration

from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter
from kapcare.fhir.versions import instant

UCUM = "http://unitsofmeasure.org"

PATIENT = patient_filter("session__patient_id")


def context_filter(value: str, modifier: str, ctx) -> Q:
    target = value.removeprefix("Encounter/").removeprefix("dosing-")
    return Q(session_id=target) if target.isdigit() else Q(pk__in=[])


def number(value) -> int | float:
    value = value.normalize()
    return int(value) if value == int(value) else float(value)


class MedicationAdministrationMapper(Mapper):
    resource_type = "MedicationAdministration"
    fhir_model = FhirAdministration
    documentation = __doc__.split("\n\n")[0]
    patient_field = "session__patient_id"
    last_updated_field = "recorded_at"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("subject", "reference", "The same as patient.", build=PATIENT),
        SearchParam(
            "context", "reference", "The dosing session: Encounter/dosing-{id}.", build=context_filter
        ),
        SearchParam("effective-time", "date", "When it was given, with prefixes.", fields=("given_at",)),
        SearchParam(
            "status",
            "token",
            "Always completed.",
            build=lambda value, modifier, ctx: Q() if value == "completed" else Q(pk__in=[]),
        ),
    )
    sorts = {"_id": "pk", "effective-time": "given_at"}
    includes = (
        Include("patient", "Patient", "session__patient_id"),
        Include("subject", "Patient", "session__patient_id"),
        Include("context", "Encounter", "session_id", "dosing-"),
        Include("performer", "Practitioner", "given_by_id"),
    )

    def queryset(self, clinic_id):
        from kapcare.sessions.models import Administration

        return Administration.objects.filter(session__clinic_id=clinic_id).select_related("session")

    def to_resource(self, given) -> dict:
        session = given.session
        return {
            "resourceType": "MedicationAdministration",
            "id": str(given.pk),
            "contained": [
                {
                    "resourceType": "Medication",
                    "id": "med",
                    "code": {"text": f"{session.get_medication_display()}: {given.product}"},
                    "batch": {"lotNumber": given.lot},
                }
            ],
            "status": "completed",
            "medicationReference": {"reference": "#med", "display": given.product},
            "subject": {"reference": f"Patient/{session.patient_id}"},
            "context": {"reference": f"Encounter/dosing-{session.pk}"},
            "effectiveDateTime": instant(given.given_at),
            "performer": [
                {"actor": {"reference": f"Practitioner/{given.given_by_id}"}},
                {
                    "function": {"text": "verifier"},
                    "actor": {"reference": f"Practitioner/{given.verified_by_id}"},
                },
            ],
            "request": {"display": f"Dose order {given.order_id}"},
            "dosage": {
                "text": f"{number(given.amount_mg)} mg {given.route}",
                "route": {"text": given.route},
                "dose": {"value": number(given.amount_mg), "unit": "mg", "system": UCUM, "code": "mg"},
            },
        }
