"""Condition: the diagnoses of kapcare's evaluation (read-only), and conditions recorded elsewhere
(another clinic's problem list, an imported record) that clients create.

A diagnosis is an ICD-10-CM code from the current code set, made at the patient's evaluation, so
its category is encounter-diagnosis and recordedDate the evaluation's date; kapcare does not track
whether a diagnosis later resolves, so it has no clinicalStatus. Its id is the diagnosis's number.

A Condition POSTed here (or loaded by $import-bundle) is kept as a condition recorded elsewhere
(kapcare.evaluation OutsideCondition), with id `outside-{n}`: its SNOMED CT or ICD-10-CM coding as
sent, clinical and verification status, category, and onset, abatement and recorded dates as
written, however partial. The prescriber sees it beside the evaluation; it is not one of the
evaluation's diagnoses and no screening rule reads it.
"""

from django.db.models import Q
from django.db.models.functions import Coalesce
from fhir.resources.R4B.condition import Condition as FhirCondition

from kapcare.evaluation.models import Diagnosis, OutsideCondition
from kapcare.evaluation.models.outside import (
    ICD10CM,
    SNOMED,
    Category,
    ClinicalStatus,
    VerificationStatus,
)
from kapcare.fhir.errors import FhirError
from kapcare.fhir.registry import CompositeWithWrites, Include, Mapper, SearchParam, patient_filter
from kapcare.fhir.search import Spans
from kapcare.lib.partial_dates import span

CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
PROFILES = {
    Category.ENCOUNTER_DIAGNOSIS: US_CORE + "us-core-condition-encounter-diagnosis",
    Category.PROBLEM_LIST_ITEM: US_CORE + "us-core-condition-problems-health-concerns",
    Category.HEALTH_CONCERN: US_CORE + "us-core-condition-problems-health-concerns",
}
DISPLAYS = {
    Category.PROBLEM_LIST_ITEM: "Problem List Item",
    Category.ENCOUNTER_DIAGNOSIS: "Encounter Diagnosis",
    Category.HEALTH_CONCERN: "Health Concern",
}
PREFIX = "outside-"
NOTHING = Q(pk__in=[])


def token(value: str, systems: tuple[str, ...]) -> str | None:
    """The code of a token search value, or None when it names another system."""
    system, bar, code = value.rpartition("|")
    return None if bar and system not in ("", *systems) else code


def diagnosis_code(value: str, modifier: str, ctx) -> Q:
    code = token(value, (ICD10CM,))
    return NOTHING if code is None else Q(code__iexact=code)


def diagnosis_category(value: str, modifier: str, ctx) -> Q:
    return Q() if token(value, (CATEGORY,)) == Category.ENCOUNTER_DIAGNOSIS else NOTHING


def nothing(value: str, modifier: str, ctx) -> Q:
    # A diagnosis has no clinical status and no onset of its own.
    return NOTHING


