"""The FHIR interactions, independent of HTTP: views.py and bundles.py call these.

Each takes a Caller (the token's clinic and scopes), checks the scope for the interaction, keeps
to the clinic (another clinic's record is "not known here", 404), audits, and answers a Result.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.http import http_date
from pydantic import ValidationError

from kapcare.audit.trail import record
from kapcare.fhir import ingest, kept, paging, part2, scopes, search, versions
from kapcare.fhir.errors import FhirError, from_validation_error, issue, not_found
from kapcare.fhir.models import ResourceVersion
from kapcare.fhir.registry import follow, registry


@dataclass
class Caller:
    """Who is calling: an API token (or the command line), its clinic and its scopes."""

    clinic: object
    scopes: list
    token: object = None
    request: object = None
    base: str = ""
    patient_id: int | None = None
    # "import" while $import-bundle loads a record: what it creates says it came from an import.
    source: str = ""

    @property
    def actor(self) -> str:
        return self.token.audit_actor if self.token else "kapcare command line"


@dataclass
class Result:
    status: int
    resource: dict | None = None
    headers: dict = field(default_factory=dict)
    # Warnings about the request: what of a resource sent was not kept (kept.py).
    issues: list = field(default_factory=list)


def mapper_for(resource_type: str):
    mapper = registry().get(resource_type)
    if mapper is None:
        raise FhirError(
            404,
            f"kapcare's FHIR API does not serve {resource_type}; it serves "
            + ", ".join(registry().types())
            + ".",
            code="not-supported",
        )
    return mapper


def authorize(caller: Caller, mapper, interaction: str) -> Q:
    """The filter this caller's scopes allow for this interaction; 403 if they allow none."""
    reach = scopes.reach(caller.scopes, mapper.resource_type, interaction)
    if reach is None:
        raise FhirError(
            403,
            f"This token's scopes do not allow {interaction} on {mapper.resource_type}.",
            code="forbidden",
        )
    if reach == "system":
        return Q()
    if caller.patient_id is None or mapper.patient_field is None:
        raise FhirError(
            403,
            f"patient/ scopes reach only records about the token's patient; "
            f"{mapper.resource_type} is not one.",
            code="forbidden",
        )
    return Q(**{mapper.patient_field: caller.patient_id})


def within(caller: Caller, part, reach: Q) -> Q:
    """The reach `authorize` gave, for one part of a type kept in several models."""
    return Q(**{part.patient_field: caller.patient_id}) if reach else reach


def audit(caller: Caller, action: str, obj=None, *, patient=None, detail=None) -> None:
    if caller.request is not None:
        caller.request.audit_role = "api"
    detail = {"client": caller.actor, **(detail or {})}
    if caller.token is not None:
        detail["token"] = caller.token.pk
    record(
        caller.request,
        action,
        obj,
        patient=patient,
        clinic=caller.clinic.pk,
        actor=caller.actor,
        detail=detail,
    )


def fetch(caller: Caller, mapper, resource_id: str, reach: Q, *, for_update: bool = False):
    """The record this id names, within the caller's reach; 404 otherwise, 403 if Part 2 withholds it.
    For a type kept in several models, `mapper` is the composite; the part is returned beside."""
    part = mapper.part_for(resource_id)
    if part is None:
        raise not_found(mapper.resource_type, resource_id)
    queryset = part.queryset(caller.clinic.pk).filter(within(caller, part, reach))
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = queryset.filter(pk=part.pk_of(resource_id)).first()
    if obj is None:
        raise not_found(mapper.resource_type, resource_id)
    if not part2.releasable(part, obj, caller):
        raise FhirError(
            403,
            f"{mapper.resource_type}/{resource_id} is protected under 42 CFR Part 2 and the "
            "patient's consent does not cover this client.",
            code="suppressed",
        )
    obj._fhir_part = part
    return obj


def version_headers(resource: dict) -> dict:
    meta = resource["meta"]
    modified = datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00"))
    return {"ETag": f'W/"{meta["versionId"]}"', "Last-Modified": http_date(modified.timestamp())}


