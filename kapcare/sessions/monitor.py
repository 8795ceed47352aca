"""Monitoring after the dose: recording readings and ratings, and the protocol's alerts on them.

The alert rules read the session's protocol version; each alert keeps the rule as written, the
values seen and the source, so the record shows why it fired even after the protocol changes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.sessions import dissociation
from kapcare.sessions import vitals as plausibility
from kapcare.sessions.models import (
    AdverseEvent,
    Alert,
    AlertRule,
    DosingSession,
    Rating,
    RatingKind,
    SessionError,
    SessionNote,
    Source,
    State,
    VitalSign,
)
from kapcare.sessions.models.session import POST_DOSE_STATES, RECORDING_STATES, share_protocols
from kapcare.sessions.rules import book, ratings_due_minutes, rule, value, vitals_due_minutes


class Implausible(SessionError):
    """A reading that needs the nurse's confirmation before it is kept."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class Fired:
    rule: str
    key: str
    message: str
    rule_text: str
    source: str


# Rules on readings ------------------------------------------------------------------------------


def _above(reading, field, limit) -> bool:
    got = getattr(reading, field)
    return got is not None and got > limit


def _run_start(reading, history, is_high):
    """The first reading of the unbroken run of high readings that ends with this one."""
    start = reading
    for earlier in reversed(history):
        if not is_high(earlier):
            if is_high.applies(earlier):
                break
            continue
        start = earlier
    return start


class _Test:
    """A high-reading test that knows which readings it can judge (those with the value)."""

    def __init__(self, fields, limits):
        self.fields, self.limits = fields, limits

    def applies(self, reading) -> bool:
        return any(getattr(reading, f) is not None for f in self.fields)

    def __call__(self, reading) -> bool:
        return any(_above(reading, f, limit) for f, limit in zip(self.fields, self.limits, strict=True))


def evaluate_vitals(rules, reading, history: list) -> list[Fired]:
    """The alerts one post-dose reading raises, given the session's earlier readings (oldest first).
    `rules` is the protocol's rules, or a RuleBook of them when judging many readings."""
    rule = book(rules)
    fired = []
    once_s, once_d = (
        rule("vitals.alert_systolic_once_above"),
        rule("vitals.alert_diastolic_once_above"),
    )
    if _above(reading, "systolic", once_s.value) or _above(reading, "diastolic", once_d.value):
        fired.append(
            Fired(
                AlertRule.BP_ONCE,
                f"at-{reading.taken_at.isoformat()}",
                f"Blood pressure {reading.bp} is above {once_s.value}/{once_d.value} on one reading.",
                f"Alert when systolic > {once_s.value} or diastolic > {once_d.value} mmHg on any reading",
                once_s.source,
            )
        )
    high_s, high_d = rule("vitals.alert_systolic_above"), rule("vitals.alert_diastolic_above")
    confirm = rule("vitals.alert_confirm_minutes")
    bp_high = _Test(("systolic", "diastolic"), (high_s.value, high_d.value))
    if bp_high(reading):
        start = _run_start(reading, history, bp_high)
        span = (reading.taken_at - start.taken_at).total_seconds() / 60
        if start is not reading and span >= confirm.value:
            fired.append(
                Fired(
                    AlertRule.BP_CONFIRMED,
                    f"run-{start.taken_at.isoformat()}",
                    f"Blood pressure high on consecutive readings: {start.bp} then {reading.bp}, "
                    f"{span:.0f} minutes apart.",
                    f"Alert when above {high_s.value}/{high_d.value} mmHg on readings "
                    f"{confirm.value} minutes apart",
                    high_s.source,
                )
            )
    hr, sustained = (
        rule("vitals.alert_heart_rate_above"),
        rule("vitals.alert_heart_rate_sustained_minutes"),
    )
    hr_high = _Test(("heart_rate",), (hr.value,))
    if hr_high(reading):
        start = _run_start(reading, history, hr_high)
        span = (reading.taken_at - start.taken_at).total_seconds() / 60
        if start is not reading and span >= sustained.value:
            fired.append(
                Fired(
                    AlertRule.HR_SUSTAINED,
                    f"run-{start.taken_at.isoformat()}",
                    f"Heart rate above {hr.value} for {span:.0f} minutes: "
                    f"{start.heart_rate} then {reading.heart_rate}.",
                    f"Alert when heart rate > {hr.value}/min is sustained for {sustained.value} minutes",
                    hr.source,
                )
            )
    spo2 = rule("vitals.alert_spo2_below")
    if spo2.value is not None and reading.spo2 is not None and reading.spo2 < spo2.value:
        fired.append(
            Fired(
                AlertRule.SPO2_LOW,
                f"at-{reading.taken_at.isoformat()}",
                f"SpO2 {reading.spo2}% is below {spo2.value}%.",
                f"Alert when SpO2 < {spo2.value}%",
                spo2.source,
            )
        )
    return fired


