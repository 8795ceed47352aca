"""The live board: every active session at a site, in a fixed number of queries however many
readings the sessions hold."""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from kapcare.sessions.models import ACTIVE_STATES, Alert, DosingSession, Rating, RatingKind, VitalSign
from kapcare.sessions.models.session import share_protocols, with_protocol_stamp
from kapcare.sessions.monitor import local, next_due, next_rating_due, raise_overdue
from kapcare.sessions.rules import rule

MOAAS = {
    5: "responds readily to name",
    4: "lethargic to name",
    3: "responds to loud name",
    2: "responds to prodding",
    1: "responds to pain only",
    0: "no response",
}


@dataclass
class Row:
    session: DosingSession
    vitals: list = field(default_factory=list)
    bp: str = ""
    bp_trend: str = ""
    bp_high: bool = False
    sedation: Rating | None = None
    dissociation: Rating | None = None
    alerts: list = field(default_factory=list)
    due_at: object = None
    seconds_to_due: int | None = None
    minutes_since_dose: int | None = None
    last_taken: object = None
    url: str = ""
    ratings_due: list = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.seconds_to_due is not None and self.seconds_to_due < 0

    @property
    def countdown(self) -> str:
        seconds = abs(self.seconds_to_due or 0)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def due_time(self) -> str:
        # Formatted here rather than by the template's time filter: 50 tiles poll every 5 seconds.
        return local(self.due_at, self.session).strftime("%H:%M") if self.due_at else ""

    @property
    def rating_overdue(self) -> bool:
        return any(due.overdue for due in self.ratings_due)

    @property
    def sedation_label(self) -> str:
        return MOAAS.get(self.sedation.score, "") if self.sedation else ""


@dataclass
class RatingDue:
    """The next sedation or dissociation rating on the protocol's schedule, counting down."""

    label: str
    due_at: object
    seconds_to_due: int

    @property
    def overdue(self) -> bool:
        return self.seconds_to_due < 0

    @property
    def countdown(self) -> str:
        seconds = abs(self.seconds_to_due)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def due_time(self) -> str:
        return self.due_at.strftime("%H:%M")


def ratings_due(session, now, last_rated: dict | None = None) -> list[RatingDue]:
    """The next rating of each kind; when each was last taken comes from `last_rated` ({kind: when})
    or the board's annotations."""
    due = []
    for kind, label in ((RatingKind.SEDATION, "sedation"), (RatingKind.DISSOCIATION, "dissociation")):
        last = last_rated.get(kind) if last_rated is not None else getattr(session, f"{kind}_taken", None)
        at = next_rating_due(session, last)
        if at is not None:
            due.append(RatingDue(label, local(at, session), int((at - now).total_seconds())))
    return due


ARROWS = {"rising": "▲", "falling": "▼", "steady": "▶"}


def trend(latest, previous) -> str:
    if latest is None or previous is None or latest == previous:
        return "steady" if latest is not None and previous is not None else ""
    return "rising" if latest > previous else "falling"


FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")


def latest(model, name: str, offset: int = 0, **match):
    """The session's latest (or second latest) non-empty value of a field: one indexed look-up per
    session, whatever the length of its history."""
    rows = model.objects.filter(session=OuterRef("pk"), **{f"{name}__isnull": False}, **match)
    return Subquery(rows.order_by("-taken_at", "-pk").values(name)[offset : offset + 1])


def with_latest(sessions):
    """Sessions annotated with their latest two values of each vital sign and latest ratings."""
    annotations = {}
    for name in FIELDS:
        annotations[f"{name}_0"] = latest(VitalSign, name)
        annotations[f"{name}_1"] = latest(VitalSign, name, 1)
    annotations["last_taken"] = latest(VitalSign, "taken_at")
    for kind in (RatingKind.SEDATION, RatingKind.DISSOCIATION):
        annotations[f"{kind}_score"] = latest(Rating, "score", kind=kind)
        annotations[f"{kind}_scale"] = latest(Rating, "scale", kind=kind)
    return sessions.annotate(**annotations, **rating_times())


def rating_times() -> dict:
    """When each kind of rating was last taken (`sedation_taken`), for the rating schedule."""
    return {f"{kind}_taken": latest(Rating, "taken_at", kind=kind) for kind in RatingKind.values}


