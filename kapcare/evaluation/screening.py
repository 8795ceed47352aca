"""Safety screening: an evaluation written as a document, the facts in it, and the findings of a
protocol's rules on those facts.

The staff pages and `kapcare screen` both call `screen_document`, so they cannot disagree. The
document is plain JSON (the README and `kapcare screen --help` describe it):

    {"evaluated_on": "2026-11-20", "date_of_birth": "1984-03-09",   (or "age": 42)
     "psychosis": "none", "hypertension": "uncontrolled", "systolic_bp": 152, ...,
     "phq9_item9": 0,
     "medications": [{"name": "clonazepam", "class": "benzodiazepine", "dose": 0.5, "unit": "mg"}],
     "allergies": [{"substance": "penicillin", "reaction": "rash"}]}

Any evaluation field may be left out; a rule never fires on a fact nobody recorded.
"""

from datetime import date

from django.core.exceptions import ValidationError

from kapcare.clinics.protocol import Finding, screen
from kapcare.evaluation.history import MEDICAL, PSYCHIATRIC
from kapcare.evaluation.models import Allergy, Evaluation, Medication

# The evaluation's fields a document may carry, all read by screening rules or by their facts:
# the history the forms ask for, and the vital signs.
FIELDS = [*PSYCHIATRIC, *MEDICAL, "systolic_bp", "diastolic_bp", "heart_rate", "weight_kg", "height_cm"]
EXTRA = {"evaluated_on", "date_of_birth", "age", "phq9_item9", "medications", "allergies"}
MEDICATION_KEYS = {
    "name": "name",
    "class": "drug_class",
    "dose": "dose",
    "unit": "unit",
    "frequency": "frequency",
}
ALLERGY_KEYS = {"substance": "substance", "reaction": "reaction"}
KETAMINE = ("ketamine", "esketamine", "ketalar", "spravato")


class DocumentError(ValueError):
    """An evaluation document that cannot be screened; `errors` names each fault."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def screen_document(document: dict, rules: dict) -> list[Finding]:
    """The findings of a protocol's screening rules on one evaluation document."""
    return screen(facts_of(read_document(document)), rules)


def read_document(document) -> dict:
    """The document's values, checked and converted the way the evaluation's own fields are."""
    if not isinstance(document, dict):
        raise DocumentError(["The evaluation must be a JSON object."])
    errors = [
        f"{key}: not a field of the evaluation." for key in sorted(document.keys() - set(FIELDS) - EXTRA)
    ]
    values: dict = {}
    for name in [*FIELDS, "evaluated_on"]:
        if name in document:
            values[name] = clean_field(Evaluation, name, document[name], errors, name)
    values["date_of_birth"] = clean_date(document.get("date_of_birth"), errors)
    values["age"] = clean_int(document.get("age"), "age", 0, 130, errors)
    values["phq9_item9"] = clean_int(document.get("phq9_item9"), "phq9_item9", 0, 3, errors)
    values["medications"] = clean_rows(document.get("medications", []), Medication, MEDICATION_KEYS, errors)
    values["allergies"] = clean_rows(document.get("allergies", []), Allergy, ALLERGY_KEYS, errors)
    if errors:
        raise DocumentError(errors)
    return values


def clean_field(model, name: str, value, errors: list[str], where: str):
    field = model._meta.get_field(name)
    if value is None:
        value = "" if not field.null else None
    try:
        return field.clean(value, None)
    except ValidationError as error:
        errors.append(f"{where}: {' '.join(error.messages)}")
        return None


def clean_date(value, errors: list[str]):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.append(f"date_of_birth: {value!r} is not a date (YYYY-MM-DD).")
        return None


def clean_int(value, name: str, low: int, high: int, errors: list[str]):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(f"{name}: must be a whole number from {low} to {high}.")
        return None
    return value


def clean_rows(rows, model, keys: dict, errors: list[str]) -> list[dict]:
    label = model._meta.verbose_name_plural
    if not isinstance(rows, list):
        errors.append(f"{label}: must be a list.")
        return []
    cleaned = []
    for n, row in enumerate(rows):
        where = f"{label}[{n}]"
        if not isinstance(row, dict):
            errors.append(f"{where}: must be an object.")
            continue
        errors += [
            f"{where}.{key}: unknown; use {', '.join(keys)}." for key in sorted(row.keys() - keys.keys())
        ]
        values = {
            field: clean_field(model, field, row.get(key), errors, f"{where}.{key}")
            for key, field in keys.items()
        }
        instance = model(**{k: v for k, v in values.items() if v is not None})
        try:
            instance.clean()
        except ValidationError as error:
            errors += [f"{where}: {message}" for message in error.messages]
        cleaned.append(values)
    return cleaned


def facts_of(values: dict) -> dict:
    """The facts screening rules read, from a checked document."""
    evaluated_on = values.get("evaluated_on") or date.today()
    facts = {name: none_if_blank(values.get(name)) for name in FIELDS}
    for name in ("systolic_bp", "diastolic_bp", "heart_rate", "weight_kg", "height_cm"):
        if facts[name] is not None:
            facts[name] = float(facts[name])
    facts["age"] = values.get("age")
    born = values.get("date_of_birth")
    if born is not None:
        facts["age"] = (
            evaluated_on.year - born.year - ((evaluated_on.month, evaluated_on.day) < (born.month, born.day))
        )
    attempt = values.get("last_suicide_attempt")
    facts["days_since_suicide_attempt"] = (evaluated_on - attempt).days if attempt else None
    facts["phq9_item9"] = values.get("phq9_item9")
    facts["medication_classes"] = {m["drug_class"] for m in values["medications"] if m.get("drug_class")}
    facts["ketamine_allergy"] = any(
        word in (a.get("substance") or "").lower() for a in values["allergies"] for word in KETAMINE
    )
    return facts


def none_if_blank(value):
    return None if value == "" else value


def document_of(evaluation: Evaluation, medications, allergies, *, phq9_item9=None) -> dict:
    """An evaluation (saved or not) with its medication and allergy rows, as a screening document."""

    def plain(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if value is not None and not isinstance(value, bool | int | str):
            return float(value)
        return value

    document = {name: plain(getattr(evaluation, name)) for name in FIELDS}
    document["evaluated_on"] = plain(evaluation.evaluated_on)
    document["date_of_birth"] = plain(evaluation.patient.date_of_birth)
    document["phq9_item9"] = phq9_item9
    document["medications"] = [
        {key: plain(getattr(m, field)) for key, field in MEDICATION_KEYS.items()} for m in medications
    ]
    document["allergies"] = [
        {key: getattr(a, field) for key, field in ALLERGY_KEYS.items()} for a in allergies
    ]
    return document