def looks_back(rules, reading) -> bool:
    """Whether judging this reading needs the earlier ones: only a high blood pressure or heart
    rate can extend a run of high readings (so a normal reading costs no look-up)."""
    high = (
        ("systolic", "vitals.alert_systolic_above"),
        ("diastolic", "vitals.alert_diastolic_above"),
        ("heart_rate", "vitals.alert_heart_rate_above"),
    )
    rule = book(rules)
    return any(_above(reading, field, rule(path).value) for field, path in high)


def evaluate_rating(rules: dict, rating) -> list[Fired]:
    if rating.kind != RatingKind.SEDATION:
        return []
    deep = rule(rules, "ratings.alert_sedation_at_most")
    if rating.score > deep.value:
        return []
    return [
        Fired(
            AlertRule.DEEP_SEDATION,
            f"at-{rating.taken_at.isoformat()}",
            f"MOAA/S {rating.score}: deep sedation.",
            f"Alert when MOAA/S is {deep.value} or lower",
            deep.source,
        )
    ]


def vitals_out_of_limits(rules: dict, reading) -> list[str]:
    """How a reading is outside the limits that allow dosing (the protocol's hold limits)."""
    out = []
    hold_s, hold_d = rule(rules, "vitals.hold_systolic_above"), rule(rules, "vitals.hold_diastolic_above")
    if _above(reading, "systolic", hold_s.value) or _above(reading, "diastolic", hold_d.value):
        out.append(f"blood pressure {reading.bp} above {hold_s.value}/{hold_d.value} ({hold_s.source})")
    spo2 = rule(rules, "vitals.alert_spo2_below")
    if spo2.value is not None and reading.spo2 is not None and reading.spo2 < spo2.value:
        out.append(f"SpO2 {reading.spo2}% below {spo2.value}% ({spo2.source})")
    hr = rule(rules, "vitals.alert_heart_rate_above")
    if _above(reading, "heart_rate", hr.value):
        out.append(f"heart rate {reading.heart_rate} above {hr.value} ({hr.source})")
    return out


def make_alerts(session, fired: list[Fired], *, vital=None) -> list[Alert]:
    return [
        Alert(
            clinic_id=session.clinic_id,
            patient_id=session.patient_id,
            session=session,
            rule=f.rule,
            key=f.key,
            message=f.message[:300],
            rule_text=f.rule_text[:300],
            source=f.source,
            protocol_version=session.protocol.version,
            vital=vital,
        )
        for f in fired
    ]


def save_alerts(alerts: list[Alert]) -> list[Alert]:
    """Store alerts not already raised (the same rule on the same run is raised once)."""
    if not alerts:
        return []
    sessions = {a.session_id for a in alerts}
    known = set(Alert.objects.filter(session_id__in=sessions).values_list("session_id", "rule", "key"))
    new = [a for a in alerts if (a.session_id, a.rule, a.key) not in known]
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    return new


# Recording ----------------------------------------------------------------------------------------


def history(session, before: datetime, limit: int = 20) -> list[VitalSign]:
    """The session's latest post-dose readings before a moment, oldest first: enough to judge runs."""
    rows = VitalSign.objects.filter(session=session, pre_dose=False, taken_at__lt=before).order_by(
        "-taken_at"
    )
    return list(reversed(rows[:limit]))


