"""HTTP for the FHIR API: content negotiation, bearer auth, and every error as an OperationOutcome.

The interactions themselves are in api.py (and bundles.py, bulk.py); these views only read the
request and write the response.
"""

import json
import logging
from contextlib import nullcontext
from functools import wraps

from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from kapcare.audit.trail import held_to_the_end
from kapcare.fhir import api, bulk, bundles
from kapcare.fhir.auth import authenticate, base_url
from kapcare.fhir.capability import capability_statement
from kapcare.fhir.errors import FhirError, issue, outcome
from kapcare.fhir.models import ExportStatus
from kapcare.fhir.openapi import openapi

log = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"
JSON_TYPES = {"json", "application/json", FHIR_JSON, "application/json+fhir"}
ACCEPTABLE = JSON_TYPES | {"*/*", "application/*"}


def respond(request, status: int, body=None, headers=None) -> HttpResponse:
    pretty = request.GET.get("_pretty") == "true"
    text = "" if body is None else json.dumps(body, indent=2 if pretty else None, ensure_ascii=False)
    response = HttpResponse(text, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def negotiate(request) -> None:
    wanted = request.GET.get("_format")
    if wanted is not None:
        if wanted.split(";")[0].strip() not in JSON_TYPES:
            raise FhirError(
                406,
                f"_format={wanted} is not offered: kapcare speaks FHIR JSON only (_format=json).",
                code="not-supported",
            )
        return
    accept = request.headers.get("Accept", "").strip()
    if accept and not any(kind.split(";")[0].strip() in ACCEPTABLE for kind in accept.split(",")):
        raise FhirError(
            406,
            f"Accept: {accept} is not offered: kapcare speaks FHIR JSON only ({FHIR_JSON}).",
            code="not-supported",
        )


def json_body(request):
    kind = request.content_type or ""
    if kind not in JSON_TYPES:
        raise FhirError(
            415,
            f"Send the resource as {FHIR_JSON}, not {kind or 'a body without Content-Type'}.",
            code="not-supported",
        )
    try:
        return json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise FhirError(400, f"The body is not JSON: {error}.", code="structure") from None


def prefer(request, key: str) -> str:
    for part in request.headers.get("Prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == key:
            return value.strip().strip('"')
    return ""


def fhir_endpoint(methods: tuple[str, ...], *, public: bool = False, reads: tuple[str, ...] = ()):
    """Method check, negotiation, authentication, and the error handling every API view shares.
    `reads` are the methods that change nothing but the audit trail (and versions, see below):
    they run without a transaction."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    error = FhirError(
                        405,
                        f"{request.method} is not allowed here; use {', '.join(methods)}.",
                        code="not-supported",
                    )
                    error.headers["Allow"] = ", ".join(methods)
                    raise error
                negotiate(request)
                if public:
                    result = view(request, None, *args, **kwargs)
                else:
                    caller = authenticate(request)
                    # A write is one transaction: nothing of a call that fails is kept. A read
                    # needs none, and on PostgreSQL saves its BEGIN and COMMIT: its audit events
                    # are one statement, atomic on its own (audit.models.append_all). The only
                    # other thing a read may write is the version of a record changed in the app
                    # since the API last gave it out (versions.current_pairs): the record's state
                    # as it is now, kept once however many readers write it (ignore_conflicts),
                    # and true even if the call then fails. Each of the read's queries sees what
                    # was committed when it began, as in PostgreSQL's READ COMMITTED transaction
                    # before (SQLite's transaction kept one view for the whole call).
                    # Either way the audit events are written last (see trail); if that fails,
                    # the call answers 500 and its data is not sent.
                    transactional = nullcontext() if request.method in reads else transaction.atomic()
                    with transactional, held_to_the_end():
                        result = view(request, caller, *args, **kwargs)
            except FhirError as error:
                return respond(request, error.status, outcome(error.issues), error.headers)
            except Exception:
                # Validation answers every input we can foresee; this is for the rest, still in FHIR.
                log.exception("FHIR API error on %s %s", request.method, request.path)
                return respond(
                    request,
                    500,
                    outcome(
                        [
                            issue(
                                "kapcare could not complete this request; it has been logged.",
                                code="exception",
                            )
                        ]
                    ),
                )
            if isinstance(result, HttpResponseBase):
                return result
            wanted = prefer(request, "return") if request.method in ("POST", "PUT") else ""
            if wanted == "minimal":
                return respond(request, result.status, None, result.headers)
            if wanted == "OperationOutcome" and result.resource.get("resourceType") not in WHOLE_ANSWERS:
                return respond(request, result.status, said_back(request, result), result.headers)
            return respond(request, result.status, result.resource, result.headers)

        return wrapper

    return decorator


# Answers that are already what was asked for, not a resource kept.
WHOLE_ANSWERS = {"Bundle", "OperationOutcome"}


def said_back(request, result) -> dict:
    """The answer to `Prefer: return=OperationOutcome` on a create or update: what was done,
    then what of the resource sent was not kept (kept.py)."""
    resource = result.resource
    name = f"{resource['resourceType']}/{resource['id']}"
    version = resource["meta"]["versionId"]
    if request.method == "PUT":
        done = f"Updated {name}; it is now at version {version}."
    elif result.status == 201:
        done = f"Created {name} (version {version})."
    else:
        done = f"{name} was kept before, with the same identifier; nothing new was stored."
    if not result.issues:
        done += " Everything sent was kept."
    return outcome([issue(done, severity="information", code="informational"), *result.issues])


def wants_async(request) -> bool:
    return "respond-async" in [part.strip() for part in request.headers.get("Prefer", "").split(",")]


def lenient(request) -> bool:
    return prefer(request, "handling") == "lenient"


def query_pairs(request) -> list[tuple[str, str]]:
    return [(name, value) for name, values in request.GET.lists() for value in values]


@fhir_endpoint(("GET",), public=True)
def metadata(request, caller):
    return api.Result(200, capability_statement(base_url(request)))


@fhir_endpoint(("GET",), public=True)
def openapi_description(request, caller):
    response = respond(request, 200, openapi(base_url(request)))
    response["Content-Type"] = "application/json"
    return response


@fhir_endpoint(("POST",))
def base(request, caller):
    return bundles.process(caller, json_body(request))


@fhir_endpoint(("POST",))
def import_bundle(request, caller):
    return bundles.import_bundle(caller, json_body(request))


@fhir_endpoint(("GET", "POST"), reads=("GET",))
def type_level(request, caller, resource_type):
    if request.method == "POST":
        return api.create(
            caller, resource_type, json_body(request), if_none_exist=request.headers.get("If-None-Exist", "")
        )
    query = request.META.get("QUERY_STRING", "")
    return api.search_type(caller, resource_type, query_pairs(request), lenient=lenient(request), url=query)


@fhir_endpoint(("POST",), reads=("POST",))
def search_post(request, caller, resource_type):
    if request.content_type != "application/x-www-form-urlencoded":
        raise FhirError(
            415, "POST _search takes application/x-www-form-urlencoded parameters.", code="not-supported"
        )
    pairs = query_pairs(request) + [(k, v) for k, values in request.POST.lists() for v in values]
    return api.search_type(caller, resource_type, pairs, lenient=lenient(request))


@fhir_endpoint(("GET", "PUT"), reads=("GET",))
def instance(request, caller, resource_type, resource_id):
    if request.method == "PUT":
        return api.update(
            caller,
            resource_type,
            resource_id,
            json_body(request),
            if_match=request.headers.get("If-Match", ""),
        )
    return api.read(caller, resource_type, resource_id)


@fhir_endpoint(("GET",), reads=("GET",))
def type_history(request, caller, resource_type):
    return api.history(caller, resource_type, None, query_pairs(request))


@fhir_endpoint(("GET",), reads=("GET",))
def instance_history(request, caller, resource_type, resource_id):
    return api.history(caller, resource_type, resource_id, query_pairs(request))


@fhir_endpoint(("GET",), reads=("GET",))
def vread(request, caller, resource_type, resource_id, version_id):
    return api.vread(caller, resource_type, resource_id, version_id)


@fhir_endpoint(("GET", "POST", "PUT", "DELETE", "PATCH"), public=True)
def unknown(request, caller, rest=""):
    raise FhirError(
        404,
        f"/fhir/R4/{rest} is not an address of this FHIR API; GET /fhir/R4/metadata lists what it serves.",
        code="not-found",
    )


def kick_off(request, caller, level: str, group_id: str = ""):
    job = bulk.kick_off(
        caller,
        level,
        query_pairs(request),
        request_url=request.build_absolute_uri(),
        group_id=group_id,
        prefer_async=wants_async(request),
        lenient=lenient(request),
    )
    status_url = f"{caller.base}/$export-status/{job.id}"
    return respond(request, 202, None, {"Content-Location": status_url})


@fhir_endpoint(("GET",))
def export_system(request, caller):
    return kick_off(request, caller, "system")


@fhir_endpoint(("GET",))
def export_patients(request, caller):
    return kick_off(request, caller, "patient")


@fhir_endpoint(("GET",))
def export_group(request, caller, group_id):
    return kick_off(request, caller, "group", group_id)


@fhir_endpoint(("GET", "DELETE"), reads=("GET",))
def export_status(request, caller, job_id):
    job = bulk.job_for(caller, job_id)
    if request.method == "DELETE":
        bulk.cancel(job)
        api.audit(caller, "export", None, detail={"fhir": "$export cancelled", "job": str(job.id)})
        return respond(request, 202)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return respond(request, 202, None, {"X-Progress": job.progress or job.status, "Retry-After": "2"})
    if job.status == ExportStatus.CANCELLED:
        raise FhirError(404, f"Export {job.id} was cancelled.", code="not-found")
    if job.status == ExportStatus.FAILED:
        raise FhirError(500, f"Export {job.id} failed: {job.error}", code="exception")
    response = respond(request, 200, bulk.manifest(job, caller.base))
    response["Content-Type"] = "application/json"
    return response


@fhir_endpoint(("GET",), reads=("GET",))
def export_file(request, caller, job_id, name):
    job = bulk.job_for(caller, job_id)
    path = bulk.job_folder(job) / name
    if (
        job.status != ExportStatus.DONE
        or name not in {item["file"] for item in job.output}
        or not path.exists()
    ):
        raise FhirError(404, f"Export {job.id} has no file {name}.", code="not-found")
    api.audit(caller, "export", None, detail={"fhir": "$export file", "job": str(job.id), "file": name})
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