def read(caller: Caller, resource_type: str, resource_id: str) -> Result:
    mapper = mapper_for(resource_type)
    obj = fetch(caller, mapper, resource_id, authorize(caller, mapper, "read"))
    part = obj._fhir_part
    resource = versions.current(part, [obj], caller.clinic.pk)[0]
    audit(
        caller, "view", obj, patient=part.patient_id(obj), detail={"fhir": f"{resource_type}/{resource_id}"}
    )
    return Result(200, resource, version_headers(resource))


def vread(caller: Caller, resource_type: str, resource_id: str, version_id: str) -> Result:
    mapper = mapper_for(resource_type)
    obj = fetch(caller, mapper, resource_id, authorize(caller, mapper, "vread"))
    versions.current(obj._fhir_part, [obj], caller.clinic.pk)
    row = ResourceVersion.objects.filter(
        resource_type=resource_type,
        resource_id=resource_id,
        version=version_id if version_id.isdigit() else 0,
    ).first()
    if row is None:
        raise FhirError(404, f"{resource_type}/{resource_id} has no version {version_id}.", code="not-found")
    resource = versions.with_meta(row.resource, row)
    audit(
        caller,
        "view",
        obj,
        patient=obj._fhir_part.patient_id(obj),
        detail={"fhir": f"{resource_type}/{resource_id}/_history/{version_id}"},
    )
    return Result(200, resource, version_headers(resource))


def parse_resource(mapper, body, resource_id: str | None = None, *, sent_as: str = "") -> dict:
    """The incoming resource, checked against FHIR R4 (fhir.resources) before kapcare reads it;
    `sent_as` another type the mapper converts (an import's MedicationRequest)."""
    if not isinstance(body, dict):
        raise FhirError(400, "The body must be one JSON object: a FHIR resource.", code="structure")
    kind = body.get("resourceType")
    if sent_as and kind == sent_as and kind in mapper.converts:
        try:
            mapper.converts[kind].model_validate(body)
        except ValidationError as error:
            raise from_validation_error(kind, error) from None
        except (ValueError, TypeError) as error:
            raise FhirError(400, f"{kind}: {error}", code="structure") from None
        return body
    if kind != mapper.resource_type:
        raise FhirError(
            400,
            f"The body is a {kind or 'resource without resourceType'}, but this address takes "
            f"{mapper.resource_type}.",
            code="invalid",
            expression="resourceType",
        )
    if resource_id is not None and str(body.get("id", "")) != resource_id:
        raise FhirError(
            400,
            f"The resource's id ({body.get('id')!r}) must match the address ({resource_id}).",
            code="invalid",
            expression=f"{mapper.resource_type}.id",
        )
    try:
        mapper.fhir_model.model_validate(body)
    except ValidationError as error:
        raise from_validation_error(mapper.resource_type, error) from None
    except (ValueError, TypeError) as error:
        raise FhirError(400, f"{mapper.resource_type}: {error}", code="structure") from None
    return body


def require_writable(mapper, interaction: str) -> None:
    if not {"create": mapper.creatable, "update": mapper.updatable}[interaction]:
        raise FhirError(
            405,
            f"{mapper.resource_type} cannot be {interaction}d through the API: kapcare makes these records "
            "itself.",
            code="not-supported",
        )


