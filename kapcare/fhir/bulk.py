"""Bulk data export ($export) per the FHIR Bulk Data Access specification (v2).

Kick-off (`GET [base]/$export`, `/Patient/$export`, `/Group/{id}/$export` with
`Prefer: respond-async`) records an ExportJob and queues `tasks.run_export`; the client polls the
status address (202 with X-Progress while it runs, then 200 with the manifest), downloads the
NDJSON files with the same token, and may DELETE the status address to cancel or clean up.
`kapcare export` runs the same export from the command line.
"""

import json
import shutil
from datetime import UTC

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.fhir import api, part2, search, versions
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ApiToken, ExportJob, ExportStatus
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import Scope, parse_scopes

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
CHUNK = 500


def export_types(level: str, requested: list[str]) -> list[str]:
    """The types an export at this level covers: all, or those about a patient; _type narrows it."""
    mappers = registry().mappers
    allowed = [t for t, m in sorted(mappers.items()) if level == "system" or m.patient_field]
    for kind in requested:
        if kind not in mappers:
            raise FhirError(
                400,
                f"_type: kapcare does not serve {kind}; it serves {', '.join(sorted(mappers))}.",
                code="not-supported",
                expression="_type",
            )
        if kind not in allowed:
            raise FhirError(
                400,
                f"_type: {kind} is not about a patient, so a {level}-level export cannot include it.",
                code="not-supported",
                expression="_type",
            )
    return [kind for kind in allowed if kind in requested] if requested else allowed


def parse_kick_off(pairs: list[tuple[str, str]], *, lenient: bool):
    types, since = [], None
    for name, value in pairs:
        if name == "_type":
            types += [part.strip() for part in value.split(",") if part.strip()]
        elif name == "_since":
            prefix, since, _ = search.date_range(value, "_since")
            if "T" not in value:
                raise FhirError(
                    400,
                    "_since must be an instant with a time and zone, for example 2026-01-01T00:00:00Z.",
                    code="value",
                    expression="_since",
                )
        elif name == "_outputFormat":
            if value not in NDJSON_FORMATS:
                raise FhirError(
                    400,
                    f"_outputFormat={value} is not offered; kapcare writes application/fhir+ndjson.",
                    code="not-supported",
                    expression="_outputFormat",
                )
        elif name not in ("_format", "_pretty") and not lenient:
            raise FhirError(
                400,
                f"$export does not support {name} here; it takes _type, _since and _outputFormat.",
                code="not-supported",
            )
    return types, since


def kick_off(
    caller,
    level: str,
    pairs,
    *,
    request_url: str,
    group_id: str = "",
    prefer_async: bool,
    lenient: bool = False,
) -> ExportJob:
    from kapcare.fhir.tasks import run_export

    if not prefer_async:
        raise FhirError(
            400, "Bulk export runs in the background: send the header Prefer: respond-async.", code="required"
        )
    types, since = parse_kick_off(pairs, lenient=lenient)
    types = export_types(level, types)
    for kind in types:
        api.authorize(caller, registry().get(kind), "export")
    if level == "group":
        group = registry().get("Group")
        api.fetch(caller, group, group_id, api.authorize(caller, group, "read"))
    job = ExportJob.objects.create(
        clinic=caller.clinic,
        token=caller.token,
        level=level,
        group_id=group_id,
        types=types,
        since=since,
        request_url=request_url[:1000],
    )
    api.audit(
        caller,
        "export",
        None,
        detail={"fhir": "$export", "job": str(job.id), "level": level, "types": types, "group": group_id},
    )
    run_export.enqueue(str(job.id))
    return job


