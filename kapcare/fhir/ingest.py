"""Vital signs posted to the FHIR API (POST Observation, or a Bundle of them) go through the
sessions app's own way in, `ingest_observations`, as a monitor's readings do: each is attached to
the patient's dosing session in progress, stored once per identifier (a repeat answers 200 with
the reading already kept), checked against the protocol's alerts, and audited there. A reading
taken when the patient was in no session (another record's, a home cuff's) is kept as their
history, with no session and no alert (`outside_sessions`, see kapcare.sessions.devices). A refused
reading is stored nowhere and answered with the OperationOutcome ingest gives.

This module turns ingest's answers into the API's: canonical ids (vs-{row}-{kind}), a first
version for each new reading, and the Result the views send.
"""

from kapcare.fhir import versions
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ResourceVersion
from kapcare.lib.sql import insert


def as_error(status: int, body: dict) -> FhirError:
    issues = body.get("issue") or [{"severity": "error", "code": "invalid", "diagnostics": str(body)}]
    return FhirError(status, issues[0].get("diagnostics", ""), issues=issues)


def part_for_resource(mapper, resource: dict):
    """The Observation part whose LOINC code this posted reading carries."""
    from kapcare.sessions.devices import BP_PANEL, BP_PANELS

    codes = {c.get("code") for c in (resource.get("code") or {}).get("coding", [])}
    if codes & BP_PANELS:
        codes.add(BP_PANEL)
    for part in mapper.parts():
        if any(coding["code"] in codes for coding in getattr(part, "codes", ())):
            return part
    return None


def ingest(caller, mapper, resources: list[dict], *, kind: str | None):
    """Post these readings (kind None: one Observation; else a Bundle of that type). Returns one
    (status, resource) or FhirError per reading, in order; a refused transaction raises."""
    from kapcare.sessions.devices import Refused, ingest_observations

    if caller.request is not None:
        caller.request.audit_role = "api"
    body = (
        resources[0]
        if kind is None
        else {
            "resourceType": "Bundle",
            "type": kind,
            "entry": [{"resource": resource} for resource in resources],
        }
    )
    try:
        result = ingest_observations(
            caller.clinic, body, actor=caller.actor, request=caller.request, outside_sessions=True
        )
    except Refused as refused:
        raise as_error(refused.status, refused.outcome()) from None
    answers = []
    for (status, answer), resource in zip(result.entries, resources, strict=True):
        if status >= 400:
            answers.append(as_error(status, answer))
            continue
        part = part_for_resource(mapper, resource)
        pk = str(answer.get("id", "")).removeprefix("vs-").partition("-")[0]  # vs-{row}-{kind}
        answers.append((status, part, pk))
    # The rows as ingest stored or found them: no need to read them back.
    rows = {str(pk): row for pk, row in result.rows.items()}
    fresh, out, made = [], [], {}
    for answer in answers:
        if isinstance(answer, FhirError):
            out.append(answer)
            continue
        status, part, pk = answer
        row = rows[pk]
        resource = part.to_resource(row)
        if status == 200 and resource["id"] in made:
            # The same reading twice in one Bundle: the second is answered with the first's version.
            out.append((200, made[resource["id"]]))
            continue
        if status == 201:
            version = ResourceVersion(
                clinic_id=caller.clinic.pk,
                resource_type="Observation",
                resource_id=resource["id"],
                version=1,
                resource=resource,
                at=row.recorded_at,
                source="api",
            )
            fresh.append(version)
            made[resource["id"]] = versions.with_meta(resource, version)
            out.append((201, made[resource["id"]]))
        else:
            out.append((200, versions.current(part, [row], caller.clinic.pk)[0]))
    insert(ResourceVersion, fresh)  # written out: every post of a reading writes its first version
    return out
