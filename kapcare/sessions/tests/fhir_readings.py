"""FHIR Observations as a monitor would post them (LOINC codes, UCUM units)."""

from django.utils import timezone

LOINC = "http://loinc.org"
DEVICE_SYSTEM = "urn:example:monitor:room-willow"


def blood_pressure(patient_id, systolic, diastolic, *, ident, at=None):
    return {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [{"system": DEVICE_SYSTEM, "value": ident}],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": (at or timezone.now()).isoformat(),
        "device": {"display": "Willow monitor"},
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {
                    "value": systolic,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {
                    "value": diastolic,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
        ],
    }


def single(patient_id, code, value, unit, *, ident, at=None):
    return {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [{"system": DEVICE_SYSTEM, "value": ident}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": (at or timezone.now()).isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def heart_rate(patient_id, value, *, ident, at=None):
    return single(patient_id, "8867-4", value, "/min", ident=ident, at=at)


def spo2(patient_id, value, *, ident, at=None):
    return single(patient_id, "59408-5", value, "%", ident=ident, at=at)


def bundle(resources, kind="batch"):
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}
