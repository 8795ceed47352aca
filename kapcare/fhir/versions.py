"""Resource versions: what `meta.versionId`, ETags, vread and history rest on.

kapcare's models are the truth and carry no version of their own, so the version table is written
in three ways, all through this module:
- the API writes a version on every create and update it makes (`record_version`, source "api");
- an app may call `record_version(mapper, obj)` when it changes a record, so the change gets its
  own version at the moment it happens (source "app");
- whenever the API reads a record (read, search, export) it compares the record as it maps now
  with its latest version, and when they differ (a change made in the app that nobody recorded)
  writes the new state as the next version (source "app"). So every state the API has ever given
  out is a version, but changes made in the app between two API reads collapse into one.
Type-level history lists the versions written so far; it does not walk every record to look for
unseen changes.
"""

import json
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from kapcare.fhir.models import ResourceVersion
from kapcare.lib.sql import aware


def content(resource: dict) -> dict:
    return {key: value for key, value in resource.items() if key != "meta"}


def with_meta(resource: dict, version: ResourceVersion) -> dict:
    meta = dict(resource.get("meta") or {})
    meta = {"versionId": str(version.version), "lastUpdated": instant(version.at), **meta}
    return {
        "resourceType": resource["resourceType"],
        "id": resource["id"],
        "meta": meta,
        **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")},
    }


def instant(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


LATEST = """
    SELECT v.resource_id, v.version, v.at, v.resource FROM fhir_resourceversion v
    WHERE v.resource_type = %s AND v.resource_id IN ({ids}) AND v.version = (
        SELECT MAX(w.version) FROM fhir_resourceversion w
        WHERE w.resource_type = v.resource_type AND w.resource_id = v.resource_id
    )
"""
# On PostgreSQL, each resource's latest version by its own walk down the unique index, one id at a
# time. Planned the same however stale the table's statistics (a clinic's first thousand readings,
# say, before autovacuum has counted them, when `IN (...)` is planned as a scan of the type), and
# one statement text for every page size. 0.1 ms for a page of 20.
LATEST_POSTGRESQL = """
    SELECT v.resource_id, v.version, v.at, v.resource FROM unnest(%s::text[]) AS wanted(id)
    CROSS JOIN LATERAL (
        SELECT resource_id, version, at, resource FROM fhir_resourceversion
        WHERE resource_type = %s AND resource_id = wanted.id ORDER BY version DESC LIMIT 1
    ) v
"""


class Stored(NamedTuple):
    """The latest version of a resource, as much of it as reads and searches need."""

    version: int
    at: datetime
    resource: dict


def latest(resource_type: str, ids: list[str]) -> dict[str, Stored]:
    """The latest version of each of these resources, in one query (written out, and read without
    making model instances: it runs on every read and search, for up to a page of resources)."""
    if not ids:
        return {}
    ids = list(dict.fromkeys(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(LATEST_POSTGRESQL, [ids, resource_type])
        else:
            cursor.execute(LATEST.format(ids=", ".join(["%s"] * len(ids))), [resource_type, *ids])
        rows = cursor.fetchall()
    return {found: Stored(version, aware(at), loaded(resource)) for found, version, at, resource in rows}


def loaded(value):
    # Django reads jsonb as text on PostgreSQL, as SQLite stores JSON; a driver may decode it.
    return json.loads(value) if isinstance(value, str) else value


def current(mapper, objs, clinic_id: int) -> list[dict]:
    """Each record as a resource with its meta, writing a version where the record has changed."""
    return current_pairs([(mapper, obj) for obj in objs], clinic_id)


def current_pairs(pairs, clinic_id: int) -> list[dict]:
    """The same for (mapper, record) pairs of one resource type, which may come from several parts."""
    if not pairs:
        return []
    resources = [mapper.to_resource(obj) for mapper, obj in pairs]
    known = latest(pairs[0][0].resource_type, [resource["id"] for resource in resources])
    fresh = []
    for (mapper, obj), resource in zip(pairs, resources, strict=True):
        version = known.get(resource["id"])
        if version is None or content(version.resource) != content(resource):
            version = ResourceVersion(
                clinic_id=clinic_id,
                resource_type=mapper.resource_type,
                resource_id=resource["id"],
                version=version.version + 1 if version else 1,
                resource=resource,
                at=changed_at(mapper, obj, version),
                source="app",
            )
            fresh.append(version)
        known[resource["id"]] = version
    if fresh:
        # Two readers may see the same change at once; both would write the same version.
        ResourceVersion.objects.bulk_create(fresh, ignore_conflicts=True)
    return [with_meta(resource, known[resource["id"]]) for resource in resources]


def changed_at(mapper, obj, previous):
    at = mapper.last_updated(obj) or timezone.now()
    return max(at, previous.at) if previous else at


def record_version(mapper, obj, clinic_id: int, *, source: str = "app", new: bool = False) -> ResourceVersion:
    """Write the record's present state as its next version (the first, without looking, for a
    record just made). Call inside the write's transaction."""
    resource = mapper.to_resource(obj)
    previous = None if new else latest(mapper.resource_type, [resource["id"]]).get(resource["id"])
    return ResourceVersion.objects.create(
        clinic_id=clinic_id,
        resource_type=mapper.resource_type,
        resource_id=resource["id"],
        version=previous.version + 1 if previous else 1,
        resource=resource,
        at=changed_at(mapper, obj, previous),
        source=source,
    )
