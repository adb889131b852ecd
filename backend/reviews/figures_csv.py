"""The figures' table as CSV, safe to open in a spreadsheet (docs/decisions/reviews.md)."""

from __future__ import annotations

import csv
import io

from backend.core import i18n
from backend.reviews.figure_views import MEASURES, Chosen, Table

# A cell a spreadsheet would read as a formula (OWASP "CSV Injection"): = + - @, and a tab or
# carriage return before one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_of(table: Table) -> bytes:
    """The table shown, as CSV: UTF-8 with a byte-order mark (so that Excel reads Chinese), a
    header row, each figure's count, what it is out of and its rate; the total last."""
    _ = i18n.gettext
    header = [table.heading, _("Services given"), _("Ratings counted")]
    for measure in MEASURES:
        name = _(measure.name)
        header += [name, _("%(figure)s: out of") % {"figure": name}, f"{name} %"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralised(heading) for heading in header])
    for shown in [*table.rows, table.total]:
        line: list[object] = [shown.name, shown.events, shown.counted]
        for figure in shown.cells:
            line += [figure.part, figure.whole, figure.shown]
        writer.writerow([neutralised(value) for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_name(chosen: Chosen) -> str:
    months = (chosen.filters.first_month, chosen.filters.last_month)
    period = "-".join(month for month in months if month)
    return f"review-figures-by-{chosen.by.name}{'-' + period if period else ''}.csv"