def rows_for(sessions: list[DosingSession], now, request=None) -> list[Row]:
    ids = [s.pk for s in sessions]
    last_taken = {s.pk: s.last_taken for s in sessions if s.last_taken}
    raise_overdue(sessions, last_taken, now, request=request)
    alerts: dict[int, list] = {}
    for alert in Alert.objects.filter(session_id__in=ids, acknowledged_at__isnull=True).order_by("raised_at"):
        alerts.setdefault(alert.session_id, []).append(alert)
    detail = reverse("sessions:detail", args=[0]).removesuffix("0/")
    rows = []
    for session in sessions:
        row = Row(
            url=f"{detail}{session.pk}/",
            session=session,
            alerts=alerts.get(session.pk, []),
            sedation=rating(session, RatingKind.SEDATION),
            dissociation=rating(session, RatingKind.DISSOCIATION),
            minutes_since_dose=session.minutes_since_dose(now),
            last_taken=last_taken.get(session.pk),
        )
        describe_vitals(row, session.rules, session)
        row.due_at = next_due(session, row.last_taken, now)
        if row.due_at is not None:
            row.seconds_to_due = int((row.due_at - now).total_seconds())
        row.ratings_due = ratings_due(session, now)
        rows.append(row)
    return rows


def rating(session, kind):
    score = getattr(session, f"{kind}_score")
    return (
        None
        if score is None
        else Rating(session=session, kind=kind, score=score, scale=getattr(session, f"{kind}_scale"))
    )


def describe_vitals(row: Row, rules: dict, session) -> None:
    """The latest value of each sign, its trend, and whether it is beyond the protocol's alert limit."""

    def latest_two(name):
        return getattr(session, f"{name}_0"), getattr(session, f"{name}_1")

    row.values = {}
    limits = {
        "systolic": rule(rules, "vitals.alert_systolic_above").value,
        "diastolic": rule(rules, "vitals.alert_diastolic_above").value,
        "heart_rate": rule(rules, "vitals.alert_heart_rate_above").value,
    }
    spo2_low = rule(rules, "vitals.alert_spo2_below").value
    for name in ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate"):
        latest, previous = latest_two(name)
        high = latest is not None and name in limits and latest > limits[name]
        low = latest is not None and name == "spo2" and spo2_low is not None and latest < spo2_low
        direction = trend(latest, previous)
        row.values[name] = {
            "value": latest,
            "trend": direction,
            "arrow": ARROWS.get(direction, ""),
            "high": high,
            "low": low,
        }
    row.cells = cells(row.values)


# What a tile shows of a session, its patient, room and site (a wall display polls every 5 s).
BOARD_FIELDS = (
    "clinic_id",
    "patient_id",
    "protocol_id",
    "state",
    "dosed_at",
    "planned_start",
    "patient__preferred_name",
    "patient__legal_first_name",
    "patient__legal_last_name",
    "room__name",
    "setting",
    "home_address",
    "site__time_zone",
)


@dataclass
class Cell:
    """One vital sign on a tile, ready to show: its words carry the meaning, colour only repeats it."""

    label: str
    text: str
    trend: str = ""
    arrow: str = ""
    flag: str = ""


def cells(values: dict) -> list[Cell]:
    def cell(label, name, text, flag=""):
        v = values[name]
        return Cell(label, text, v["trend"], v["arrow"], flag)

    bp, hr, spo2, rr = values["systolic"], values["heart_rate"], values["spo2"], values["resp_rate"]
    bp_text = f"{bp['value']}/{values['diastolic']['value'] or '–'}" if bp["value"] else "–"
    return [
        cell("BP", "systolic", bp_text, "HIGH" if bp["high"] or values["diastolic"]["high"] else ""),
        cell("HR", "heart_rate", str(hr["value"] or "–"), "HIGH" if hr["high"] else ""),
        cell("SpO2", "spo2", f"{spo2['value']}%" if spo2["value"] else "–", "LOW" if spo2["low"] else ""),
        cell("RR", "resp_rate", str(rr["value"] or "–")),
    ]


def site_board(site, now, request=None) -> list[Row]:
    sessions = share_protocols(
        list(
            with_protocol_stamp(with_latest(DosingSession.objects.filter(site=site, state__in=ACTIVE_STATES)))
            .select_related("patient", "room", "site")
            .only(*BOARD_FIELDS)
            .order_by("room__name", "planned_start")
        )
    )
    return rows_for(sessions, now, request=request)
