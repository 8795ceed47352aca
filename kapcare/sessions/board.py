"""The live board: every active session at a site, in a fixed number of queries however many
readings the sessions hold."""

from dataclasses import dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from kapcare.sessions.models import ACTIVE_STATES, Alert, DosingSession, Rating, RatingKind, VitalSign
from kapcare.sessions.monitor import next_due, raise_overdue
from kapcare.sessions.rules import rule

MOAAS = {
    5: "alert",
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

    @property
    def overdue(self) -> bool:
        return self.seconds_to_due is not None and self.seconds_to_due < 0

    @property
    def countdown(self) -> str:
        seconds = abs(self.seconds_to_due or 0)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def sedation_label(self) -> str:
        return MOAAS.get(self.sedation.score, "") if self.sedation else ""


def trend(latest, previous) -> str:
    if latest is None or previous is None or latest == previous:
        return "steady" if latest is not None and previous is not None else ""
    return "rising" if latest > previous else "falling"


# A monitor posts each sign as its own Observation, so a round is several rows: look back far enough
# to find the latest two of each sign, but a fixed number, so the board's work does not grow.
LOOK_BACK = 12


def latest_vitals_by_session(ids: list[int], per_session: int = LOOK_BACK) -> dict[int, list[VitalSign]]:
    ranked = (
        VitalSign.objects.filter(session_id__in=ids)
        .annotate(
            n=Window(
                RowNumber(), partition_by=[F("session_id")], order_by=[F("taken_at").desc(), F("pk").desc()]
            )
        )
        .filter(n__lte=per_session)
        .order_by("session_id", "-taken_at", "-pk")
    )
    found: dict[int, list] = {}
    for reading in ranked:
        found.setdefault(reading.session_id, []).append(reading)
    return found


def latest_ratings_by_session(ids: list[int]) -> dict[tuple[int, str], Rating]:
    ranked = (
        Rating.objects.filter(session_id__in=ids)
        .annotate(
            n=Window(
                RowNumber(),
                partition_by=[F("session_id"), F("kind")],
                order_by=[F("taken_at").desc(), F("pk").desc()],
            )
        )
        .filter(n=1)
    )
    return {(r.session_id, r.kind): r for r in ranked}


def rows_for(sessions: list[DosingSession], now, request=None) -> list[Row]:
    ids = [s.pk for s in sessions]
    vitals = latest_vitals_by_session(ids)
    last_taken = {pk: readings[0].taken_at for pk, readings in vitals.items()}
    raise_overdue(sessions, last_taken, now, request=request)
    ratings = latest_ratings_by_session(ids)
    alerts: dict[int, list] = {}
    for alert in Alert.objects.filter(session_id__in=ids, acknowledged_at__isnull=True).order_by("raised_at"):
        alerts.setdefault(alert.session_id, []).append(alert)
    rows = []
    for session in sessions:
        readings = vitals.get(session.pk, [])
        row = Row(
            session=session,
            vitals=readings,
            alerts=alerts.get(session.pk, []),
            sedation=ratings.get((session.pk, RatingKind.SEDATION)),
            dissociation=ratings.get((session.pk, RatingKind.DISSOCIATION)),
            minutes_since_dose=session.minutes_since_dose(now),
            last_taken=last_taken.get(session.pk),
        )
        describe_vitals(row, session.rules, readings)
        row.due_at = next_due(session, row.last_taken, now)
        if row.due_at is not None:
            row.seconds_to_due = int((row.due_at - now).total_seconds())
        rows.append(row)
    return rows


def describe_vitals(row: Row, rules: dict, readings: list[VitalSign]) -> None:
    """The latest value of each sign, its trend, and whether it is beyond the protocol's alert limit."""

    def latest_two(name):
        values = [getattr(r, name) for r in readings if getattr(r, name) is not None]
        return (values[0] if values else None), (values[1] if len(values) > 1 else None)

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
        row.values[name] = {"value": latest, "trend": trend(latest, previous), "high": high, "low": low}


def site_board(site, now, request=None) -> list[Row]:
    sessions = list(
        DosingSession.objects.filter(site=site, state__in=ACTIVE_STATES)
        .select_related("patient", "room", "protocol", "site")
        .order_by("room__name", "planned_start")
    )
    return rows_for(sessions, now, request=request)