def create(caller: Caller, resource_type: str, body, *, if_none_exist: str = "", sent_as: str = "") -> Result:
    mapper = mapper_for(resource_type)
    check_create(caller, mapper)
    resource = parse_resource(mapper, body, sent_as=sent_as)
    if mapper.ingests:
        # Readings go through their app's own way in, which keeps them once per identifier.
        answer = ingest.ingest(caller, mapper, [resource], kind=None)[0]
        if isinstance(answer, FhirError):
            raise answer
        return ingested_result(caller, *answer, sent=resource)
    if if_none_exist:
        found = conditional_match(caller, mapper, if_none_exist)
        if found is not None:
            return read(caller, resource_type, mapper.id_for(found.pk))
    with transaction.atomic():
        obj = mapper.create(resource, caller=caller)
        before = replaced(mapper, obj)
        if before is not None and versions.content(before.resource) == versions.content(
            mapper.to_resource(obj)
        ):
            # The same resource again (a retry): the record it made before, nothing new stored.
            return read(caller, resource_type, mapper.id_for(obj.pk))
        version = versions.record_version(mapper, obj, caller.clinic.pk, source="api", new=before is None)
        audit(
            caller,
            "create" if before is None else "update",
            obj,
            patient=mapper.patient_id(obj),
            detail={"fhir": f"{resource_type}/{version.resource_id}"}
            | ({"sent as": sent_as} if sent_as else {}),
        )
    stored = versions.with_meta(version.resource, version)
    headers = version_headers(stored) | {
        "Location": f"{caller.base}/{resource_type}/{version.resource_id}/_history/{version.version}"
    }
    notes = mapper.not_kept(resource, stored) + mapper.created_notes(obj)
    if before is not None:
        notes.append(
            issue(
                f"It replaces the {resource_type} kept before under the same name, "
                f"{resource_type}/{version.resource_id}: this is its version {version.version}.",
                severity="information",
                code="informational",
            )
        )
    return Result(201, stored, headers, notes)


def replaced(mapper, obj):
    """The latest version of the record a create gave back, when the create replaced a record
    kept before (an imported Questionnaire replaces the one of the same name); else None."""
    if not mapper.create_replaces:
        return None
    resource_id = mapper.id_for(obj.pk)
    return versions.latest(mapper.resource_type, [resource_id]).get(resource_id)


def check_create(caller: Caller, mapper) -> None:
    authorize(caller, mapper, "create")
    require_writable(mapper, "create")
    if scopes.reach(caller.scopes, mapper.resource_type, "create") == "patient":
        raise FhirError(403, "patient/ scopes cannot create records; use a system/ scope.", code="forbidden")


def ingested_result(
    caller: Caller, status: int, stored: dict, *, sent: dict, audit_repeat: bool = True
) -> Result:
    """A reading ingest kept (201) or had kept already (200), as the API answers it. Ingest audits
    what it keeps; a repeat gives back a reading kept before, which is audited here."""
    if status == 200 and audit_repeat:
        audit(caller, "view", None, detail={"fhir": f"Observation/{stored['id']}", "repeat": True})
    where = f"{caller.base}/{stored['resourceType']}/{stored['id']}/_history/{stored['meta']['versionId']}"
    warned = kept.warnings(sent, stored) if status == 201 else []
    return Result(status, stored, version_headers(stored) | {"Location": where}, warned)


def conditional_match(caller: Caller, mapper, criteria: str):
    from urllib.parse import parse_qsl

    pairs = parse_qsl(criteria.split("?", 1)[-1], keep_blank_values=True)
    parsed = search.parse(mapper, pairs, caller)
    matches = list(mapper.queryset(caller.clinic.pk).filter(*parsed.filters)[:2])
    if len(matches) > 1:
        raise FhirError(
            412,
            f"If-None-Exist ({criteria}) matches more than one {mapper.resource_type}.",
            code="multiple-matches",
        )
    return matches[0] if matches else None


def parse_if_match(value: str) -> int | None:
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise FhirError(400, f'If-Match must be a version ETag such as W/"3", not {value!r}.', code="value")
    return int(text)


def update(caller: Caller, resource_type: str, resource_id: str, body, *, if_match: str = "") -> Result:
    mapper = mapper_for(resource_type)
    reach = authorize(caller, mapper, "update")
    require_writable(mapper, "update")
    resource = parse_resource(mapper, body, resource_id)
    expected = parse_if_match(if_match)
    with transaction.atomic():
        try:
            obj = fetch(caller, mapper, resource_id, reach, for_update=True)
        except FhirError as error:
            if error.status == 404:
                error.issues[0]["diagnostics"] += " kapcare assigns ids itself: create it with POST."
            raise
        present = versions.current(mapper, [obj], caller.clinic.pk)[0]
        if expected is not None and str(expected) != present["meta"]["versionId"]:
            raise FhirError(
                412,
                f"{resource_type}/{resource_id} is at version {present['meta']['versionId']}, "
                f"not {expected}: someone changed it since you read it. Read it again.",
                code="conflict",
            )
        obj = mapper.from_resource(resource, clinic=caller.clinic, current_obj=obj)
        mapper.save(obj)
        version = versions.record_version(mapper, obj, caller.clinic.pk, source="api")
        audit(
            caller,
            "update",
            obj,
            patient=mapper.patient_id(obj),
            detail={"fhir": f"{resource_type}/{obj.pk}"},
        )
    stored = versions.with_meta(version.resource, version)
    headers = version_headers(stored) | {
        "Location": f"{caller.base}/{resource_type}/{obj.pk}/_history/{version.version}"
    }
    return Result(200, stored, headers, kept.warnings(resource, stored))


