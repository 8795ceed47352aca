"""MedicationStatement: the medications the evaluation records (read-only), and medications recorded
elsewhere (another clinic's medication list, a prescription in an imported record) that clients
create.

A medication of the evaluation (kapcare.evaluation Medication) is what the patient takes now, so its
status is active; it is named in words (the evaluation does not code medications), its dose given
in UCUM units with the frequency in words, and dateAsserted is the evaluation's date. Its id is the
medication's number.

A MedicationStatement POSTed here, or a MedicationRequest loaded by $import-bundle (a prescription,
as Synthea and most EHRs send a medication), is kept as a medication recorded elsewhere
(kapcare.evaluation OutsideMedication), with id `outside-{n}`: its RxNorm coding and text as sent,
its status (a prescription's mapped to a statement's, see REQUEST_STATUS there), the dosage as
written and its dates as sent, however partial. A prescription reads back with basedOn naming it.
The prescriber reconciles these with the evaluation's list; no screening rule reads them.
"""

from django.db.models import Q
from django.db.models.functions import Coalesce
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement

from kapcare.evaluation.models import Medication, OutsideMedication
from kapcare.evaluation.models.outside import REQUEST_STATUS, RXNORM, MedicationStatus, SentAs
from kapcare.fhir import kept
from kapcare.fhir.errors import FhirError, issue
from kapcare.fhir.mappers.condition import date_time, source_of, subject_of
from kapcare.fhir.registry import CompositeWithWrites, Include, Mapper, SearchParam, patient_filter

UCUM = "http://unitsofmeasure.org"
STATUS = "http://hl7.org/fhir/CodeSystem/medication-statement-status"
PREFIX = "outside-"
NOTHING = Q(pk__in=[])
# A MedicationRequest's intents that are a prescription; a proposal, plan or option is not one.
PRESCRIBED = ("order", "original-order", "reflex-order", "filler-order", "instance-order")
# What of a MedicationRequest kapcare keeps; the rest is said back as not kept.
REQUEST_KEPT = {"status", "intent", "medicationCodeableConcept", "subject", "authoredOn"}


def status_code(value: str) -> str | None:
    """The status a token search value names, or None when it names another system."""
    system, bar, code = value.rpartition("|")
    return None if bar and system not in ("", STATUS) else code


def evaluation_status(value: str, modifier: str, ctx) -> Q:
    return Q() if status_code(value) == "active" else NOTHING


def no_code(value: str, modifier: str, ctx) -> Q:
    # The evaluation names its medications in words, with no code to find them by.
    return NOTHING


def outside_status(value: str, modifier: str, ctx) -> Q:
    code = status_code(value)
    return NOTHING if code is None else Q(status=code)


def outside_code(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    return NOTHING if bar and system not in ("", RXNORM) else Q(code=code)


def statement_params(*, patient, status, code) -> tuple[SearchParam, ...]:
    """The search parameters both parts of MedicationStatement understand, bound to one part."""
    return (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=patient),
        SearchParam("subject", "reference", "The same as patient.", build=patient),
        SearchParam(
            "status",
            "token",
            "active (every medication of the evaluation), or another status of a medication "
            "recorded elsewhere: completed, entered-in-error, intended, stopped, on-hold, unknown, "
            "not-taken.",
            build=status,
        ),
        SearchParam(
            "code",
            "token",
            f"An RxNorm code ({RXNORM}|...) of a medication recorded elsewhere; the evaluation's "
            "medications are named in words and have none.",
            build=code,
        ),
    )