def outside_code(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    if bar and system not in ("", SNOMED, ICD10CM):
        return NOTHING
    return Q(code__iexact=code, **({"system": system} if system else {}))


def outside_category(value: str, modifier: str, ctx) -> Q:
    code = token(value, (CATEGORY, US_CORE_CATEGORY))
    return NOTHING if code is None else Q(category=code)


def outside_status(value: str, modifier: str, ctx) -> Q:
    code = token(value, (CLINICAL,))
    return NOTHING if code is None else Q(clinical_status=code)


def condition_params(*, patient, code, category, status, onset, recorded) -> tuple[SearchParam, ...]:
    """The search parameters both parts of Condition understand, bound to one part's fields."""
    return (
        SearchParam("patient", "reference", "The patient: Patient/{id} or {id}.", build=patient),
        SearchParam("subject", "reference", "The same as patient.", build=patient),
        SearchParam(
            "code",
            "token",
            "An ICD-10-CM code (http://hl7.org/fhir/sid/icd-10-cm|F33.2), or a SNOMED CT code "
            "(http://snomed.info/sct|...) of a condition recorded elsewhere.",
            build=code,
        ),
        SearchParam(
            "category",
            "token",
            "encounter-diagnosis (the evaluation's diagnoses, and conditions sent so), "
            "problem-list-item or health-concern.",
            build=category,
        ),
        SearchParam(
            "clinical-status",
            "token",
            "active, recurrence, relapse, inactive, remission or resolved: conditions recorded "
            "elsewhere (the evaluation's diagnoses have none).",
            build=status,
        ),
        SearchParam(
            "onset-date",
            "date",
            "The onset of a condition recorded elsewhere, with prefixes; a partial onset is the "
            "whole span it names (onset-date=ge2015-06 finds an onset of 2015).",
            **onset,
        ),
        SearchParam(
            "recorded-date",
            "date",
            "The evaluation's date for a diagnosis; the recorded date sent with a condition from "
            "elsewhere, partial or not (else the day kapcare kept it). With prefixes.",
            **recorded,
        ),
    )


class Diagnoses(Mapper):
    """The diagnoses of the evaluation (kapcare.evaluation Diagnosis), read-only."""

    resource_type = "Condition"
    fhir_model = FhirCondition
    profile = PROFILES[Category.ENCOUNTER_DIAGNOSIS]
    patient_field = "evaluation__patient_id"
    last_updated_field = "evaluation__updated_at"
    search_params = condition_params(
        patient=patient_filter("evaluation__patient_id"),
        code=diagnosis_code,
        category=diagnosis_category,
        status=nothing,
        onset={"build": nothing},
        recorded={"fields": ("evaluation__evaluated_on",)},
    )
    sorts = {"_id": "pk", "recorded-date": "evaluation__evaluated_on"}
    includes = (
        Include("patient", "Patient", "evaluation__patient_id"),
        Include("subject", "Patient", "evaluation__patient_id"),
    )

    def queryset(self, clinic_id):
        return Diagnosis.objects.filter(evaluation__clinic_id=clinic_id).select_related("evaluation")

    def to_resource(self, diagnosis: Diagnosis) -> dict:
        coding = {"system": ICD10CM, "code": diagnosis.code}
        if diagnosis.description:
            coding["display"] = diagnosis.description
        return {
            "resourceType": "Condition",
            "id": str(diagnosis.pk),
            "category": [category_concept(Category.ENCOUNTER_DIAGNOSIS)],
            "code": {
                "coding": [coding],
                **({"text": diagnosis.description} if diagnosis.description else {}),
            },
            "subject": {"reference": f"Patient/{diagnosis.evaluation.patient_id}"},
            "recordedDate": diagnosis.evaluation.evaluated_on.isoformat(),
        }


def category_concept(code: str) -> dict:
    system = US_CORE_CATEGORY if code == Category.HEALTH_CONCERN else CATEGORY
    return {"coding": [{"system": system, "code": code, "display": DISPLAYS[code]}]}


class OutsideConditions(Mapper):
    """Conditions recorded elsewhere (kapcare.evaluation OutsideCondition), created by clients."""

    resource_type = "Condition"
    fhir_model = FhirCondition
    profile = PROFILES[Category.PROBLEM_LIST_ITEM]
    patient_field = "patient_id"
    # Changed when kept, and again if marked entered in error on the chart (always later).
    last_updated_field = Coalesce("error_at", "recorded_at")
    search_params = condition_params(
        patient=patient_filter("patient_id"),
        code=outside_code,
        category=outside_category,
        status=outside_status,
        onset={"target": Spans("onset_start", "onset_end")},
        recorded={"target": Spans("recorded_start", "recorded_end")},
    )
    sorts = {"_id": "pk", "recorded-date": "recorded_on"}
    includes = (
        Include("patient", "Patient", "patient_id"),
        Include("subject", "Patient", "patient_id"),
    )

    def queryset(self, clinic_id):
        return OutsideCondition.objects.filter(clinic_id=clinic_id)

    def id_for(self, pk) -> str:
        return f"{PREFIX}{pk}"

    def pk_of(self, resource_id: str) -> str | None:
        number = resource_id.removeprefix(PREFIX)
        return number if resource_id.startswith(PREFIX) and number.isdigit() else None

    def last_updated(self, condition: OutsideCondition):
        return condition.error_at or condition.recorded_at

    def to_resource(self, condition: OutsideCondition) -> dict:
        coding = {"system": condition.system, "code": condition.code}
        if condition.code_version:
            coding["version"] = condition.code_version
        if condition.display:
            coding["display"] = condition.display
        resource = {"resourceType": "Condition", "id": self.id_for(condition.pk)}
        if condition.category:
            resource["meta"] = {"profile": [PROFILES[condition.category]]}
        for element, system, value, labels in (
            ("clinicalStatus", CLINICAL, condition.clinical_status, ClinicalStatus),
            ("verificationStatus", VERIFICATION, condition.verification_status, VerificationStatus),
        ):
            if value:
                display = labels(value).label.capitalize()
                resource[element] = {"coding": [{"system": system, "code": value, "display": display}]}
        if condition.category:
            resource["category"] = [category_concept(condition.category)]
        resource["code"] = {"coding": [coding], **({"text": condition.text} if condition.text else {})}
        resource["subject"] = {"reference": f"Patient/{condition.patient_id}"}
        for element, value in (
            ("onsetDateTime", condition.onset),
            ("abatementDateTime", condition.abatement),
        ):
            if value:
                resource[element] = value
        resource["recordedDate"] = condition.recorded_date or condition.recorded_on.isoformat()
        return resource

    def create(self, resource: dict, *, caller):
        condition = outside_condition(resource, caller)
        condition.save()
        return condition


class ConditionMapper(CompositeWithWrites):
    resource_type = "Condition"
    fhir_model = FhirCondition
    documentation = __doc__.split("\n\n")[0]
    patient_field = "patient_id"
    # Each part has its own; this one only says that _lastUpdated is searchable.
    last_updated_field = "recorded_at"
    members = (Diagnoses(), OutsideConditions())
    # A create, and If-None-Exist before it, are about the conditions clients create.
    writes = members[1]


def refused(element: str, message: str, kind: str = "Condition") -> FhirError:
    where = f"{kind}.{element}"
    return FhirError(422, f"{where}: {message}", code="invalid", expression=where)


def outside_condition(resource: dict, caller) -> OutsideCondition:
    """An unsaved condition recorded elsewhere from a validated Condition; 422 for what kapcare
    cannot keep as sent. Elements it does not keep are left, and said back (kept.py)."""
    patient = subject_of(resource, caller)
    coding = coding_of(resource)
    onset, _ = date_time(resource, "onsetDateTime")
    abatement, _ = date_time(resource, "abatementDateTime")
    recorded_date, recorded_start = date_time(resource, "recordedDate")
    condition = OutsideCondition(
        clinic=caller.clinic,
        patient=patient,
        system=coding["system"],
        code=coding["code"],
        code_version=coding.get("version", ""),
        display=coding.get("display", ""),
        text=(resource.get("code") or {}).get("text", ""),
        clinical_status=status_of(resource, "clinicalStatus", CLINICAL, ClinicalStatus),
        verification_status=status_of(resource, "verificationStatus", VERIFICATION, VerificationStatus),
        category=category_of(resource),
        onset=onset,
        abatement=abatement,
        recorded_date=recorded_date,
        source=source_of(caller),
    )
    condition.recorded_on = recorded_start.date() if recorded_start else condition.recorded_at.date()
    for field in ("code", "code_version", "display", "text"):
        limit = OutsideCondition._meta.get_field(field).max_length
        if len(getattr(condition, field)) > limit:
            raise refused("code", f"the {field.replace('_', ' ')} is longer than kapcare keeps ({limit}).")
    return condition


def subject_of(resource: dict, caller, kind: str = "Condition"):
    from kapcare.patients.models import Patient

    reference = (resource.get("subject") or {}).get("reference", "")
    target = reference.removeprefix("Patient/")
    patient = None
    if reference.startswith("Patient/") and target.isdigit():
        patient = Patient.objects.filter(clinic=caller.clinic, pk=target).first()
    if patient is None:
        said = f"{reference!r} is not" if reference else "give"
        what = "condition" if kind == "Condition" else "medication"
        raise refused(
            "subject",
            f"{said} Patient/{{id}} of a patient of this clinic: a {what} is kept only for one of "
            "the clinic's patients (POST the Patient first, or send both in a transaction).",
            kind,
        )
    return patient


def coding_of(resource: dict) -> dict:
    codings = (resource.get("code") or {}).get("coding") or []
    for coding in codings:
        if coding.get("system") in (SNOMED, ICD10CM) and coding.get("code"):
            return coding
    sent = ", ".join(sorted({str(c.get("system")) for c in codings})) or "no coding"
    raise refused(
        "code.coding",
        f"kapcare keeps a condition coded in SNOMED CT ({SNOMED}) or ICD-10-CM ({ICD10CM}); "
        f"this one has {sent}.",
    )


def status_of(resource: dict, element: str, system: str, choices) -> str:
    concept = resource.get(element)
    if not concept:
        return ""
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == system]
    if not codes or codes[0] not in choices.values:
        raise refused(
            f"{element}.coding",
            f"give a code of {system}: {', '.join(choices.values)}.",
        )
    return codes[0]


def category_of(resource: dict) -> str:
    for concept in resource.get("category") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") in (CATEGORY, US_CORE_CATEGORY) and coding.get("code") in Category.values:
                return coding["code"]
    return ""  # another category (or none) is left, and said back as not kept


def date_time(resource: dict, element: str, kind: str = "Condition"):
    """The dateTime as sent, and the first moment it allows; an onset given another way
    (onsetAge, onsetString) is left, and said back as not kept."""
    text = resource.get(element) or ""
    if not text:
        return "", None
    try:
        return text, span(text)[0]
    except ValueError:
        raise refused(element, f"{text!r} is not a dateTime kapcare can read.", kind) from None


def source_of(caller) -> str:
    name = caller.token.name if caller.token is not None else caller.actor
    return f"import by {name}" if caller.source == "import" else name
