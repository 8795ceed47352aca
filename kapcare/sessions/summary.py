"""The session summary: timeline, dose, vitals chart, ratings, events, alerts and discharge, the same
on screen and in the PDF."""

from datetime import timedelta

from django.utils import timezone

from kapcare.lib.charts import Band, Point, TrendChart
from kapcare.sessions.models.rems import rems_fields
from kapcare.sessions.models.session import one_line
from kapcare.sessions.rules import rule

CHARTS = [
    ("systolic", "Systolic blood pressure (mmHg)", "vitals.alert_systolic_above", 60, 220),
    ("diastolic", "Diastolic blood pressure (mmHg)", "vitals.alert_diastolic_above", 30, 140),
    ("heart_rate", "Heart rate (/min)", "vitals.alert_heart_rate_above", 30, 160),
    ("spo2", "SpO2 (%)", None, 80, 100),
]


def vital_rows(vitals) -> list[dict]:
    """One row per moment: a monitor posts each sign as its own reading, a nurse all at once."""
    rows: list[dict] = []
    for v in vitals:
        row = (
            rows[-1]
            if rows and rows[-1]["taken_at"] == v.taken_at and rows[-1]["source"] == v.source
            else None
        )
        if row is None:
            row = {
                "taken_at": v.taken_at,
                "source": v.source,
                "source_label": v.get_source_display(),
                "pre_dose": v.pre_dose,
                "confirmed_note": v.confirmed_note,
                "bp": "",
            }
            rows.append(row)
        if v.status != "final" and not row["source_label"].endswith(")"):
            # A monitor's preliminary (or amended) reading says so wherever it is charted.
            row["source_label"] += f" ({v.get_status_display().lower()})"
        for field in ("heart_rate", "spo2", "resp_rate"):
            if getattr(v, field) is not None:
                row[field] = getattr(v, field)
        if v.systolic is not None:
            row["bp"] = v.bp
        if v.temperature_c is not None:
            row["temperature"] = v.temperature
        row["confirmed_note"] = row["confirmed_note"] or v.confirmed_note
    return rows


def vitals_charts(session, vitals) -> list:
    """One chart per sign, with the protocol's alert limit shaded and the dose marked."""
    zone = session.site_zone
    charts = []
    for name, title, limit_path, low, high in CHARTS:
        points = [
            Point(
                v.taken_at,
                getattr(v, name),
                f"{timezone.localtime(v.taken_at, zone):%H:%M}: {getattr(v, name)}",
                "point-urgent"
                if limit_path and getattr(v, name) > rule(session.rules, limit_path).value
                else "",
            )
            for v in vitals
            if getattr(v, name) is not None
        ]
        if not points:
            continue
        values = [p.value for p in points]
        bands = []
        if limit_path:
            limit = rule(session.rules, limit_path).value
            bands.append(Band(limit + 1, max(high, *values), f"above {limit}", "band-alert"))
        marks = [(session.dosed_at, "Dose given")] if session.dosed_at else []
        charts.append(
            TrendChart(
                title=title,
                y_min=min(low, *values),
                y_max=max(high, *values),
                points=points,
                bands=bands,
                marks=marks,
                date_format="%H:%M",
                zone=zone,
                height=160,
            )
        )
    return charts


def timeline(session, context) -> list[dict]:
    events = [
        {
            "at": t.at,
            "what": f"{t.get_from_state_display()} → {t.get_to_state_display()}",
            "detail": t.reason,
            "by": t.by,
        }
        for t in context["transitions"]
    ]
    events += [
        {
            "at": c.at,
            "what": "Home address corrected",
            "detail": f"was {one_line(c.previous)}; now {one_line(c.address)}",
            "by": c.by,
        }
        for c in context["address_corrections"]
    ]
    events += [
        {
            "at": o.ordered_at,
            "what": f"Dose ordered: {o.amount_mg} mg {o.route_label}",
            "detail": (
                f"IV-equivalent {o.iv_equivalent_mg} mg; maximum today {o.max_mg} mg"
                if o.iv_equivalent_mg is not None
                else f"the Spravato label's maximum {o.max_mg} mg"
            ),
            "by": o.ordered_by,
        }
        for o in context["orders"]
    ]
    events += [
        {
            "at": a.given_at,
            "what": f"Dose given: {a.amount_mg} mg {a.product}, lot {a.lot}",
            "detail": f"verified by {a.verified_by.display_name}",
            "by": a.given_by,
        }
        for a in context["administrations"]
    ]
    events += [
        {
            "at": r.taken_at,
            "what": f"{r.get_kind_display()}: {r.scale} {r.score}",
            "detail": ", ".join(f"item {i['item']}: {i['score']}" for i in r.items),
            "by": r.by,
        }
        for r in context["ratings"]
    ]
    events += [{"at": n.at, "what": "Observation", "detail": n.text, "by": n.by} for n in context["notes"]]
    events += [
        {
            "at": e.onset_at,
            "what": f"Adverse event: {e.get_kind_display()} ({e.severity}{', SERIOUS' if e.serious else ''})",
            "detail": f"{e.action_taken} → {e.get_outcome_display()}",
            "by": e.by,
        }
        for e in context["events"]
    ]
    events += [
        {"at": a.raised_at, "what": f"ALERT: {a.message}", "detail": a.rule_text, "by": None}
        for a in context["alerts"]
    ]
    return sorted(events, key=lambda e: e["at"])


def summary_context(session) -> dict:
    vitals = list(session.vitals.all())
    context = {
        "session": session,
        "patient": session.patient,
        "clinic_zone": session.site_zone,
        "route_label": session.route_name,
        "prechecks": list(session.prechecks.select_related("checked_by")),
        "transitions": list(session.transitions.select_related("by")),
        "address_corrections": list(session.address_corrections.select_related("by")),
        "orders": list(session.orders.select_related("ordered_by")),
        "administrations": list(session.administrations.select_related("given_by", "verified_by")),
        "vitals": vitals,
        "ratings": list(session.ratings.select_related("by")),
        "notes": list(session.notes.select_related("by")),
        "events": list(session.adverse_events.select_related("by")),
        "alerts": list(session.alerts.select_related("acknowledged_by")),
        "ledger": list(session.ledger.select_related("by", "witness")),
        "charts": vitals_charts(session, vitals),
        "vital_rows": vital_rows(vitals),
        "minimum": session.minimum_monitoring,
    }
    context["timeline"] = timeline(session, context)
    if session.dosed_at and session.discharged_at:
        context["monitored_minutes"] = int((session.discharged_at - session.dosed_at) / timedelta(minutes=1))
    if session.dosed_at and session.ready_at:
        context["ready_minutes"] = int((session.ready_at - session.dosed_at) / timedelta(minutes=1))
    rems = getattr(session, "rems", None) if session.is_esketamine else None
    if rems is not None:
        context["rems_rows"] = [
            (f.verbose_name, getattr(rems, f"get_{f.name}_display", lambda f=f: getattr(rems, f.name))())
            for f in rems_fields()
        ]
    return context
