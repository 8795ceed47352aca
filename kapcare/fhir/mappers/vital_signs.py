"""Vital-sign Observations: the readings of dosing sessions (kapcare.sessions), and readings kept
from outside a session (no encounter; perhaps dated by the day alone), per the US Core vital-signs
profiles (reference/instruments.md §4).

One VitalSign row is one set of readings taken at one moment; each reading in it is its own
Observation: blood pressure (85354-9, one Observation with systolic 8480-6 and diastolic 8462-4
components in mm[Hg]), heart rate (8867-4, /min), respiratory rate (9279-1, /min), oxygen
saturation (2708-6 and 59408-5, %) and body temperature (8310-5). Ids are
`vs-{row}-{bp|hr|rr|spo2|temp}`. Body weight (29463-7, kg) is the weight taken at check-in,
`weight-{check}`. kapcare keeps no height.

A body temperature is kept in °C to a hundredth, with the unit it was taken in, and given back in
that unit (UCUM Cel, or [degF] to a tenth): a client that posted 98.6 [degF] reads 98.6 [degF], the
same quantity it sent, rather than having to convert 37 Cel to recognise its own reading.
New readings come in through the sessions app's ingest (see ObservationMapper.create). A reading
from outside a session marked entered in error on the chart reads `status: entered-in-error`, as
a new version dated when it was marked.
"""

from django.db.models import Q
from django.db.models.functions import Coalesce
from fhir.resources.R4B.observation import Observation as FhirObservation

from kapcare.fhir.registry import Include, Mapper, SearchParam, patient_filter
from kapcare.fhir.search import MomentsOrDays
from kapcare.fhir.versions import instant

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
VITAL_SIGNS = {
    "coding": [{"system": CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}],
    "text": "Vital Signs",
}
NOTHING = Q(pk__in=[])


def code_filter(codes: set[str]):
    def build(value: str, modifier: str, ctx) -> Q:
        system, bar, code = value.rpartition("|")
        if bar and system not in ("", LOINC):
            return NOTHING
        return Q() if code in codes else NOTHING

    return build


def category_filter(category: str):
    def build(value: str, modifier: str, ctx) -> Q:
        system, bar, code = value.rpartition("|")
        if bar and system not in ("", CATEGORY_SYSTEM):
            return NOTHING
        return Q() if code == category else NOTHING

    return build


def status_filter(field: str | None):
    """Readings keep the status a device sent; weights and scores are always final."""

    def build(value: str, modifier: str, ctx) -> Q:
        if field is None:
            return Q() if value == "final" else NOTHING
        return Q(**{field: value})

    return build


def identifier_filter(value: str, modifier: str, ctx) -> Q:
    # Device readings keep their identifier as "system|value"; a bare value matches any system.
    if "|" in value:
        return Q(identifier=value)
    return Q(identifier__endswith=f"|{value}")


def no_identifier(value: str, modifier: str, ctx) -> Q:
    return NOTHING


def encounter_filter(field: str):
    def build(value: str, modifier: str, ctx) -> Q:
        target = value.removeprefix("Encounter/").removeprefix("dosing-")
        return Q(**{field: target}) if target.isdigit() else NOTHING

    return build


def observation_params(
    *, patient, codes, category, date, identifier, encounter, code_text, status=None, date_target=None
):
    """The search parameters every part of Observation understands, bound to one part's fields."""
    return (
        SearchParam(
            "patient", "reference", "The patient: Patient/{id} or {id}.", build=patient_filter(patient)
        ),
        SearchParam("subject", "reference", "The same as patient.", build=patient_filter(patient)),
        SearchParam("code", "token", code_text, build=code_filter(codes)),
        SearchParam("category", "token", "vital-signs or survey.", build=category_filter(category)),
        SearchParam(
            "date",
            "date",
            "When it was taken or scored, with prefixes; a reading dated by its day only is that "
            "whole day (date=ge2024-03-05T10:00 finds one of 2024-03-05).",
            fields=(date,),
            target=date_target,
        ),
        SearchParam(
            "status",
            "token",
            "final; a device's reading as it was sent (preliminary, amended, corrected); "
            "entered-in-error once a reading from outside a session is marked so on the chart.",
            build=status_filter(status),
        ),
        SearchParam(
            "identifier",
            "token",
            "A device reading's identifier, system|value or value.",
            build=identifier_filter if identifier else no_identifier,
        ),
        SearchParam(
            "encounter",
            "reference",
            "The dosing session: Encounter/dosing-{id}.",
            build=encounter_filter(encounter) if encounter else lambda value, modifier, ctx: NOTHING,
        ),
    )


