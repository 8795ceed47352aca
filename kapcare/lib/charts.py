"""Small server-rendered SVG charts: a trend over time with shaded bands and event marks.

Hand-written SVG rather than a plotting library: the charts are simple, render in a few
milliseconds, work without JavaScript, and obey a strict Content-Security-Policy (no inline
styles; colours come from classes in the stylesheet). Each chart carries a title and description
for screen readers; pages also give the numbers as a table.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from html import escape

from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str
    css: str  # a class name, e.g. "band-3"


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    label: str  # shown on hover and read by screen readers, e.g. "Mar 3: 14 (moderate)"
    css: str = ""  # e.g. "point-urgent"


@dataclass
class TrendChart:
    title: str
    y_min: float
    y_max: float
    points: list[Point]
    bands: list[Band] = field(default_factory=list)
    marks: list[tuple[datetime, str]] = field(default_factory=list)  # vertical lines, e.g. sessions
    width: int = 640
    height: int = 220
    pad_left: int = 36
    pad_right: int = 130
    pad_top: int = 12
    pad_bottom: int = 28
    date_format: str = "%b %-d"
    zone: object = None  # tzinfo to show dates in

    def x(self, at: datetime) -> float:
        first, last = self._time_range
        span = (last - first).total_seconds() or 1.0
        inner = self.width - self.pad_left - self.pad_right
        offset = (at - first).total_seconds() / span if last != first else 0.5
        return round(self.pad_left + offset * inner, 1)

    @cached_property
    def _time_range(self) -> tuple[datetime, datetime]:
        times = [p.at for p in self.points] + [m[0] for m in self.marks]
        return min(times), max(times)

    def y(self, value: float) -> float:
        inner = self.height - self.pad_top - self.pad_bottom
        span = (self.y_max - self.y_min) or 1
        return round(self.pad_top + (1 - (value - self.y_min) / span) * inner, 1)

    def svg(self) -> SafeString:
        parts = [
            f'<svg class="trend" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{self._id}-t {self._id}-d" preserveAspectRatio="xMinYMin meet">',
            f'<title id="{self._id}-t">{escape(self.title)}</title>',
            f'<desc id="{self._id}-d">{escape(self._description())}</desc>',
            *self._bands(),
            *self._axes(),
            *self._marks(),
            *self._line(),
            "</svg>",
        ]
        return mark_safe("".join(parts))

    @property
    def _id(self) -> str:
        return "chart-" + "".join(c for c in self.title.lower() if c.isalnum())[:24]

    def _description(self) -> str:
        if not self.points:
            return "No results yet."
        first, last = self.points[0], self.points[-1]
        return f"{len(self.points)} results, first {first.label}, latest {last.label}."

    def _bands(self):
        right = self.width - self.pad_right
        for band in self.bands:
            top, bottom = self.y(band.high + 0.5), self.y(band.low - 0.5)
            top, bottom = max(top, self.pad_top), min(bottom, self.y(self.y_min))
            yield (
                f'<rect class="band {band.css}" x="{self.pad_left}" y="{top}" '
                f'width="{right - self.pad_left}" height="{round(bottom - top, 1)}"/>'
            )
            yield (
                f'<text class="band-label" x="{right + 6}" y="{round((top + bottom) / 2 + 4, 1)}">'
                f"{escape(band.label)}</text>"
            )

    def _axes(self):
        bottom, right = self.y(self.y_min), self.width - self.pad_right
        yield f'<line class="axis" x1="{self.pad_left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        for value in (self.y_min, self.y_max):
            yield (
                f'<text class="tick" x="{self.pad_left - 6}" y="{self.y(value) + 4}" '
                f'text-anchor="end">{_number(value)}</text>'
            )
        if self.points:
            first, last = self.points[0].at, self.points[-1].at
            yield self._date_label(first, "start")
            if last != first:
                yield self._date_label(last, "end")

    def _date_label(self, at: datetime, anchor: str) -> str:
        shown = at.astimezone(self.zone) if self.zone else at
        x = self.x(at)
        return (
            f'<text class="tick" x="{x}" y="{self.height - 8}" text-anchor="{anchor}">'
            f"{escape(shown.strftime(self.date_format))}</text>"
        )

    def _marks(self):
        top, bottom = self.pad_top, self.y(self.y_min)
        for at, label in self.marks:
            x = self.x(at)
            yield (
                f'<line class="mark" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}">'
                f"<title>{escape(label)}</title></line>"
            )

    def _line(self):
        at = [(self.x(p.at), self.y(p.value)) for p in self.points]
        if len(at) > 1:
            yield '<polyline class="line" points="' + " ".join(f"{x},{y}" for x, y in at) + '"/>'
        for point, (x, y) in zip(self.points, at, strict=True):
            css = f"point {point.css}".strip()
            title = f"<title>{escape(point.label)}</title>"
            yield f'<circle class="{css}" cx="{x}" cy="{y}" r="4">{title}</circle>'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
