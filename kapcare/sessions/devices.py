"""Vital signs from monitors and bridges, posted as FHIR R4 Observations.

`ingest_observations(clinic, resources)` takes one Observation or a batch (or transaction) Bundle.
Each reading is checked, attached to the active dosing session of its patient, and stored once per
identifier: the same reading posted twice is stored once. A reading without an identifier (the
published US Core examples carry none) cannot be recognised when posted again, so each such post is
a new reading. A reading that is refused (an unknown patient, no active session, taken before the
session began, an impossible value) is stored nowhere and answered with an OperationOutcome.
The FHIR API routes POST /fhir/R4/Observation here; this app serves the same
function at /api/devices/observations for devices that speak only this.

The FHIR API also keeps readings from outside kapcare's sessions (`outside_sessions=True`): a
reading taken when the patient was in no dosing session, a home cuff's or another clinic's, is the
patient's history. It is kept with no session, raises no session alert, and may be dated by its day
only. A reading that could be a session's is still refused rather than filed as history, where the
nurse watching the session would not see it: one taken earlier on the day of the session in
progress (a monitor's clock may be wrong), one taken during a session that has ended, and one dated
by its day only on a day the patient had a session. The device endpoint keeps to sessions: a
monitor posting for a patient in no session is told so rather than filed away.

Codes are LOINC, units UCUM (reference/instruments.md §4): blood pressure is one Observation 85354-9
(or the older 55284-4, read back as 85354-9) with components 8480-6 (systolic) and 8462-4
(diastolic); heart rate 8867-4; SpO2 59408-5 or 2708-6;
respiratory rate 9279-1; body temperature 8310-5 in Cel or [degF], kept in °C to a hundredth beside
the unit it came in (kapcare.sessions.vitals.to_celsius).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kapcare.audit.trail import record_each
from kapcare.clinics.models import Protocol
from kapcare.lib.sql import aware, insert, records
from kapcare.sessions import vitals as plausibility
from kapcare.sessions.models import DosingSession, SessionTransition, Source, State, VitalSign
from kapcare.sessions.models.monitoring import POSTED_STATUSES, ReadingStatus
from kapcare.sessions.models.session import RECORDING_STATES, share_protocols
from kapcare.sessions.monitor import evaluate_vitals, make_alerts, save_alerts

LOINC = "http://loinc.org"
BP_PANEL = "85354-9"
# The older panel some records still send (Synthea's, for one), with the same two components.
BP_PANELS = {BP_PANEL, "55284-4"}
COMPONENTS = {"8480-6": "systolic", "8462-4": "diastolic"}
SINGLE = {
    "8867-4": "heart_rate",
    "59408-5": "spo2",
    "2708-6": "spo2",
    "9279-1": "resp_rate",
    "8310-5": "temperature_c",
}
UNITS = {
    "systolic": {"mm[Hg]"},
    "diastolic": {"mm[Hg]"},
    "heart_rate": {"/min", "{beats}/min"},
    "spo2": {"%"},
    "resp_rate": {"/min", "{breaths}/min"},
    "temperature_c": {plausibility.CELSIUS, plausibility.FAHRENHEIT},
}
NAMES = {"temperature_c": "body temperature"}
# Vital signs a record may carry that kapcare does not take, and why: said plainly, since the
# CapabilityStatement lists the body-weight profile (kapcare serves the weights it takes).
NOT_TAKEN = {
    "29463-7": "kapcare keeps a body weight only as the one taken at a dosing session's check-in, "
    "where the dose is worked out from it, and does not take weights from elsewhere (it serves the "
    "weights it took as Observation code 29463-7).",
    "8302-2": "kapcare does not record body height.",
    "39156-5": "kapcare does not record body mass index.",
}
# A monitor's clock may run a little apart from ours: readings this close to the session are its own.
CLOCK_SLACK = timezone.timedelta(minutes=5)


class Refused(Exception):
    def __init__(self, status: int, message: str, expression: str = "Observation", code: str = "invalid"):
        super().__init__(message)
        self.status, self.expression, self.code = status, expression, code

    def outcome(self) -> dict:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": self.code,
                    "diagnostics": str(self),
                    "expression": [self.expression],
                }
            ],
        }


@dataclass
class Reading:
    """One Observation, read and checked, not yet stored."""

    index: int
    identifier: str
    taken_at: datetime
    patient_ref: str
    values: dict
    device: str
    resource: dict
    status: str = "final"
    date_only: bool = False
    session: DosingSession | None = None
    patient_id: int | None = None  # set when kept outside a session
    stored: VitalSign | None = None
    duplicate: bool = False


@dataclass
class IngestResult:
    """What happened to each resource posted: `entries` in order, each (status, body)."""

    entries: list = field(default_factory=list)
    is_bundle: bool = False
    created: int = 0
    duplicates: int = 0
    refused: int = 0
    alerts: int = 0
    rows: dict = field(default_factory=dict)  # the stored readings, new or found, by pk

    def response(self) -> tuple[int, dict]:
        """The HTTP status and body: the resource or an OperationOutcome; a batch-response for a Bundle."""
        if self.is_bundle:
            return 200, {
                "resourceType": "Bundle",
                "type": "batch-response",
                "entry": [
                    {
                        "response": {"status": f"{status} {REASONS[status]}"},
                        **({"resource": body} if body else {}),
                    }
                    if status < 400
                    else {"response": {"status": f"{status} {REASONS[status]}", "outcome": body}}
                    for status, body in self.entries
                ],
            }
        return self.entries[0]


REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
}


def ingest_observations(
    clinic, resources, *, actor: str = "device", request=None, outside_sessions: bool = False
) -> IngestResult:
    """Store the vital signs in one Observation or a Bundle of them for a clinic's active sessions,
    and with `outside_sessions` those taken when the patient was in no session as their history."""
    if not isinstance(resources, dict):
        raise Refused(400, "Post one FHIR Observation or a Bundle of them, as JSON.", "Resource")
    kind = resources.get("resourceType")
    if kind == "Bundle":
        return _bundle(clinic, resources, actor=actor, request=request, outside_sessions=outside_sessions)
    if kind != "Observation":
        raise Refused(400, f"Expected an Observation or a Bundle, not {kind!r}.", "Resource.resourceType")
    result = IngestResult()
    try:
        reading = read_observation(resources, 0, "Observation")
        outcomes = attach(clinic, [reading], "Observation.subject", outside_sessions=outside_sessions)
        if outcomes:
            raise outcomes[0]
    except Refused as refused:
        result.refused = 1
        result.entries.append((refused.status, refused.outcome()))
        return result
    # Inside a caller's transaction (the FHIR API's) no savepoint: a failure fails the call.
    with transaction.atomic(savepoint=False):
        store(clinic, [reading], result, actor=actor, request=request)
    result.entries.append((200 if reading.duplicate else 201, as_resource(reading)))
    return result


def _bundle(clinic, bundle: dict, *, actor, request, outside_sessions: bool) -> IngestResult:
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise Refused(400, "Post a Bundle of type batch or transaction.", "Bundle.type")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not entries:
        raise Refused(400, "The Bundle has no entries.", "Bundle.entry")
    result = IngestResult(is_bundle=True)
    readings, outcomes = [], {}
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}].resource"
        try:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
                raise Refused(400, "Each entry holds one Observation.", where)
            readings.append(read_observation(resource, index, where))
        except Refused as refused:
            outcomes[index] = refused
    outcomes |= attach(
        clinic, readings, "Bundle.entry[{index}].resource.subject", outside_sessions=outside_sessions
    )
    if kind == "transaction" and outcomes:
        # All or nothing: one refused entry refuses the whole transaction.
        first = outcomes[min(outcomes)]
        raise Refused(first.status, f"Transaction refused, nothing stored: {first}", first.expression)
    good = [r for r in readings if r.index not in outcomes]
    with transaction.atomic(savepoint=False):
        store(clinic, good, result, actor=actor, request=request)
    by_index = {r.index: r for r in good}
    for index in range(len(entries)):
        if index in outcomes:
            result.refused += 1
            result.entries.append((outcomes[index].status, outcomes[index].outcome()))
        else:
            reading = by_index[index]
            result.entries.append((200 if reading.duplicate else 201, as_resource(reading)))
    return result


def read_observation(resource: dict, index: int, where: str) -> Reading:
    """The reading in one Observation, or Refused saying what is wrong and where."""
    if resource.get("status") == ReadingStatus.ENTERED_IN_ERROR:
        raise Refused(
            422,
            "A reading sent as entered-in-error is not kept: kapcare keeps what was taken. A reading "
            "from outside a dosing session that is wrong is marked entered in error on the patient's "
            "chart, with the reason; a session's readings stay on the nurse's flowsheet.",
            f"{where}.status",
            "business-rule",
        )
    if resource.get("status") not in POSTED_STATUSES:
        raise Refused(
            400, "Observation.status must be final, amended, corrected or preliminary.", f"{where}.status"
        )
    identifier = first_identifier(resource, where)
    if "effectiveDateTime" not in resource and "effectivePeriod" in resource:
        raise Refused(
            400,
            "A reading is kept at the moment it was taken: give effectiveDateTime (with a time zone) "
            "instead of effectivePeriod.",
            f"{where}.effectivePeriod",
        )
    effective = str(resource.get("effectiveDateTime") or "")
    if day := parse_day(effective):
        # Another record may date a reading by its day (the US Core examples do): kept as that day.
        taken_at, date_only = datetime(day.year, day.month, day.day, tzinfo=UTC), True
    else:
        taken_at, date_only = parse_datetime(effective), False
    if taken_at is None or timezone.is_naive(taken_at):
        raise Refused(
            400,
            "Give effectiveDateTime with a time zone, for example 2026-01-05T14:03:00Z (a reading "
            "from outside a dosing session may give its day alone, 2026-01-05).",
            f"{where}.effectiveDateTime",
        )
    if taken_at > timezone.now() + CLOCK_SLACK:
        raise Refused(400, "effectiveDateTime is in the future.", f"{where}.effectiveDateTime")
    subject = (resource.get("subject") or {}).get("reference", "")
    if isinstance(subject, str) and subject.startswith("urn:"):
        # Another entry's fullUrl: a transaction rewrites it to the patient's id; a batch cannot,
        # since FHIR has a batch's entries stand alone.
        raise Refused(
            400,
            f"subject.reference {subject} names another entry of the Bundle, and only a transaction "
            "resolves those (a batch's entries stand alone): send a transaction, or name the patient "
            "as Patient/{id}.",
            f"{where}.subject",
        )
    if not isinstance(subject, str) or not subject.startswith("Patient/"):
        raise Refused(
            400, "subject.reference must name the patient, for example Patient/123.", f"{where}.subject"
        )
    values = read_values(resource, where)
    problems = plausibility.impossible(values)
    if problems:
        raise Refused(422, "Reading refused: " + " ".join(problems), where, code="business-rule")
    device = (
        (resource.get("device") or {}).get("display") or (resource.get("device") or {}).get("reference") or ""
    )
    return Reading(
        index,
        identifier,
        taken_at,
        subject.removeprefix("Patient/"),
        values,
        str(device)[:200],
        resource,
        resource["status"],
        date_only,
    )


def parse_day(value: str) -> date | None:
    """A FHIR date of a whole day (YYYY-MM-DD), or None."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def first_identifier(resource: dict, where: str) -> str:
    """The reading's identifier as "system|value", or "" when it has none (each post is then new)."""
    identifiers = resource.get("identifier")
    if identifiers is None or identifiers == []:
        return ""
    if not isinstance(identifiers, list) or not isinstance(identifiers[0], dict):
        raise Refused(400, "identifier must be a list of identifiers.", f"{where}.identifier")
    system, value = identifiers[0].get("system", ""), identifiers[0].get("value", "")
    if not value:
        raise Refused(400, "identifier[0].value is empty.", f"{where}.identifier[0].value")
    return f"{system}|{value}"[:200]