def search_type(caller: Caller, resource_type: str, pairs, *, lenient: bool = False, url: str = "") -> Result:
    mapper = mapper_for(resource_type)
    reach = authorize(caller, mapper, "search")
    found, parsed = [], None
    for part in mapper.parts():
        part_parsed = search.parse(part, pairs, caller, lenient=lenient)
        parsed = parsed or part_parsed
        if search.matches_nothing(part_parsed.filters):
            continue  # for example code=8867-4 on the survey scores: no query to make
        found.append(paging.Source(part, matching(caller, part, reach, part_parsed), part_parsed))
    found = paging.families(
        found, lambda part: part.family_queryset(caller.clinic.pk), lambda part: within(caller, part, reach)
    )
    total, page = paging.paged(found, parsed)
    page = [(part, obj) for part, obj in page if part2.releasable(part, obj, caller)]
    resources = current_many(caller, page)
    entries = [entry(caller, resource, "match") for resource in resources]
    entries += included(caller, page, parsed.includes)
    audit(
        caller,
        "list",
        None,
        patient=page[0][0].patient_id(page[0][1]) if len(page) == 1 else None,
        detail={"fhir": f"{resource_type}?{url}", "ids": [r["id"] for r in resources]},
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": paging_links(caller, resource_type, parsed, total),
        "entry": entries,
    }
    return Result(200, bundle)


def matching(caller: Caller, part, reach: Q, parsed):
    """A function making the part's records that match the search, in its order."""

    def make():
        queryset = part.queryset(caller.clinic.pk).filter(within(caller, part, reach), *parsed.filters)
        return queryset.order_by(*parsed.order)

    return make


def current_many(caller: Caller, page) -> list[dict]:
    """The resources for (part, record) pairs, in order, with one version lookup for them all."""
    return versions.current_pairs(page, caller.clinic.pk)


def entry(caller: Caller, resource: dict, mode: str | None = None) -> dict:
    item = {"fullUrl": f"{caller.base}/{resource['resourceType']}/{resource['id']}", "resource": resource}
    if mode:
        item["search"] = {"mode": mode}
    return item


def included(caller: Caller, page, includes) -> list[dict]:
    entries, seen = [], set()
    for name in dict.fromkeys(include.name for include in includes):
        wanted: dict = {}
        for part, obj in page:
            include = next(inc for inc in part.includes if inc.name == name)
            if include.field and (value := follow(obj, include.field)) is not None:
                wanted.setdefault(include.target, set()).add(f"{include.prefix}{value}")
        for target_type, values in wanted.items():
            target = mapper_for(target_type)
            reach = authorize(caller, target, "read")
            for part in target.parts():
                ids = {part.pk_of(value) for value in values} - {None}
                if not ids:
                    continue
                objs = [
                    obj
                    for obj in part.queryset(caller.clinic.pk).filter(within(caller, part, reach), pk__in=ids)
                    if part2.releasable(part, obj, caller)
                ]
                for resource in versions.current(part, objs, caller.clinic.pk):
                    if (target_type, resource["id"]) not in seen:
                        seen.add((target_type, resource["id"]))
                        entries.append(entry(caller, resource, "include"))
    return entries