class EvaluationMedications(Mapper):
    """The evaluation's medications (kapcare.evaluation Medication), read-only."""

    resource_type = "MedicationStatement"
    fhir_model = FhirMedicationStatement
    patient_field = "evaluation__patient_id"
    last_updated_field = "evaluation__updated_at"
    search_params = statement_params(
        patient=patient_filter("evaluation__patient_id"), status=evaluation_status, code=no_code
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


class OutsideMedications(Mapper):
    """Medications recorded elsewhere (kapcare.evaluation OutsideMedication), created by clients."""

    resource_type = "MedicationStatement"
    fhir_model = FhirMedicationStatement
    patient_field = "patient_id"
    # Changed when kept, and again if marked entered in error on the chart (always later).
    last_updated_field = Coalesce("error_at", "recorded_at")
    search_params = statement_params(
        patient=patient_filter("patient_id"), status=outside_status, code=outside_code
    )
    sorts = {"_id": "pk"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
    )

    def queryset(self, clinic_id):
        return OutsideMedication.objects.filter(clinic_id=clinic_id)

    def id_for(self, pk) -> str:
        return f"{PREFIX}{pk}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix(PREFIX)
        return number if resource_id.startswith(PREFIX) and number.isdigit() else None

    def last_updated(self, medication: OutsideMedication):
        return medication.error_at or medication.recorded_at

    def to_resource(self, medication: OutsideMedication) -> dict:
        coding = {"system": medication.system, "code": medication.code}
        if medication.code_version:
            coding["version"] = medication.code_version
        if medication.display:
            coding["display"] = medication.display
        resource = {"resourceType": "MedicationStatement", "id": self.id_for(medication.pk)}
        if medication.is_prescription:
            written = f", written {medication.authored_on}" if medication.authored_on else ""
            resource["basedOn"] = [
                {
                    "type": "MedicationRequest",
                    "display": f"A prescription (MedicationRequest status "
                    f"{medication.request_status}{written}) from {medication.source}",
                }
            ]
        resource["status"] = medication.status
        resource["medicationCodeableConcept"] = {
            "coding": [coding],
            **({"text": medication.text} if medication.text else {}),
        }
        resource["subject"] = {"reference": f"Patient/{medication.patient_id}"}
        if medication.effective_end:
            resource["effectivePeriod"] = {
                key: value
                for key, value in (("start", medication.effective_start), ("end", medication.effective_end))
                if value
            }
        elif medication.effective_start:
            resource["effectiveDateTime"] = medication.effective_start
        if medication.date_asserted:
            resource["dateAsserted"] = medication.date_asserted
        if medication.dosage:
            resource["dosage"] = [{"text": medication.dosage}]
        return resource

    def create(self, resource: dict, *, caller):
        medication = outside_medication(resource, caller)
        medication.save()
        return medication


class MedicationStatementMapper(CompositeWithWrites):
    resource_type = "MedicationStatement"
    fhir_model = FhirMedicationStatement
    documentation = __doc__.split("\n\n")[0]
    # An import keeps a prescription as a medication recorded elsewhere (bundles.import_bundle).
    converts = {"MedicationRequest": FhirMedicationRequest}
    patient_field = "patient_id"
    # Each part has its own; this one only says that _lastUpdated is searchable.
    last_updated_field = "recorded_at"
    members = (EvaluationMedications(), OutsideMedications())
    # A create, and If-None-Exist before it, are about the medications clients create.
    writes = members[1]

    def not_kept(self, sent: dict, stored: dict) -> list[dict]:
        """What of the resource sent was not kept. A prescription is not compared element by
        element with the statement it became: of it kapcare keeps REQUEST_KEPT and the text of its
        first dosage instruction, and says the rest."""
        if sent.get("resourceType") != "MedicationRequest":
            return kept.warnings(sent, stored)
        paths = [
            f"MedicationRequest.{key}"
            for key, value in sent.items()
            if key not in REQUEST_KEPT | kept.NOT_COMPARED | {"dosageInstruction"}
            and value not in (None, [], {}, "")
        ]
        for index, instruction in enumerate(sent.get("dosageInstruction") or []):
            paths += [
                f"MedicationRequest.dosageInstruction[{index}].{key}"
                for key in instruction
                if not (index == 0 and key == "text")
            ]
        return [
            issue(
                f"{path} was not kept: kapcare does not record it.",
                severity="warning",
                code="informational",
                expression=path,
            )
            for path in paths
        ]


def refused(kind: str, element: str, message: str) -> FhirError:
    where = f"{kind}.{element}"
    return FhirError(422, f"{where}: {message}", code="invalid", expression=where)


def outside_medication(resource: dict, caller) -> OutsideMedication:
    """An unsaved medication recorded elsewhere from a validated MedicationStatement, or from a
    MedicationRequest an import loads; 422 for what kapcare cannot keep as sent."""
    kind = resource["resourceType"]
    patient = subject_of(resource, caller, kind)
    coding = coding_of(resource, kind)
    medication = OutsideMedication(
        clinic=caller.clinic,
        patient=patient,
        system=RXNORM,
        code=coding["code"],
        code_version=coding.get("version", ""),
        display=coding.get("display", ""),
        text=(resource.get("medicationCodeableConcept") or {}).get("text", ""),
        source=source_of(caller),
    )
    starts = []
    if kind == "MedicationRequest":
        read_request(resource, medication, starts)
    else:
        read_statement(resource, medication, starts)
    medication.dated = next((start for start in starts if start is not None), None)
    for field in ("code", "code_version", "display", "text", "dosage"):
        limit = OutsideMedication._meta.get_field(field).max_length
        if len(getattr(medication, field)) > limit:
            element = "dosage" if field == "dosage" else "medicationCodeableConcept"
            raise refused(
                kind, element, f"the {field.replace('_', ' ')} is longer than kapcare keeps ({limit})."
            )
    return medication


def read_statement(resource: dict, medication: OutsideMedication, starts: list) -> None:
    medication.sent_as = SentAs.STATEMENT
    if resource["status"] not in MedicationStatus.values:
        raise refused("MedicationStatement", "status", f"give one of {', '.join(MedicationStatus.values)}.")
    medication.status = resource["status"]
    period = resource.get("effectivePeriod") or {}
    if resource.get("effectiveDateTime"):
        medication.effective_start, start = date_time(resource, "effectiveDateTime", "MedicationStatement")
    else:
        medication.effective_start, start = date_time(period, "start", "MedicationStatement.effectivePeriod")
        medication.effective_end, _ = date_time(period, "end", "MedicationStatement.effectivePeriod")
    medication.date_asserted, asserted = date_time(resource, "dateAsserted", "MedicationStatement")
    starts += [start, asserted]
    medication.dosage = ((resource.get("dosage") or [{}])[0]).get("text", "")


def read_request(resource: dict, medication: OutsideMedication, starts: list) -> None:
    if resource.get("intent") not in PRESCRIBED:
        raise refused(
            "MedicationRequest",
            "intent",
            f"{resource.get('intent')!r} is not a prescription; kapcare keeps a MedicationRequest "
            f"whose intent is {', '.join(PRESCRIBED)}.",
        )
    medication.sent_as = SentAs.REQUEST
    if resource["status"] not in REQUEST_STATUS:
        raise refused("MedicationRequest", "status", f"give one of {', '.join(REQUEST_STATUS)}.")
    medication.request_status = resource["status"]
    medication.status = REQUEST_STATUS[resource["status"]]
    medication.authored_on, authored = date_time(resource, "authoredOn", "MedicationRequest")
    starts.append(authored)
    medication.dosage = ((resource.get("dosageInstruction") or [{}])[0]).get("text", "")


def coding_of(resource: dict, kind: str) -> dict:
    if resource.get("medicationReference"):
        raise refused(
            kind,
            "medicationReference",
            "kapcare keeps a medication named in medicationCodeableConcept, coded in RxNorm; "
            "a reference to a Medication resource it does not follow.",
        )
    codings = (resource.get("medicationCodeableConcept") or {}).get("coding") or []
    for coding in codings:
        if coding.get("system") == RXNORM and coding.get("code"):
            return coding
    sent = ", ".join(sorted({str(c.get("system")) for c in codings})) or "no coding"
    raise refused(
        kind,
        "medicationCodeableConcept.coding",
        f"kapcare keeps a medication from another record coded in RxNorm ({RXNORM}); this one has {sent}.",
    )