def category_codes(resource: dict) -> set[str]:
    return {
        coding.get("code")
        for concept in resource.get("category") or []
        if isinstance(concept, dict)
        for coding in concept.get("coding") or []
        if isinstance(coding, dict)
    }


def codes_of(concept) -> set[str]:
    return {c.get("code") for c in (concept or {}).get("coding", []) if c.get("system") == LOINC}


def read_values(resource: dict, where: str) -> dict:
    codes = codes_of(resource.get("code"))
    values: dict = {}
    if codes & BP_PANELS:
        for n, component in enumerate(resource.get("component") or []):
            for code in codes_of(component.get("code")) & COMPONENTS.keys():
                values[COMPONENTS[code]] = quantity(component, COMPONENTS[code], f"{where}.component[{n}]")
        if "systolic" not in values or "diastolic" not in values:
            raise Refused(
                400,
                "A blood-pressure Observation needs systolic (8480-6) and diastolic (8462-4) components.",
                f"{where}.component",
            )
        return values
    known = codes & SINGLE.keys()
    if not known and codes & NOT_TAKEN.keys():
        code = min(codes & NOT_TAKEN.keys())
        raise Refused(
            422, f"Observation.code {code}: {NOT_TAKEN[code]}", f"{where}.code", code="not-supported"
        )
    if not known:
        message = (
            "Observation.code must be a LOINC vital sign kapcare records: 85354-9 blood pressure, "
            "8867-4 heart rate, 59408-5 or 2708-6 SpO2, 9279-1 respiratory rate, 8310-5 body "
            "temperature."
        )
        if "survey" in category_codes(resource):
            # A questionnaire's score (a PHQ-9 panel, say) is made from the answers, not posted.
            message += (
                " A survey score is made by kapcare from the answers: POST the "
                "QuestionnaireResponse, which kapcare scores and keeps with its survey Observations."
            )
        raise Refused(400, message, f"{where}.code")
    name = SINGLE[known.pop()]
    values[name] = quantity(resource, name, where)
    if name == "temperature_c":
        unit = resource["valueQuantity"].get("code", resource["valueQuantity"].get("unit"))
        values[name] = plausibility.to_celsius(resource["valueQuantity"]["value"], unit)
        values["temperature_unit"] = unit
    return values


