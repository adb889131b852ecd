"""The trend chart's geometry: every month between the first and the last has its row, a month
with nothing to rate has no point and breaks the line (no fall to 0 %), rates land where they
should on the axis."""

from __future__ import annotations

import msgspec

from backend.reviews import charts
from backend.reviews.figure_views import summed
from backend.reviews.figures import Figures


def month(key: str, **counts: int) -> Figures:
    return msgspec.structs.replace(summed([]), key=key, **counts)


def test_the_months_between_cross_a_year() -> None:
    assert charts.months_between("2030-11", "2031-02") == [
        "2030-11",
        "2030-12",
        "2031-01",
        "2031-02",
    ]


def test_a_month_with_nothing_rated_breaks_the_line_rather_than_fall_to_zero() -> None:
    by_month = [
        month("2031-01", events=4, counted=4, good=3, bad=1),
        month("2031-02", events=2, counted=2, good=1, bad=1),
        month("2031-04", events=1, counted=1, good=1),  # March: no service at all
        month("2031-05", events=2, counted=2, good=0, bad=2),
    ]

    chart = charts.trend("t", "title", by_month, ("good", "bad"))
    good = chart.lines[0]

    assert [row.month for row in chart.months] == [
        "2031-01",
        "2031-02",
        "2031-03",
        "2031-04",
        "2031-05",
    ]
    assert chart.months[2].cells[0].shown == "—" and chart.months[2].cells[0].whole == 0
    assert len(good.points) == 4 and len(good.paths) == 2  # Jan–Feb, then Apr–May
    top, bottom = charts.TOP, charts.TOP + charts.PLOT_HEIGHT
    assert good.points[2].y == top and good.points[3].y == bottom  # 100 %, then 0 %
    assert good.points[0].y == round(top + 0.25 * charts.PLOT_HEIGHT, 1)  # 75 %
    assert [point.x for point in good.points] == sorted(point.x for point in good.points)
    assert chart.lines[0].shape != chart.lines[1].shape  # told apart without colour


def test_a_single_month_is_a_point_and_no_months_an_empty_chart() -> None:
    one = charts.trend("t", "title", [month("2031-01", events=1, counted=1, good=1)], ("good",))
    none = charts.trend("t", "title", [], ("good",))

    assert len(one.lines[0].points) == 1 and one.lines[0].paths == []
    assert none.months == [] and none.x_ticks == []