CODE_TEXT = (
    "A LOINC code: 85354-9 blood pressure, 8867-4 heart rate, 9279-1 respiratory rate, 2708-6 or "
    "59408-5 oxygen saturation, 8310-5 body temperature, 29463-7 body weight, or a survey score's "
    "code such as 44261-6."
)


def quantity(value, unit: str, code: str) -> dict:
    number = int(value) if value == int(value) else float(value)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


class VitalPart(Mapper):
    """One kind of reading in the dosing sessions' vital-sign rows."""

    resource_type = "Observation"
    fhir_model = FhirObservation
    # Changed when kept, and again if marked entered in error on the chart (always later).
    last_updated_field = Coalesce("error_at", "recorded_at")
    patient_field = "patient_id"
    sorts = {"_id": "pk", "date": "taken_at", "_lastUpdated": "recorded_at"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
        Include("encounter", "Encounter", "session_id", "dosing-"),
        Include("derived-from", "QuestionnaireResponse", ""),
    )
    # Set by each kind:
    suffix = ""
    field = ""
    codes: tuple[dict, ...] = ()
    profile_name = ""
    unit = ("", "")

    def __init__(self):
        self.profile = US_CORE + self.profile_name
        self.search_params = observation_params(
            patient="patient_id",
            codes={coding["code"] for coding in self.codes},
            category="vital-signs",
            date="taken_at",
            # A reading from another record may be dated by its day only: that day, as a range.
            date_target=MomentsOrDays("taken_at", "date_only"),
            identifier=True,
            encounter="session_id",
            code_text=CODE_TEXT,
            status="status",
        )

    # The kinds share their rows: a search over several is one query (kapcare.fhir.paging.Family).
    family = "vital-signs"

    def family_queryset(self, clinic_id):
        from kapcare.sessions.models import VitalSign

        return VitalSign.objects.filter(clinic_id=clinic_id)

    def kind_q(self) -> Q:
        return Q(**{f"{self.field}__isnull": False})

    def has(self, reading) -> bool:
        return getattr(reading, self.field) is not None

    def queryset(self, clinic_id):
        return self.family_queryset(clinic_id).filter(self.kind_q())

    def last_updated(self, reading):
        return reading.error_at or reading.recorded_at

    def id_for(self, pk) -> str:
        return f"vs-{pk}-{self.suffix}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix("vs-").removesuffix(f"-{self.suffix}")
        if resource_id == f"vs-{number}-{self.suffix}" and number.isdigit():
            return number
        return None

    def to_resource(self, reading) -> dict:
        resource = {
            "resourceType": "Observation",
            "id": self.id_for(reading.pk),
            "meta": {"profile": [self.profile]},
            "status": reading.status,
            "category": [VITAL_SIGNS],
            "code": {"coding": [{"system": LOINC, **coding} for coding in self.codes]},
            "subject": {"reference": f"Patient/{reading.patient_id}"},
            "effectiveDateTime": reading.taken_at.date().isoformat()
            if reading.date_only
            else instant(reading.taken_at),
            **self.value(reading),
        }
        if reading.session_id:  # none for a reading kept from outside a session
            resource["encounter"] = {"reference": f"Encounter/dosing-{reading.session_id}"}
        if reading.identifier:
            system, _, value = reading.identifier.rpartition("|")
            resource["identifier"] = [{"system": system, "value": value} if system else {"value": value}]
        if reading.device:
            resource["device"] = {"display": reading.device}
        return resource

    def value(self, reading) -> dict:
        unit, code = self.unit
        return {"valueQuantity": quantity(getattr(reading, self.field), unit, code)}


