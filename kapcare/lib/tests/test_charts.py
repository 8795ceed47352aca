"""The SVG trend chart: bands, points, marks and a text alternative, with no inline styles."""

from datetime import UTC, datetime, timedelta

from kapcare.lib.charts import Band, Point, TrendChart

START = datetime(2026, 3, 1, 15, tzinfo=UTC)


def chart(**kwargs):
    points = [Point(START + timedelta(weeks=n), v, f"week {n}: {v}") for n, v in enumerate([20, 14, 6])]
    return TrendChart("PHQ-9 total", 0, 27, points, **kwargs)


def test_points_sit_higher_for_higher_scores_and_later_to_the_right():
    c = chart()
    assert c.y(20) < c.y(6)
    assert c.x(START) < c.x(START + timedelta(weeks=2))


def test_bands_are_shaded_and_labelled():
    svg = chart(bands=[Band(0, 4, "Minimal", "band-0"), Band(20, 27, "Severe", "band-4")]).svg()
    assert svg.count('<rect class="band band-') == 2
    assert ">Severe</text>" in svg


def test_each_point_has_a_title_for_screen_readers_and_the_chart_a_description():
    svg = chart().svg()
    assert svg.count("<circle") == 3 and "<title>week 1: 14</title>" in svg
    assert 'role="img"' in svg and "3 results, first week 0: 20, latest week 2: 6." in svg


def test_dosing_sessions_are_marked_as_lines():
    svg = chart(marks=[(START + timedelta(days=3), "Dosing session 1")]).svg()
    assert '<line class="mark"' in svg and "Dosing session 1" in svg


def test_no_inline_styles_and_labels_are_escaped():
    svg = TrendChart("<b>x</b>", 0, 10, [Point(START, 3, "a <script>")]).svg()
    assert "style=" not in svg and "<script>" not in svg and "&lt;b&gt;" in svg
