"""Errors the API answers with: an OperationOutcome saying what is wrong and where (FHIRPath)."""

import re

# fhir.resources says a complex element given in the wrong shape as "Value is expected from the
# instance of Identifier, but got type <class 'list'>", at the element's place plus "root".
WRONG_SHAPE = re.compile(r"Value is expected from the instance of (\w+), but got type <class '(\w+)'>")
JSON_KINDS = {
    "list": "a list",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
}


class FhirError(Exception):
    """An interaction that cannot go ahead; becomes an OperationOutcome with this HTTP status."""

    def __init__(self, status: int, message: str, *, code: str = "invalid", expression=None, issues=None):
        super().__init__(message)
        self.status = status
        self.issues = issues or [issue(message, code=code, expression=expression)]
        self.headers: dict[str, str] = {}


def issue(message: str, *, code: str = "invalid", severity: str = "error", expression=None) -> dict:
    entry = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        entry["expression"] = [expression] if isinstance(expression, str) else list(expression)
    return entry


def outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def fhirpath(root: str, loc) -> str:
    """('name', 0, 'given') under Patient -> Patient.name[0].given."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def from_validation_error(resource_type: str, error) -> FhirError:
    """A pydantic ValidationError from fhir.resources, one issue per problem, each with its place."""
    issues = []
    for problem in error.errors():
        # "root" and "__root__" are pydantic's own steps, not FHIR elements.
        loc = [part for part in problem["loc"] if part not in ("__root__", "root")]
        message = problem["msg"].removeprefix("Value error, ")
        if shape := WRONG_SHAPE.search(message):
            kind, got = shape.groups()
            message = f"one {kind} is expected here, not {JSON_KINDS.get(got, got)}."
        where = fhirpath(resource_type, loc)
        code = "structure" if problem["type"] in {"extra_forbidden", "missing"} else "value"
        if problem["type"] == "extra_forbidden":
            message = f"{where} is not an element of {resource_type} in FHIR R4."
        issues.append(
            issue(
                f"{where}: {message}" if not message.startswith(where) else message,
                code=code,
                expression=where,
            )
        )
    return FhirError(400, issues[0]["diagnostics"], issues=issues)


def not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(404, f"{resource_type}/{resource_id} is not known here.", code="not-found")