def paging_links(caller: Caller, resource_type: str, parsed, total: int) -> list[dict]:
    from urllib.parse import urlencode

    # The links differ only in their offset.
    query = urlencode(
        [(k, v) for k, v in parsed.echo if k not in ("_offset", "_count")] + [("_count", parsed.count)]
    )
    start = f"{caller.base}/{resource_type}?{query}&_offset="

    def link(relation: str, offset: int) -> dict:
        return {"relation": relation, "url": f"{start}{offset}"}

    links = [link("self", parsed.offset), link("first", 0)]
    if parsed.count and parsed.offset + parsed.count < total:
        links.append(link("next", parsed.offset + parsed.count))
    if parsed.offset > 0:
        links.append(link("previous", max(parsed.offset - parsed.count, 0)))
    if parsed.count:
        links.append(link("last", max((total - 1) // parsed.count * parsed.count, 0)))
    return links


def history(caller: Caller, resource_type: str, resource_id: str | None, pairs) -> Result:
    mapper = mapper_for(resource_type)
    reach = authorize(caller, mapper, "history")
    rows = ResourceVersion.objects.filter(clinic=caller.clinic, resource_type=resource_type)
    if resource_id is not None:
        obj = fetch(caller, mapper, resource_id, reach)
        versions.current(obj._fhir_part, [obj], caller.clinic.pk)
        rows = rows.filter(resource_id=resource_id)
    else:
        rows = rows.filter(resource_id__in=shown(caller, mapper, reach))
    count, offset, since = history_params(pairs)
    if since is not None:
        rows = rows.filter(at__gte=since)
    total = rows.count()
    page = list(rows.order_by("-at", "-version")[offset : offset + count])
    entries = [history_entry(caller, row) for row in page]
    audit(
        caller,
        "list",
        None,
        detail={
            "fhir": f"{resource_type}/{resource_id or ''}/_history".replace("//", "/"),
            "versions": [f"{r.resource_id}/{r.version}" for r in page],
        },
    )
    links = [
        {
            "relation": "self",
            "url": f"{caller.base}/{resource_type}/"
            + (f"{resource_id}/" if resource_id else "")
            + f"_history?_count={count}&_offset={offset}",
        }
    ]
    if offset + count < total:
        links.append(
            {
                "relation": "next",
                "url": links[0]["url"].replace(f"_offset={offset}", f"_offset={offset + count}"),
            }
        )
    return Result(
        200, {"resourceType": "Bundle", "type": "history", "total": total, "link": links, "entry": entries}
    )


def shown(caller: Caller, mapper, reach: Q):
    """The resource ids of the records the caller may see, as one subquery across the type's
    parts: within a patient/ scope's reach and released under 42 CFR Part 2
    (part2.releasable_q), as read and search withhold them. The database matches the versions
    against it, so a page of history is one query however long the history."""
    ids = [
        part.queryset(caller.clinic.pk)
        .filter(within(caller, part, reach), part2.releasable_q(part, caller))
        .order_by()
        .annotate(resource_id=part.id_expression())
        .values("resource_id")
        for part in mapper.parts()
    ]
    return ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0]


def history_params(pairs):
    count, offset, since = 20, 0, None
    for name, value in pairs:
        if name in ("_count", "_offset"):
            if not value.isdigit():
                raise FhirError(400, f"{name} must be a whole number, not {value!r}.", code="value")
            count, offset = (min(int(value), 100), offset) if name == "_count" else (count, int(value))
        elif name == "_since":
            since = search.date_range(value, "_since")[1]
        elif name not in ("_format", "_pretty"):
            raise FhirError(
                400, f"History takes _count, _offset and _since, not {name}.", code="not-supported"
            )
    return count, offset, since


def history_entry(caller: Caller, row) -> dict:
    resource = versions.with_meta(row.resource, row)
    url = f"{row.resource_type}/{row.resource_id}"
    return {
        "fullUrl": f"{caller.base}/{url}",
        "resource": resource,
        "request": {
            "method": "POST" if row.version == 1 else "PUT",
            "url": row.resource_type if row.version == 1 else url,
        },
        "response": {
            "status": "201 Created" if row.version == 1 else "200 OK",
            "etag": f'W/"{row.version}"',
            "lastModified": resource["meta"]["lastUpdated"],
        },
    }
