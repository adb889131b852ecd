"""Trend charts drawn on the server: the geometry of an inline SVG (lines, points, axes) for
rates by month, and the text table that goes beside it. No chart library and no script in the
browser; the SVG is styled by classes in app.css (the CSP allows no inline style).

A month with nothing to rate has no point: the line stops there and starts again after it,
rather than fall to 0 % or jump to 100 %.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from babel import numbers

from backend.core import i18n
from backend.reviews.figure_views import MEASURES, Cell, Measure, cell, month_name, summed
from backend.reviews.figures import Figures

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Each line looks different without its colour too: a shape for its points, a dash for its line.
SHAPES = ("circle", "square")


class Point(msgspec.Struct, frozen=True):
    x: float
    y: float


class Line(msgspec.Struct, frozen=True, kw_only=True):
    figure: str
    name: str
    shape: str
    paths: list[str]  # SVG polyline points, one per run of months that have a rate
    points: list[Point]


class Tick(msgspec.Struct, frozen=True):
    at: float
    label: str


class MonthRow(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    name: str
    cells: list[Cell]


class Chart(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    months: list[MonthRow]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM), both included."""
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _measure(figure: str) -> Measure:
    return next(measure for measure in MEASURES if measure.figure == figure)


def trend(chart_id: str, title: str, by_month: Sequence[Figures], shown: Sequence[str]) -> Chart:
    """The chart of the rates named in `shown` (MEASURES' figures) over the months of
    `by_month` (figures.figures_by(GroupBy.month, …), in month order), gaps included."""
    counts = {row.key: row for row in by_month}
    months = months_between(by_month[0].key, by_month[-1].key) if by_month else []
    empty = summed([])
    measures = [_measure(figure) for figure in shown]
    rows = [
        MonthRow(
            month=month,
            name=month_name(month),
            cells=[cell(measure, counts.get(month, empty)) for measure in measures],
        )
        for month in months
    ]
    lines = [_line(index, measure, rows) for index, measure in enumerate(measures)]
    return Chart(
        id=chart_id,
        title=title,
        lines=lines,
        y_ticks=[Tick(_y(value), _whole_percent(value)) for value in (0.0, 0.5, 1.0)],
        x_ticks=_x_ticks(months),
        months=rows,
    )


def _x(index: int, count: int) -> float:
    return round(LEFT + (index + 0.5) * PLOT_WIDTH / count, 1)


def _y(value: float) -> float:
    return round(TOP + (1 - value) * PLOT_HEIGHT, 1)


def _whole_percent(value: float) -> str:
    return numbers.format_percent(value, "#,##0%", locale=i18n.babel_locale())


def _line(index: int, measure: Measure, rows: list[MonthRow]) -> Line:
    runs: list[list[Point]] = [[]]
    for position, month in enumerate(rows):
        found = month.cells[index]
        if not found.whole:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(Point(_x(position, len(rows)), _y(found.part / found.whole)))
    return Line(
        figure=measure.figure,
        name=i18n.gettext(measure.name),
        shape=SHAPES[index % len(SHAPES)],
        paths=[" ".join(f"{p.x},{p.y}" for p in run) for run in runs if len(run) > 1],
        points=[point for run in runs for point in run],
    )


def _x_ticks(months: list[str]) -> list[Tick]:
    """The first and the last month under the axis (the table beside names every one)."""
    if not months:
        return []
    ends = [0] if len(months) == 1 else [0, len(months) - 1]
    return [Tick(_x(index, len(months)), months[index]) for index in ends]
