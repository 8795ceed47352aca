"""MedicationStatement: a medication the patient takes, recorded at the evaluation
(kapcare.evaluation.Medication), read-only.

status is active (the evaluation records what the patient takes now), the medication is named in
words (kapcare does not code medications yet), and the dose is given in UCUM units with the
frequency in words. dateAsserted is the evaluation's date.
"""

from django.db.models import Q
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement

from kapcare.evaluation.models import Medication
from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter

UCUM = "http://unitsofmeasure.org"

PATIENT = patient_filter("evaluation__patient_id")


class MedicationStatementMapper(Mapper):
    resource_type = "MedicationStatement"
    fhir_model = FhirMedicationStatement
    documentation = __doc__.split("\n\n")[0]
    patient_field = "evaluation__patient_id"
    last_updated_field = "evaluation__updated_at"
    search_params = (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=PATIENT),
        SearchParam("subject", "reference", "The same as patient.", build=PATIENT),
        SearchParam(
            "status",
            "token",
            "Always active.",
            build=lambda value, modifier, ctx: Q() if value == "active" else Q(pk__in=[]),
        ),
    )
    sorts = {"_id": "pk"}
    includes = (
        Include("patient", "Patient", "evaluation__patient_id"),
        Include("subject", "Patient", "evaluation__patient_id"),
    )

    def queryset(self, clinic_id):
        return Medication.objects.filter(evaluation__clinic_id=clinic_id).select_related("evaluation")

    def to_resource(self, medication: Medication) -> dict:
        resource = {
            "resourceType": "MedicationStatement",
            "id": str(medication.pk),
            "status": "active",
            "medicationCodeableConcept": {"text": medication.name},
            "subject": {"reference": f"Patient/{medication.evaluation.patient_id}"},
            "dateAsserted": medication.evaluation.evaluated_on.isoformat(),
        }
        words, dosage = [], {}
        if medication.dose is not None:
            value = medication.dose.normalize()
            number = int(value) if value == int(value) else float(value)
            words.append(f"{number} {medication.get_unit_display()}")
            dosage["doseAndRate"] = [
                {
                    "doseQuantity": {
                        "value": number,
                        "unit": medication.get_unit_display(),
                        "system": UCUM,
                        "code": medication.unit,
                    }
                }
            ]
        if medication.frequency:
            words.append(medication.frequency)
        if not words:
            return resource
        dosage["text"] = ", ".join(words)
        resource["dosage"] = [dosage]
        return resource