class BloodPressure(VitalPart):
    suffix, field, profile_name = "bp", "systolic", "us-core-blood-pressure"
    codes = ({"code": "85354-9", "display": "Blood pressure panel with all children optional"},)

    def kind_q(self) -> Q:
        return Q(systolic__isnull=False, diastolic__isnull=False)

    def has(self, reading) -> bool:
        return reading.systolic is not None and reading.diastolic is not None

    def value(self, reading) -> dict:
        return {
            "component": [
                {
                    "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                    "valueQuantity": quantity(value, "mmHg", "mm[Hg]"),
                }
                for code, display, value in (
                    ("8480-6", "Systolic blood pressure", reading.systolic),
                    ("8462-4", "Diastolic blood pressure", reading.diastolic),
                )
            ]
        }


class HeartRate(VitalPart):
    suffix, field, profile_name, unit = "hr", "heart_rate", "us-core-heart-rate", ("beats/min", "/min")
    codes = ({"code": "8867-4", "display": "Heart rate"},)


class RespiratoryRate(VitalPart):
    suffix, field, profile_name = "rr", "resp_rate", "us-core-respiratory-rate"
    unit = ("breaths/min", "/min")
    codes = ({"code": "9279-1", "display": "Respiratory rate"},)


class OxygenSaturation(VitalPart):
    suffix, field, profile_name, unit = "spo2", "spo2", "us-core-pulse-oximetry", ("%", "%")
    codes = (
        {"code": "2708-6", "display": "Oxygen saturation in Arterial blood"},
        {"code": "59408-5", "display": "Oxygen saturation in Arterial blood by Pulse oximetry"},
    )


class BodyTemperature(VitalPart):
    suffix, field, profile_name = "temp", "temperature_c", "us-core-body-temperature"
    codes = ({"code": "8310-5", "display": "Body temperature"},)
    UNITS = {"Cel": "Cel", "[degF]": "[degF]"}

    def value(self, reading) -> dict:
        from kapcare.sessions.vitals import CELSIUS, temperature_in

        code = reading.temperature_unit or CELSIUS
        value = temperature_in(reading.temperature_c, code)
        return {"valueQuantity": quantity(value, self.UNITS[code], code)}


class BodyWeight(Mapper):
    """The weight taken at a dosing session's check-in (kapcare.sessions PreCheck)."""

    resource_type = "Observation"
    fhir_model = FhirObservation
    profile = US_CORE + "us-core-body-weight"
    last_updated_field = "checked_at"
    patient_field = "session__patient_id"
    sorts = {"_id": "pk", "date": "checked_at", "_lastUpdated": "checked_at"}
    includes = (
        Include("patient", "Patient", "session__patient_id"),
        Include("subject", "Patient", "session__patient_id"),
        Include("encounter", "Encounter", "session_id", "dosing-"),
        Include("derived-from", "QuestionnaireResponse", ""),
    )
    search_params = observation_params(
        patient="session__patient_id",
        codes={"29463-7"},
        category="vital-signs",
        date="checked_at",
        identifier=False,
        encounter="session_id",
        code_text=CODE_TEXT,
    )

    def queryset(self, clinic_id):
        from kapcare.sessions.models import CheckKind, PreCheck

        return PreCheck.objects.filter(
            session__clinic_id=clinic_id, kind=CheckKind.WEIGHT, session__weight_kg__isnull=False
        ).select_related("session")

    def id_for(self, pk) -> str:
        return f"weight-{pk}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix("weight-")
        return number if resource_id.startswith("weight-") and number.isdigit() else None

    def to_resource(self, check) -> dict:
        session = check.session
        return {
            "resourceType": "Observation",
            "id": self.id_for(check.pk),
            "meta": {"profile": [self.profile]},
            "status": "final",
            "category": [VITAL_SIGNS],
            "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}]},
            "subject": {"reference": f"Patient/{session.patient_id}"},
            "encounter": {"reference": f"Encounter/dosing-{session.pk}"},
            "effectiveDateTime": instant(check.checked_at),
            "valueQuantity": quantity(session.weight_kg, "kg", "kg"),
        }


VITAL_PARTS = (BloodPressure(), HeartRate(), RespiratoryRate(), OxygenSaturation(), BodyTemperature())
VITAL_CODES = {coding["code"] for part in VITAL_PARTS for coding in part.codes} | {"29463-7"}
