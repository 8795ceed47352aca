"""Transaction and batch Bundles, and loading a whole record with $import-bundle.

A transaction is all or nothing: its entries run inside one database transaction (POST, then PUT,
then GET, as the FHIR specification orders them), and the first error undoes everything and is
answered as an OperationOutcome that names the entry. A batch runs each entry on its own and
reports each result in the response Bundle. `urn:uuid:` references between entries are rewritten
to the ids kapcare assigns.
"""

import contextlib
import dataclasses
import re
from collections import Counter
from urllib.parse import parse_qsl

from django.db import transaction

from kapcare.fhir import api, ingest
from kapcare.fhir.errors import FhirError, issue, outcome
from kapcare.fhir.registry import registry

# Types whose entries an import skips, with the reason, when kapcare cannot keep one as sent.
SKIPPABLE = {"Condition", "MedicationStatement", "MedicationRequest"}
# What an import says it made of the types it keeps as another (mappers' `converts`).
KEPT_AS = {"MedicationRequest": "as medications from other records"}
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    422: "Unprocessable Entity",
}


def check_bundle(body, kinds: tuple[str, ...]) -> list[dict]:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError(400, "POST a Bundle here.", code="structure", expression="Bundle")
    if body.get("type") not in kinds:
        raise FhirError(
            400,
            f"Bundle.type must be {' or '.join(kinds)}, not {body.get('type')!r}.",
            code="value",
            expression="Bundle.type",
        )
    entries = body.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(item, dict) for item in entries):
        raise FhirError(
            400, "Bundle.entry must be a list of entries.", code="structure", expression="Bundle.entry"
        )
    return entries


def process(caller, body) -> api.Result:
    entries = check_bundle(body, ("transaction", "batch"))
    if entries and all(is_reading(item) for item in entries):
        return run_readings(caller, entries, body["type"])
    if body["type"] == "transaction":
        return run_transaction(caller, entries)
    return run_batch(caller, entries)


def is_reading(item: dict) -> bool:
    request = item.get("request")
    return (
        isinstance(request, dict)
        and str(request.get("method", "")).upper() == "POST"
        and str(request.get("url", "")).strip("/") == "Observation"
        and not request.get("ifNoneExist")
    )


def keep_readings(caller, entries: list[dict], kind: str) -> dict:
    """Each entry's Observation validated, then all kept by one call to the sessions app's ingest
    (one lookup of sessions, one insert, one audit event per session) instead of one call per
    entry: by index, a FhirError or (status, stored resource, resource sent). A transaction is
    refused as a whole."""
    mapper = api.mapper_for("Observation")
    api.check_create(caller, mapper)
    answers: dict[int, object] = {}
    valid = []
    for index, item in enumerate(entries):
        try:
            valid.append((index, api.parse_resource(mapper, item.get("resource"))))
        except FhirError as error:
            if kind == "transaction":
                raise placed(error, index) from None
            answers[index] = placed(error, index)
    if valid:
        try:
            kept = ingest.ingest(caller, mapper, [resource for _, resource in valid], kind=kind)
        except FhirError as error:
            raise renumbered(error, [index for index, _ in valid]) from None
        for (index, resource), answer in zip(valid, kept, strict=True):
            answers[index] = (
                renumbered(answer, [i for i, _ in valid])
                if isinstance(answer, FhirError)
                else (*answer, resource)
            )
    return answers


def run_readings(caller, entries: list[dict], kind: str) -> api.Result:
    """A Bundle of nothing but new Observations, as a monitor's bridge sends them."""
    answers = keep_readings(caller, entries, kind)
    out, repeats = [], []
    for index in range(len(entries)):
        answer = answers[index]
        if isinstance(answer, FhirError):
            status = f"{answer.status} {REASONS.get(answer.status, '')}".strip()
            out.append({"response": {"status": status, "outcome": outcome(answer.issues)}})
            continue
        status, stored, sent = answer
        out.append(response_entry(api.ingested_result(caller, status, stored, sent=sent, audit_repeat=False)))
        if status == 200:
            repeats.append(f"Observation/{stored['id']}")
    if repeats:
        api.audit(caller, "view", None, detail={"fhir": "Bundle of readings", "repeats": repeats})
    response_kind = "transaction-response" if kind == "transaction" else "batch-response"
    return api.Result(200, {"resourceType": "Bundle", "type": response_kind, "entry": out})


def renumbered(error: FhirError, indexes: list[int]) -> FhirError:
    """Ingest numbers the entries it was given; say which entry of the client's Bundle it meant."""
    for item in error.issues:
        for position, index in reversed(list(enumerate(indexes))):
            for field in ("diagnostics",):
                item[field] = item.get(field, "").replace(
                    f"Bundle.entry[{position}]", f"Bundle.entry[{index}]"
                )
            item["expression"] = [
                path.replace(f"Bundle.entry[{position}]", f"Bundle.entry[{index}]")
                for path in item.get("expression", [])
            ]
    return error