def caller_for(job: ExportJob) -> api.Caller:
    base = job.request_url.split("/$export")[0].rsplit("/Patient", 1)[0].rsplit("/Group/", 1)[0]
    if job.token is None:
        return api.Caller(clinic=job.clinic, scopes=[Scope("system", "*", "cruds")], base=base)
    token = ApiToken.objects.get(pk=job.token_id)
    if token.is_revoked:
        raise FhirError(403, "The token that asked for this export has been revoked.", code="forbidden")
    return api.Caller(
        clinic=job.clinic,
        scopes=parse_scopes(token.scopes),
        token=token,
        base=base,
        patient_id=token.patient_id,
    )


def job_folder(job: ExportJob):
    return settings.FHIR_EXPORT_DIR / str(job.id)


def patients_in_scope(job: ExportJob, caller) -> Q | None:
    """For group-level exports, the group's members; None for all the clinic's patients."""
    if job.level != "group":
        return None
    group = registry().get("Group")
    site = group.queryset(job.clinic_id).filter(pk=job.group_id).first() if job.group_id.isdigit() else None
    if site is None:
        raise FhirError(404, f"Group/{job.group_id} is not known here.", code="not-found")
    return Q(pk__in=group.members(site).values("pk"))


def run(job: ExportJob) -> None:
    """Write one NDJSON file per type; stop early if the client cancels."""
    caller = caller_for(job)
    folder = job_folder(job)
    folder.mkdir(parents=True, exist_ok=True)
    members = patients_in_scope(job, caller)
    output = []
    for kind in job.types:
        count = 0
        path = folder / f"{kind}.ndjson"
        with path.open("w", encoding="utf-8") as out:
            for part in registry().get(kind).parts():
                written = write_ndjson(job, caller, part, export_queryset(job, caller, part, members), out)
                if written is None:
                    return
                count += written
        output.append({"type": kind, "file": f"{kind}.ndjson", "count": count})
        ExportJob.objects.filter(pk=job.pk).update(
            progress=f"{len(output)} of {len(job.types)} types written"
        )
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, output=output, finished_at=timezone.now(), progress="done"
    )
    if finished:
        record(
            None,
            "export",
            None,
            clinic=job.clinic_id,
            actor=caller.actor,
            detail={
                "fhir": "$export",
                "job": str(job.id),
                "written": {o["type"]: o["count"] for o in output},
            },
        )


def export_queryset(job, caller, mapper, members):
    queryset = mapper.queryset(job.clinic_id).filter(api.authorize(caller, mapper, "export")).order_by("pk")
    if members is not None:
        patients = registry().get("Patient").queryset(job.clinic_id).filter(members).values("pk")
        queryset = queryset.filter(**{f"{mapper.patient_field}__in": patients})
    if job.since is not None and mapper.last_updated_field:
        queryset = queryset.filter(mapper.updated_after(job.since))
    return queryset


def write_ndjson(job, caller, mapper, queryset, out) -> int | None:
    count = 0
    batch = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        if part2.releasable(mapper, obj, caller):
            batch.append(obj)
        if len(batch) == CHUNK:
            count += flush(out, mapper, batch, job)
            batch = []
            if cancelled(job):
                return None
    return count + flush(out, mapper, batch, job)


def flush(out, mapper, batch, job) -> int:
    for resource in versions.current(mapper, batch, job.clinic_id):
        out.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(batch)


def cancelled(job) -> bool:
    return ExportJob.objects.filter(pk=job.pk, status=ExportStatus.CANCELLED).exists()


def job_for(caller, job_id: str) -> ExportJob:
    """The caller's own export job (same clinic and token), else 404."""
    job = ExportJob.objects.filter(pk=job_id, clinic=caller.clinic, token=caller.token).first()
    if job is None:
        raise FhirError(404, f"No export {job_id} for this client.", code="not-found")
    return job


def manifest(job: ExportJob, base: str) -> dict:
    return {
        "transactionTime": job.requested_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": f"{base}/$export-file/{job.id}/{item['file']}",
                "count": item["count"],
            }
            for item in job.output
        ],
        "error": [],
    }


def cancel(job: ExportJob) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED, finished_at=timezone.now())
    shutil.rmtree(job_folder(job), ignore_errors=True)