def record_vitals(
    session, *, by, taken_at, values: dict, confirmed_note: str = "", request=None, pre_dose: bool = False
) -> tuple[VitalSign, list[Alert]]:
    """Keep one set of vital signs; refuse the impossible, and the implausible unless confirmed."""
    session.ensure_open()
    problems = plausibility.impossible(values)
    if problems:
        raise SessionError(" ".join(problems))
    doubtful = plausibility.implausible(values, session.rules)
    if doubtful and not confirmed_note.strip():
        raise Implausible(doubtful)
    if taken_at > timezone.now() + timedelta(minutes=1):
        raise SessionError("The time taken is in the future.")
    if session.state not in RECORDING_STATES:
        raise SessionError(
            f"Vital signs are recorded from check-in to discharge; this session is "
            f"{session.get_state_display().lower()}."
        )
    with transaction.atomic():
        session.ensure_open()
        reading = VitalSign.objects.create(
            clinic_id=session.clinic_id,
            patient_id=session.patient_id,
            session=session,
            taken_at=taken_at,
            source=Source.MANUAL,
            confirmed_note=confirmed_note.strip() if doubtful else "",
            recorded_by=by,
            pre_dose=pre_dose or session.dosed_at is None or taken_at < session.dosed_at,
            **{field: values.get(field) for field in plausibility.FIELDS},
            temperature_unit=temperature_unit(values),
        )
        alerts = after_reading(session, reading, by=by, request=request)
        record(
            request,
            "create",
            reading,
            patient=session.patient_id,
            clinic=session.clinic_id,
            actor=by,
            detail={
                "values": {f: values.get(f) for f in plausibility.FIELDS},
                "alerts": [a.rule for a in alerts],
                "confirmed_implausible": bool(doubtful),
            },
        )
    return reading, alerts


def temperature_unit(values: dict) -> str:
    """The unit a temperature was taken in (°C unless said), or none without a temperature."""
    if values.get("temperature_c") is None:
        return ""
    return values.get("temperature_unit") or plausibility.CELSIUS


def after_reading(session, reading, *, by=None, request=None) -> list[Alert]:
    """Start monitoring on the first reading after the dose, and raise the protocol's alerts."""
    if reading.pre_dose:
        return []
    if session.state == State.DOSED:
        session.start_monitoring(by=by, request=request)
    earlier = history(session, reading.taken_at) if looks_back(session.rules, reading) else []
    fired = evaluate_vitals(session.rules, reading, earlier)
    return save_alerts(make_alerts(session, fired, vital=reading))


def record_rating(
    session, *, by, kind: str, taken_at, score: int | None = None, items: dict | None = None, request=None
) -> tuple[Rating, list]:
    """Keep a sedation (MOAA/S) or dissociation rating. A dissociation rating on a scale kapcare
    knows (CADSS-6, CADSS) is given item by item and totalled here; on another scale, as a total."""
    session.ensure_open()
    rules = session.rules
    scale = value(
        rules, "ratings.sedation_scale" if kind == RatingKind.SEDATION else "ratings.dissociation_scale"
    )
    stored_items: list = []
    itemised = dissociation.scale_named(scale) if kind == RatingKind.DISSOCIATION else None
    if itemised is not None:
        try:
            total, stored_items = dissociation.score(itemised, items or {})
        except ValueError as error:
            raise SessionError(str(error)) from None
        if score is not None and score != total:
            raise SessionError(f"The items add up to {total}, not {score}.")
        score, scale = total, itemised.name
    if score is None:
        raise SessionError("Give the score.")
    if kind == RatingKind.SEDATION and not 0 <= score <= 5:
        raise SessionError("MOAA/S runs from 0 (no response to a painful stimulus) to 5 (alert).")
    if score < 0:
        raise SessionError("A rating cannot be negative.")
    if session.state not in RECORDING_STATES:
        raise SessionError("Ratings are recorded from check-in to discharge.")
    with transaction.atomic():
        session.ensure_open()
        rating = Rating.objects.create(
            session=session, kind=kind, scale=scale, score=score, items=stored_items, taken_at=taken_at, by=by
        )
        if session.state == State.DOSED:
            session.start_monitoring(by=by, request=request)
        alerts = save_alerts(make_alerts(session, evaluate_rating(rules, rating))) if session.dosed_at else []
        record(
            request,
            "create",
            rating,
            patient=session.patient_id,
            clinic=session.clinic_id,
            actor=by,
            detail={"kind": kind, "score": score, "items": stored_items, "alerts": [a.rule for a in alerts]},
        )
    return rating, alerts