def request_of(item: dict, index: int) -> tuple[str, str]:
    request = item.get("request")
    where = f"Bundle.entry[{index}].request"
    if not isinstance(request, dict) or not request.get("method") or not request.get("url"):
        raise FhirError(
            400,
            f"{where}: each entry needs request.method and request.url.",
            code="required",
            expression=where,
        )
    method = str(request["method"]).upper()
    if method not in ("GET", "POST", "PUT"):
        raise FhirError(
            405,
            f"{where}.method: {method} is not supported in a Bundle (GET, POST, PUT are).",
            code="not-supported",
            expression=f"{where}.method",
        )
    return method, str(request["url"]).lstrip("/")


def run_entry(caller, item: dict, index: int, references: dict) -> api.Result:
    method, url = request_of(item, index)
    path, _, query = url.partition("?")
    parts = path.split("/")
    request = item["request"]
    if method == "POST" and len(parts) == 1:
        resource = rewrite(item.get("resource"), references)
        result = api.create(caller, parts[0], resource, if_none_exist=request.get("ifNoneExist", ""))
        if item.get("fullUrl") and result.resource:
            references[item["fullUrl"]] = f"{parts[0]}/{result.resource['id']}"
        return result
    if method == "PUT" and len(parts) == 2:
        resource = rewrite(item.get("resource"), references)
        return api.update(caller, parts[0], parts[1], resource, if_match=request.get("ifMatch", ""))
    if method == "GET" and len(parts) == 1:
        return api.search_type(caller, parts[0], parse_qsl(query, keep_blank_values=True), url=query)
    if method == "GET" and len(parts) == 2:
        return api.read(caller, parts[0], parts[1])
    if method == "GET" and len(parts) == 4 and parts[2] == "_history":
        return api.vread(caller, parts[0], parts[1], parts[3])
    raise FhirError(
        400,
        f"Bundle.entry[{index}].request: {method} {url} is not an interaction kapcare offers in a Bundle.",
        code="not-supported",
        expression=f"Bundle.entry[{index}].request.url",
    )


def rewrite(resource, references: dict):
    """The resource with each `reference` to an earlier entry's fullUrl replaced by its new id."""
    if isinstance(resource, dict):
        return {
            key: (
                references.get(value, value)
                if key == "reference" and isinstance(value, str)
                else rewrite(value, references)
            )
            for key, value in resource.items()
        }
    if isinstance(resource, list):
        return [rewrite(value, references) for value in resource]
    return resource


def placed(error: FhirError, index: int) -> FhirError:
    """The error, with each issue's place given inside the Bundle."""
    for item in error.issues:
        item["diagnostics"] = f"Bundle.entry[{index}]: {item['diagnostics']}"
        item["expression"] = [
            f"Bundle.entry[{index}].resource" + path[path.find(".") :]
            if "." in path
            else f"Bundle.entry[{index}]"
            for path in item.get("expression", [])
        ] or [f"Bundle.entry[{index}]"]
    return error


def response_entry(result: api.Result) -> dict:
    response = {"status": f"{result.status} {REASONS.get(result.status, '')}".strip()}
    if "Location" in result.headers:
        response["location"] = result.headers["Location"]
    if "ETag" in result.headers:
        response["etag"] = result.headers["ETag"]
        response["lastModified"] = result.resource["meta"]["lastUpdated"]
    if result.issues:
        response["outcome"] = outcome(result.issues)
    item = {"response": response}
    if result.resource is not None:
        item["resource"] = result.resource
    return item


def run_transaction(caller, entries: list[dict]) -> api.Result:
    for index, item in enumerate(entries):
        request_of(item, index)
    order = sorted(range(len(entries)), key=lambda i: ORDER[entries[i]["request"]["method"].upper()])
    results: dict[int, api.Result] = {}
    references: dict[str, str] = {}
    with transaction.atomic():
        for index in order:
            try:
                results[index] = run_entry(caller, entries[index], index, references)
            except FhirError as error:
                raise placed(error, index) from None
    return api.Result(
        200,
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [response_entry(results[i]) for i in range(len(entries))],
        },
    )


def run_batch(caller, entries: list[dict]) -> api.Result:
    out = []
    for index, item in enumerate(entries):
        try:
            with transaction.atomic():
                out.append(response_entry(run_entry(caller, item, index, {})))
        except FhirError as error:
            out.append(
                {
                    "response": {
                        "status": f"{error.status} {REASONS.get(error.status, '')}".strip(),
                        "outcome": outcome(placed(error, index).issues),
                    }
                }
            )
    return api.Result(200, {"resourceType": "Bundle", "type": "batch-response", "entry": out})