def quantity(element: dict, name: str, where: str) -> int:
    q = element.get("valueQuantity")
    label = NAMES.get(name, name.replace("_", " "))
    if q is None and isinstance(element.get("dataAbsentReason"), dict):
        # Valid FHIR (the US Core blood pressure with its diastolic unknown) that kapcare cannot keep:
        # say that, rather than ask for a number as if the sender had made a mistake.
        absent = element["dataAbsentReason"]
        why = absent.get("text") or next((c.get("code") for c in absent.get("coding") or []), "") or "absent"
        kept = (
            "a blood pressure only with both systolic and diastolic"
            if name in COMPONENTS.values()
            else "a reading only with its value"
        )
        raise Refused(
            422,
            f"The {label} has no value (dataAbsentReason: {why}). kapcare keeps {kept}: send it once "
            "it is measured.",
            f"{where}.dataAbsentReason",
            code="not-supported",
        )
    if (
        not isinstance(q, dict)
        or not isinstance(q.get("value"), int | float)
        or isinstance(q.get("value"), bool)
    ):
        raise Refused(400, f"Give {label} as valueQuantity with a number.", f"{where}.valueQuantity")
    if q.get("comparator"):
        # "<40" is a bound the device could not measure past; kept as 40 it would read as a measurement.
        raise Refused(
            422,
            f"{label} {q['comparator']} {q['value']} is a bound, not a measured value, and kapcare keeps "
            "measured values only: send the reading without a comparator, or recheck the sensor.",
            f"{where}.valueQuantity.comparator",
            code="business-rule",
        )
    if q.get("code", q.get("unit")) not in UNITS[name]:
        raise Refused(
            400,
            f"{label} must be in {' or '.join(sorted(UNITS[name]))} (UCUM).",
            f"{where}.valueQuantity.code",
        )
    return round(q["value"])