def add_note(session, *, by, text: str, request=None) -> SessionNote:
    if not text.strip():
        raise SessionError("Write the observation.")
    with transaction.atomic():
        session.ensure_open()
        note = SessionNote.objects.create(session=session, text=text.strip(), by=by)
        record(request, "create", note, patient=session.patient_id, clinic=session.clinic_id, actor=by)
    return note


def add_adverse_event(session, *, by, request=None, **fields) -> AdverseEvent:
    if not (fields.get("action_taken") or "").strip():
        raise SessionError("Say what action was taken.")
    with transaction.atomic():
        session.ensure_open()
        event = AdverseEvent.objects.create(session=session, by=by, **fields)
        record(
            request,
            "create",
            event,
            patient=session.patient_id,
            clinic=session.clinic_id,
            actor=by,
            detail={"kind": event.kind, "severity": event.severity, "serious": event.serious},
        )
    return event


def acknowledge(alert: Alert, *, by, action_taken: str, request=None) -> None:
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise SessionError("Say what was done about the alert.")
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.acknowledged_at is not None:
            raise SessionError("This alert is already acknowledged.")
        alert.acknowledged_at, alert.acknowledged_by, alert.action_taken = timezone.now(), by, action_taken
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
        record(
            request,
            "update",
            alert,
            patient=alert.patient_id,
            clinic=alert.clinic_id,
            actor=by,
            detail={"acknowledged": True, "rule": alert.rule},
        )


def latest_vitals(session, look_back: int = 50) -> VitalSign | None:
    """The latest post-dose value of each sign (a monitor posts them as separate readings), as one."""
    readings = list(
        VitalSign.objects.filter(session=session, pre_dose=False).order_by("-taken_at", "-pk")[:look_back]
    )
    if not readings:
        return None
    latest = VitalSign(session=session, taken_at=readings[0].taken_at)
    for field in plausibility.FIELDS:
        setattr(
            latest, field, next((getattr(r, field) for r in readings if getattr(r, field) is not None), None)
        )
    # Blood pressure is one measurement: both numbers come from the same reading.
    with_bp = next((r for r in readings if r.systolic is not None), None)
    latest.systolic, latest.diastolic = (with_bp.systolic, with_bp.diastolic) if with_bp else (None, None)
    return latest


# The schedule ------------------------------------------------------------------------------------


def next_due(session, last_taken: datetime | None, now: datetime | None = None) -> datetime | None:
    """When the next vital signs are due: the protocol's interval after the last reading, or sooner
    a fixed time (such as 40 minutes after the dose) not yet passed by a reading."""
    if session.dosed_at is None or session.state not in POST_DOSE_STATES:
        return None
    rules = session.rules
    every = timedelta(minutes=value(rules, "monitoring.vitals_every_minutes"))
    since = last_taken if last_taken and last_taken >= session.dosed_at else session.dosed_at
    due = since + every
    for minute in vitals_due_minutes(rules, int(value(rules, "monitoring.minimum_minutes"))):
        fixed = session.dosed_at + timedelta(minutes=minute)
        if fixed > since:
            due = min(due, fixed)
            break
    return due


def local(moment, session):
    return timezone.localtime(moment, session.site_zone)


def fixed_minutes(session) -> str:
    return ", ".join(str(m) for m in value(session.rules, "monitoring.blood_pressure_at_minutes"))


def next_rating_due(session, last_rated: datetime | None) -> datetime | None:
    """When the next sedation or dissociation rating of one kind is due after the dose: the first
    of the protocol's rating times (minutes after the dose) later than the last rating of that
    kind. A rating at or after a time meets it; None once the schedule is done. (Minute 0, before
    the dose, belongs to check-in and raises nothing afterwards.)"""
    if session.dosed_at is None or session.state not in POST_DOSE_STATES:
        return None
    since = last_rated if last_rated and last_rated >= session.dosed_at else session.dosed_at
    for minute in ratings_due_minutes(session.rules):
        due = session.dosed_at + timedelta(minutes=minute)
        if minute > 0 and due > since:
            return due
    return None


