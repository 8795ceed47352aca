"""What the chart's measures panel shows: each instrument's results over time as a chart with
its severity bands, and for the course the change from baseline judged by the instrument's rules.

A fixed number of queries whatever the patient's history: one for the results, one for the
instruments they are of, one for the course.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps

from kapcare.lib.charts import Band, Point, TrendChart
from kapcare.measures import scoring
from kapcare.measures.models import Instrument, Response
from kapcare.measures.scoring import ChangeAssessment, DefinitionError, ScoreResult

RECENT = 10
RESULT_FIELDS = ("pk", "instrument_id", "course_id", "total", "band_label", "flags", "completed_at")


@dataclass
class Trend:
    instrument: Instrument
    results: list[dict]
    chart: TrendChart
    assessment: ChangeAssessment | None
    assessment_note: str = ""

    @property
    def latest(self) -> dict:
        return self.results[-1]

    @property
    def recent(self) -> list[dict]:
        """The latest results, newest first, for the table under the chart; the whole history is
        on the results page, so the panel's cost does not grow with it."""
        return self.results[: -RECENT - 1 : -1]


def trends_for(patient, course=None, zone=None) -> list[Trend]:
    results = list(
        Response.objects.filter(patient=patient, total__isnull=False)
        .order_by("completed_at", "pk")
        .values(*RESULT_FIELDS)
    )
    if not results:
        return []
    ids = {r["instrument_id"] for r in results}
    instruments = Instrument.objects.filter(pk__in=ids)
    marks = dosing_marks(patient)
    trends = []
    for instrument in sorted(instruments, key=lambda i: i.title):
        own = [r for r in results if r["instrument_id"] == instrument.pk]
        trends.append(_trend(instrument, own, course, marks, zone))
    return trends


def dosing_marks(patient) -> list:
    """Dosing sessions to mark on the charts, from any app that offers them
    (`measures_marks(patient)` on its AppConfig: [(datetime, label)])."""
    marks = []
    for config in apps.get_app_configs():
        offer = getattr(config, "measures_marks", None)
        if offer is not None:
            marks += offer(patient)
    return marks


def _trend(instrument, results, course, marks, zone) -> Trend:
    data = instrument.scoring
    low, high = _score_range(data)
    chart = TrendChart(
        title=f"{instrument.title}: total over time",
        y_min=low,
        y_max=high,
        points=[_point(r, zone) for r in results],
        bands=_bands(data),
        marks=[m for m in marks if results[0]["completed_at"] <= m[0] <= results[-1]["completed_at"]],
        zone=zone,
    )
    assessment, note = _assessment(instrument, results, course)
    return Trend(instrument, results, chart, assessment, note)


def _score_range(data: dict) -> tuple[float, float]:
    total = next((s for s in data.get("scores", []) if s["id"] == "total"), {})
    return float(total.get("min", 0)), float(total.get("max", 0))


def _bands(data: dict) -> list[Band]:
    bands = data.get("bands") or {}
    if bands.get("score") != "total" or "ranges" not in bands:
        return []
    ranges = bands["ranges"]
    # The shade deepens with severity, whichever way the scale runs.
    worse_high = (data.get("change") or {}).get("direction", "lower_is_better") == "lower_is_better"
    count = len(ranges)
    return [
        Band(
            float(b["min"]),
            float(b["max"]),
            b["label"],
            f"band-{(i if worse_high else count - 1 - i) * 4 // max(count - 1, 1)}",
        )
        for i, b in enumerate(ranges)
    ]


def _point(result: dict, zone) -> Point:
    at = result["completed_at"].astimezone(zone) if zone else result["completed_at"]
    total = _plain(result["total"])
    urgent = any(f.get("level") == "urgent" for f in result["flags"])
    label = f"{at:%b %-d, %Y}: {total}" + (
        f" ({result['band_label'].lower()})" if result["band_label"] else ""
    )
    if urgent:
        label += ", safety flag"
    return Point(result["completed_at"], float(result["total"]), label, "point-urgent" if urgent else "")


def _plain(value: Decimal):
    return int(value) if value == int(value) else float(value)


def _assessment(instrument, results, course) -> tuple[ChangeAssessment | None, str]:
    """Baseline (the first result of the course) against the latest one."""
    if course is None:
        return None, ""
    in_course = [r for r in results if r["course_id"] == course.pk]
    if len(in_course) < 2:
        return None, "Change is judged once the course has a baseline and a later result."
    try:
        definition = instrument.definition()
        # The clinic's reference SD, where it set one, lets Jacobson–Truax judge the change.
        sd = float(instrument.change_sd) if instrument.change_sd is not None else None
        return scoring.assess_change(
            definition, _score(instrument, in_course[0]), _score(instrument, in_course[-1]), sd=sd
        ), ""
    except DefinitionError as error:
        return None, str(error).split(": ", 1)[-1]


def _score(instrument, result: dict) -> ScoreResult:
    return ScoreResult(instrument.name, {}, scoring.as_number(result["total"]), {}, None, (), ())