def why_skipped(kind: str) -> str:
    mapper = registry().get(kind)
    if mapper is not None:
        return f"kapcare makes its {kind} records itself (read-only through the API)."
    return f"kapcare does not keep {kind}."


def converted_types() -> dict[str, str]:
    """Each type an import keeps as another: {"MedicationRequest": "MedicationStatement"}."""
    return {sent: name for name in registry().types() for sent in registry().get(name).converts}


def run_converted(caller, item: dict, references: dict, as_type: str) -> api.Result:
    """An import's entry of a type kapcare keeps as another (a prescription as a medication
    recorded elsewhere), created as that type."""
    resource = rewrite(item.get("resource"), references)
    return api.create(caller, as_type, resource, sent_as=item["request"]["url"])


def import_bundle(caller, body) -> api.Result:
    """Load the entries kapcare keeps, atomically; say what was loaded and what was skipped, by
    type, and which elements of what was loaded were not kept (kept.py)."""
    entries = check_bundle(body, ("transaction", "batch", "collection"))
    keep, readings, skipped = [], [], Counter()
    converted = converted_types()
    for index, item in enumerate(entries):
        kind = (item.get("resource") or {}).get("resourceType", "")
        mapper = registry().get(kind)
        if mapper is not None and mapper.ingests:
            readings.append(index)
        elif (mapper is not None and mapper.creatable) or kind in converted:
            keep.append((index, {**item, "request": {"method": "POST", "url": kind}}))
        else:
            skipped[(kind or "(no resource)", why_skipped(kind))] += 1
    loaded, not_kept = Counter(), Counter()
    references: dict[str, str] = {}
    # What the import creates says so (a condition recorded elsewhere: "import by <client>").
    caller = dataclasses.replace(caller, source="import")
    # Its patients first, so that what refers to them finds them whatever the record's order.
    keep.sort(key=lambda pair: pair[1]["request"]["url"] != "Patient")
    with transaction.atomic():
        for index, item in keep:
            kind = item["request"]["url"]
            try:
                with transaction.atomic() if kind in SKIPPABLE else contextlib.nullcontext():
                    if kind in converted:
                        result = run_converted(caller, item, references, converted[kind])
                    else:
                        result = run_entry(caller, item, index, references)
            except FhirError as error:
                if kind in SKIPPABLE and error.status == 422:
                    # A condition or medication kapcare cannot keep as sent (coded in another
                    # system, say): skipped with its reason, like a vital sign it does not keep.
                    skipped[(kind, re.sub(rf"^{kind}\.\S*: ", "", error.issues[0]["diagnostics"]))] += 1
                    continue
                raise placed(error, index) from None
            loaded[kind] += 1
            # Said once per element over the whole record, not once per resource.
            for said in dict.fromkeys(re.sub(r"\[\d+\]", "", i["diagnostics"]) for i in result.issues):
                not_kept[(kind, said)] += 1
        if readings:
            # The record's vital signs, about the patients just loaded: kept as their history
            # (kapcare.sessions.devices), each one kapcare does not keep (a lab result, a weight)
            # skipped with the reason ingest gives.
            answers = keep_readings(
                caller,
                [{"resource": rewrite(entries[index].get("resource"), references)} for index in readings],
                "batch",
            )
            for answer in answers.values():
                if isinstance(answer, FhirError):
                    skipped[
                        (
                            "Observation",
                            re.sub(r"Bundle\.entry\[\d+\]\S*:? ?", "", answer.issues[0]["diagnostics"]),
                        )
                    ] += 1
                else:
                    loaded["Observation"] += 1
    issues = [
        issue(
            f"Loaded {' '.join(filter(None, (str(count), kind, KEPT_AS.get(kind))))}.",
            severity="information",
            code="informational",
        )
        for kind, count in sorted(loaded.items())
    ]
    issues += [
        issue(f"Skipped {count} {kind}: {why}", severity="warning", code="not-supported")
        for (kind, why), count in sorted(skipped.items())
    ]
    issues += [
        issue(f"In {count} of {loaded[kind]} {kind}: {said}", severity="warning", code="informational")
        for (kind, said), count in sorted(not_kept.items())
    ]
    if references:
        issues.append(
            issue(
                "New ids: " + ", ".join(f"{old} -> {new}" for old, new in references.items()),
                severity="information",
                code="informational",
            )
        )
    return api.Result(
        200,
        outcome(
            issues or [issue("The Bundle had no entries.", severity="information", code="informational")]
        ),
    )