def last_ratings(sessions: list) -> dict:
    """{(session pk, kind): when last rated}, from the board's annotations (`sedation_taken`) when
    present, otherwise in one query."""
    kinds = (RatingKind.SEDATION, RatingKind.DISSOCIATION)
    if all(hasattr(s, f"{kind}_taken") for s in sessions for kind in kinds):
        return {(s.pk, kind): getattr(s, f"{kind}_taken") for s in sessions for kind in kinds}
    rows = (
        Rating.objects.filter(session__in=[s.pk for s in sessions])
        .values_list("session_id", "kind")
        .annotate(last=Max("taken_at"))
    )
    return {(pk, kind): last for pk, kind, last in rows}


def vitals_overdue(session, due) -> Fired:
    every = rule(session.rules, "monitoring.vitals_every_minutes")
    return Fired(
        AlertRule.OVERDUE,
        f"due-{due.isoformat()}",
        f"Vital signs were due at {local(due, session):%H:%M}; none since.",
        f"Vital signs every {every.value} minutes and at {fixed_minutes(session)} minutes after the dose",
        every.source,
    )


def rating_overdue(session, kind, due) -> Fired:
    times = rule(session.rules, "ratings.at_minutes")
    name = "Sedation" if kind == RatingKind.SEDATION else "Dissociation"
    scale = value(session.rules, f"ratings.{name.lower()}_scale")
    minute = int((due - session.dosed_at).total_seconds() // 60)
    return Fired(
        AlertRule.RATING_OVERDUE,
        f"{kind}-due-{due.isoformat()}",
        f"{name} rating ({scale}) was due at {local(due, session):%H:%M}, {minute} minutes after the dose; "
        "none since.",
        f"Sedation and dissociation rated at {', '.join(str(m) for m in times.value)} minutes "
        "after the dose (0 = before it)",
        times.source,
    )


def overdue_fired(session, last_taken, last_rated: dict, now: datetime) -> list[Fired]:
    """What is overdue in one session now: its vital signs, and each kind of rating."""
    fired = []
    due = next_due(session, last_taken, now)
    if due is not None and now > due:
        fired.append(vitals_overdue(session, due))
    for kind in (RatingKind.SEDATION, RatingKind.DISSOCIATION):
        due = next_rating_due(session, last_rated.get((session.pk, kind)))
        if due is not None and now > due:
            fired.append(rating_overdue(session, kind, due))
    return fired


def raise_overdue(sessions: list, last_taken: dict, now: datetime, request=None) -> list[Alert]:
    """An alert for each session whose vital signs or ratings are overdue, once per missed time."""
    last_rated = last_ratings(sessions) if sessions else {}
    overdue = [(s, overdue_fired(s, last_taken.get(s.pk), last_rated, now)) for s in sessions]
    overdue = [(s, fired) for s, fired in overdue if fired]
    if not overdue:
        return []
    # A board polls every few seconds: build alerts only for missed times not yet raised.
    raised = set(
        Alert.objects.filter(
            session_id__in=[s.pk for s, _ in overdue], rule__in=(AlertRule.OVERDUE, AlertRule.RATING_OVERDUE)
        ).values_list("session_id", "rule", "key")
    )
    alerts = []
    for session, fired in overdue:
        alerts += make_alerts(session, [f for f in fired if (session.pk, f.rule, f.key) not in raised])
    new = save_alerts(alerts)
    by_clinic: dict = {}
    for alert in new:
        ids = by_clinic.setdefault(alert.clinic_id, [])
        if alert.session_id not in ids:
            ids.append(alert.session_id)
    for clinic_id, session_ids in by_clinic.items():
        record(
            request,
            "create",
            None,
            clinic=clinic_id,
            actor="kapcare sessions",
            detail={"overdue_alerts": session_ids},
        )
    return new


def sweep_overdue(now: datetime | None = None) -> list[Alert]:
    """Overdue alerts for every session under monitoring in every clinic, whether or not a board
    is open (the worker runs this every minute). Raising is idempotent: once per missed time."""
    from kapcare.sessions.board import latest, rating_times

    now = now or timezone.now()
    sessions = share_protocols(
        list(
            DosingSession.objects.filter(state__in=POST_DOSE_STATES, dosed_at__isnull=False)
            .annotate(last_taken=latest(VitalSign, "taken_at"), **rating_times())
            .select_related("site")
        )
    )
    last_taken = {s.pk: s.last_taken for s in sessions if s.last_taken}
    return raise_overdue(sessions, last_taken, now)