# What storing a reading and judging it reads of its session (the rest loads if ever needed).
SESSION_FIELDS = ("id", "clinic_id", "patient_id", "protocol_id", "state", "dosed_at", "signed_at")


def recording_sessions(clinic_id: int, patient_ids) -> list[DosingSession]:
    """The sessions taking readings for these patients, with what ingest needs of them, their
    protocol's creation time (for share_protocols) and when they were checked in (`outside`).
    Written out: every device post asks it, and the ORM's join and annotations cost several times
    more to build than the query takes to run."""
    ids = [int(pk) for pk in patient_ids]
    if not ids:
        return []
    session, protocol = DosingSession._meta.db_table, Protocol._meta.db_table
    columns = ", ".join(f"s.{name}" for name in SESSION_FIELDS)
    moves = SessionTransition._meta.db_table
    sql = (
        f"SELECT {columns}, p.created_at AS protocol_stamp, "
        f"(SELECT MIN(t.at) FROM {moves} t WHERE t.session_id = s.id AND t.to_state = %s) AS checked_in_at "
        f"FROM {session} s "
        f"JOIN {protocol} p ON p.id = s.protocol_id "
        f"WHERE s.clinic_id = %s AND s.patient_id IN ({', '.join(['%s'] * len(ids))}) "
        f"AND s.state IN ({', '.join(['%s'] * len(RECORDING_STATES))})"
    )
    params = [State.CHECKED_IN, clinic_id, *ids, *RECORDING_STATES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    fields = [DosingSession._meta.get_field(name) for name in SESSION_FIELDS]
    sessions = records(DosingSession, fields, [row[: len(fields)] for row in rows])
    for session, row in zip(sessions, rows, strict=True):
        session.protocol_stamp, session.checked_in_at = aware(row[-2]), aware(row[-1])
    return sessions


def attach(
    clinic, readings: list[Reading], where: str, *, outside_sessions: bool = False
) -> dict[int, Refused]:
    """Find each reading's patient and active session in the clinic (one query for a batch, and one
    more when a reading is refused or kept outside a session); the readings that have none,
    refused, by index. With `outside_sessions`, a reading from when the patient was in no session
    is kept as their history instead (`patient_id` set, no session)."""
    outcomes = {}
    ids = {r.patient_ref for r in readings if r.patient_ref.isdigit()}
    sessions = {str(s.patient_id): s for s in share_protocols(recording_sessions(clinic.pk, ids))}
    known = set(sessions)
    if any(r.patient_ref not in sessions or r.date_only for r in readings):
        # Only a refusal needs to know whether the patient exists at all (404 or 409).
        from kapcare.patients.models import Patient

        known |= {
            str(pk) for pk in Patient.objects.filter(clinic=clinic, pk__in=ids).values_list("pk", flat=True)
        }
    elsewhere = []  # (reading, where): not the session in progress's; perhaps history
    for reading in readings:
        at = where.format(index=reading.index)
        session = sessions.get(reading.patient_ref)
        if reading.patient_ref not in known:
            outcomes[reading.index] = Refused(
                404, f"Patient/{reading.patient_ref} is not a patient of this clinic.", at, "not-found"
            )
        elif session is not None and not reading.date_only and not before_check_in(session, reading):
            refused = implausible(session, reading, at)
            if refused:
                outcomes[reading.index] = refused
            else:
                reading.session = session
        elif outside_sessions:
            elsewhere.append((reading, at))
        elif reading.date_only:
            outcomes[reading.index] = Refused(
                400,
                "Give effectiveDateTime with a time zone, for example 2026-01-05T14:03:00Z: a session's "
                "reading is kept at the moment it was taken.",
                at.removesuffix(".subject") + ".effectiveDateTime",
            )
        elif session is None:
            outcomes[reading.index] = Refused(
                409,
                f"Patient/{reading.patient_ref} has no dosing session in progress; readings are taken "
                "from check-in to discharge.",
                at,
                "business-rule",
            )
        else:
            outcomes[reading.index] = taken_before(session.checked_in_at, reading, at)
    if elsewhere:
        outcomes |= keep_outside_sessions(clinic, elsewhere)
    return outcomes


def before_check_in(session, reading: Reading) -> bool:
    began = getattr(session, "checked_in_at", None)
    return began is not None and reading.taken_at < began - CLOCK_SLACK


def taken_before(began, reading: Reading, where: str, why: str = "") -> Refused:
    """A reading from before the patient was checked in to the session in progress: from an
    earlier visit or another setting, it would be charted, and judged against today's dose, as if
    taken today; or today's, from a monitor whose clock is wrong."""
    return Refused(
        422,
        f"This reading was taken at {reading.taken_at.isoformat()}, before "
        f"Patient/{reading.patient_ref}'s dosing session in progress began (checked in at "
        f"{began.isoformat()}); kapcare keeps readings in the session they were taken in, from "
        f"check-in to discharge.{why}",
        where.removesuffix(".subject") + ".effectiveDateTime",
        "business-rule",
    )


def implausible(session, reading: Reading, where: str) -> "Refused | None":
    """A reading the session's protocol finds implausible: a device cannot confirm a doubtful
    reading as real; a nurse can, by hand."""
    problems = plausibility.implausible(reading.values, session.rules)
    if problems:
        return Refused(
            422, "Reading refused: " + " ".join(problems), where.removesuffix(".subject"), "business-rule"
        )
    return None


def keep_outside_sessions(clinic, elsewhere: list[tuple[Reading, str]]) -> dict[int, Refused]:
    """Keep as history the readings taken when their patient was in no session (one query for the
    patients' sessions); refuse, by index, those that could be a session's (see the module's
    docstring)."""
    from django.db.models import Max, Min, Q

    ids = {int(reading.patient_ref) for reading, _ in elsewhere}
    ends = [State.DISCHARGED, State.ABORTED]
    visits: dict[str, list] = {}
    for visit in (
        DosingSession.objects.filter(clinic=clinic, patient_id__in=ids)
        .annotate(
            began=Min("transitions__at", filter=Q(transitions__to_state=State.CHECKED_IN)),
            ended=Max("transitions__at", filter=Q(transitions__to_state__in=ends)),
        )
        .filter(began__isnull=False)
        .values("pk", "patient_id", "began", "ended")
    ):
        visits.setdefault(str(visit["patient_id"]), []).append(visit)
    zone = clinic.zone
    outcomes = {}
    for reading, where in elsewhere:
        at = where.removesuffix(".subject") + ".effectiveDateTime"
        for visit in visits.get(reading.patient_ref, []):
            day = timezone.localtime(visit["began"], zone).date()
            if reading.date_only:
                if reading.taken_at.date() == day:
                    outcomes[reading.index] = Refused(
                        400,
                        f"Patient/{reading.patient_ref} had a dosing session (Encounter/dosing-"
                        f"{visit['pk']}) on {day.isoformat()}: give the time this reading was taken, "
                        "with a time zone, so that kapcare can tell whether it was the session's.",
                        at,
                    )
                    break
            elif visit["ended"] is None:  # the session in progress: the reading is from before it
                if timezone.localtime(reading.taken_at, zone).date() == day:
                    outcomes[reading.index] = taken_before(
                        visit["began"],
                        reading,
                        where,
                        " Taken on the same day, it could be the session's own from a clock set wrong, "
                        "so it is not kept as history either.",
                    )
                    break
            elif visit["began"] - CLOCK_SLACK <= reading.taken_at <= visit["ended"] + CLOCK_SLACK:
                outcomes[reading.index] = Refused(
                    409,
                    f"This reading was taken during Patient/{reading.patient_ref}'s dosing session "
                    f"Encounter/dosing-{visit['pk']} (checked in at {visit['began'].isoformat()}, "
                    f"ended at {visit['ended'].isoformat()}); kapcare adds no readings to a session "
                    "after it has ended.",
                    at,
                    "business-rule",
                )
                break
        else:
            reading.patient_id = int(reading.patient_ref)
    return outcomes


def store(clinic, readings: list[Reading], result: IngestResult, *, actor: str, request=None) -> None:
    """Store new readings once each, raise the protocol's alerts, and audit the post once."""
    if not readings:
        return
    # Most posts are new readings: insert them, skipping any stored meanwhile or before.
    fresh = prepare(clinic, readings, existing={})
    insert_new([reading.stored for reading in fresh])
    for reading in fresh:
        if reading.stored.pk is None:
            reading.duplicate, reading.stored = True, None
    fresh = [reading for reading in fresh if not reading.duplicate]
    for reading in readings:
        if reading.duplicate and reading.stored is None:
            reading.stored = VitalSign.objects.get(clinic=clinic, identifier=reading.identifier)
    result.rows |= {reading.stored.pk: reading.stored for reading in readings}
    result.created += len(fresh)
    result.duplicates += len(readings) - len(fresh)
    result.alerts += len(raise_alerts(fresh))
    audit(clinic, fresh, actor=actor, request=request)


def audit(clinic, fresh: list[Reading], *, actor: str, request=None) -> None:
    """One audit event per session the post wrote to, and one per patient whose readings from
    outside a session it kept, with the patient and the readings stored, all appended together."""
    if not fresh:
        return
    touched = [
        (session, {"vital_signs_from_device": len(ids), "readings": ids})
        for session, ids in per_session([r for r in fresh if r.session]).items()
    ]
    outside: dict = {}
    for reading in fresh:
        if reading.session is None:
            outside.setdefault(reading.patient_id, []).append(reading.stored)
    touched += [
        (rows[0], {"vital_signs_outside_a_session": len(rows), "readings": [row.pk for row in rows]})
        for rows in outside.values()
    ]
    record_each(request, "create", touched, clinic=clinic.pk, actor=actor)


def prepare(clinic, readings: list[Reading], existing: dict) -> list[Reading]:
    """Unsaved rows for the readings not already stored (nor repeated in this post)."""
    fresh, seen = [], set()
    for reading in readings:
        reading.duplicate, reading.stored = False, None
        if reading.identifier and (reading.identifier in existing or reading.identifier in seen):
            reading.duplicate = True
            reading.stored = existing.get(reading.identifier)
            continue
        if reading.identifier:
            seen.add(reading.identifier)
        session = reading.session  # None for a reading kept outside sessions
        reading.stored = VitalSign(
            clinic_id=clinic.pk,
            patient_id=session.patient_id if session else reading.patient_id,
            session=session,
            taken_at=reading.taken_at,
            date_only=reading.date_only,
            source=Source.DEVICE,
            status=reading.status,
            identifier=reading.identifier,
            device=reading.device,
            pre_dose=session is not None
            and (session.dosed_at is None or reading.taken_at < session.dosed_at),
            **reading.values,
        )
        fresh.append(reading)
    return fresh


def insert_new(rows: list[VitalSign]) -> None:
    """Insert the rows, skipping each whose identifier the clinic has already stored (another post
    may have stored it a moment ago): the rows inserted get their pks, the others keep none.
    ON CONFLICT DO NOTHING rather than a savepoint to catch the clash: one statement, and a clash
    skips its row instead of failing the transaction. The new rows come back in the order
    inserted: identified rows are matched by identifier, the rest in order."""
    returned = insert(VitalSign, rows, connection.alias, skip_clashes=True, returning=("id", "identifier"))
    by_identifier = {identifier: pk for pk, identifier in returned if identifier}
    unnamed = iter(pk for pk, identifier in returned if not identifier)
    for row in rows:
        pk = by_identifier.get(row.identifier) if row.identifier else next(unnamed)
        if pk is not None:
            row.pk, row._state.adding = pk, False


def per_session(readings: list[Reading]) -> dict:
    """The stored readings' ids, by session: what one audit event per session names."""
    ids: dict = {}
    for reading in readings:
        ids.setdefault(reading.session, []).append(reading.stored.pk)
    return ids


def raise_alerts(fresh: list[Reading]) -> list:
    """The protocol's alerts on the new post-dose readings, judged in time order per session.
    Readings kept outside a session raise none: no one is watching them as they come."""
    from kapcare.sessions.models import State
    from kapcare.sessions.monitor import history, looks_back
    from kapcare.sessions.rules import RuleBook

    alerts = []
    by_session: dict = {}
    for reading in sorted(fresh, key=lambda r: r.taken_at):
        if reading.session is not None and not reading.stored.pre_dose:
            by_session.setdefault(reading.session, []).append(reading.stored)
    for session, new in by_session.items():
        if session.state == State.DOSED:
            session.start_monitoring(at=new[0].taken_at)
        rules = RuleBook(session.rules)
        earlier = history(session, new[0].taken_at) if any(looks_back(rules, r) for r in new) else []
        for reading in new:
            alerts += make_alerts(session, evaluate_vitals(rules, reading, earlier), vital=reading)
            earlier.append(reading)
    return save_alerts(alerts)


# Each kind of reading in a stored row is its own Observation in the FHIR API, with the id
# `vs-{row}-{kind}` (kapcare.fhir.mappers.vital_signs); a device is answered with that same id.
OBSERVATION_KIND = {
    "systolic": "bp",
    "heart_rate": "hr",
    "resp_rate": "rr",
    "spo2": "spo2",
    "temperature_c": "temp",
}


def as_resource(reading: Reading) -> dict:
    resource = dict(reading.resource)
    if reading.stored is not None and reading.stored.pk:
        kind = next(OBSERVATION_KIND[name] for name in reading.values if name in OBSERVATION_KIND)
        resource["id"] = f"vs-{reading.stored.pk}-{kind}"
    return resource
