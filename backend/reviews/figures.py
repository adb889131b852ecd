"""The figures of reviews, for the supervisor's dashboard and the public disclosure.

GB/T 39734-2020 measures more than the good-review rate, and so do we: every rate comes with the
count behind it. Over the service events of a period (months, Beijing time):

- unrated: events with no review, over all events — nobody's silence is scored (no default
  ratings); ratings from a desk's printed code make their event as they are sent, so unrated
  visits are counted only where staff issued a one-time code;
- good, neutral, bad: over the reviews that count, which are all reviews except those an upheld
  appeal took out (each upheld appeal is counted in its own column);
- replied: bad reviews whose rectification has been answered, over the bad reviews;
- in time: of those answered, the ones answered by their date;
- satisfied: rectifications the reviewer rated satisfied or better, over those they rated.

The counts are kept as running tallies (tallies.py: per month, outlet, channel and matter type,
and the same for all months), so the pages sum a few hundred rows rather than count every event;
`recounted_by` counts from the raw tables in one grouped SQL query, the same on SQLite and
PostgreSQL, and is what the tallies are rebuilt from and checked against.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from backend.reviews.tables import ReviewTally, ServiceEvent


class GroupBy(StrEnum):
    outlet = "outlet_id"
    matter = "matter_code"
    channel = "channel"
    month = "month"


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    key: Any
    events: int
    unrated: int
    counted: int
    good: int
    neutral: int
    bad: int
    appeals_upheld: int
    appeals_decided: int
    replied: int
    replied_in_time: int
    rectifications_rated: int
    rectifications_satisfied: int

    @property
    def reviews(self) -> int:
        return self.events - self.unrated


FIELDS = tuple(name for name in Figures.__struct_fields__ if name != "key")
ALL_MONTHS = "*"  # the month of the tally rows that count every month


_UPHELD = "(a.decision = 'upheld')"
COUNTS_SQL = f"""
    COUNT(*) AS events,
    SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END) AS unrated,
    SUM(CASE WHEN r.id IS NOT NULL AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END)
        AS counted,
    SUM(CASE WHEN r.grade = 'good' AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END) AS good,
    SUM(CASE WHEN r.grade = 'neutral' AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END)
        AS neutral,
    SUM(CASE WHEN r.grade = 'bad' AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END) AS bad,
    SUM(CASE WHEN COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END) AS appeals_upheld,
    SUM(CASE WHEN a.decision IS NOT NULL THEN 1 ELSE 0 END) AS appeals_decided,
    SUM(CASE WHEN c.replied_at IS NOT NULL AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END)
        AS replied,
    SUM(CASE WHEN c.replied_in_time AND NOT COALESCE({_UPHELD}, FALSE) THEN 1 ELSE 0 END)
        AS replied_in_time,
    SUM(CASE WHEN c.satisfaction IS NOT NULL THEN 1 ELSE 0 END) AS rectifications_rated,
    SUM(CASE WHEN c.satisfaction >= 4 THEN 1 ELSE 0 END) AS rectifications_satisfied
"""
FROM_SQL = """
    FROM service_event e
    LEFT JOIN review r ON r.event = e.id
    LEFT JOIN review_appeal a ON a.review = r.id
    LEFT JOIN rectification_case c ON c.review = r.id
"""


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    first_month: str = ""  # YYYY-MM, inclusive; empty: from the start
    last_month: str = ""  # inclusive; empty: to now
    outlet_id: int | None = None
    matter_code: str = ""
    channel: str = ""


EVERYTHING = Filters()


def _where(filters: Filters, alias: str, clauses: list[str] | None = None) -> tuple[str, list]:
    clauses, args = list(clauses or []), []
    if filters.first_month:
        clauses.append(f"{alias}.month >= {{}}")
        args.append(filters.first_month)
    if filters.last_month:
        clauses.append(f"{alias}.month <= {{}}")
        args.append(filters.last_month)
    if filters.outlet_id is not None:
        clauses.append(f"{alias}.outlet_id = {{}}")
        args.append(filters.outlet_id)
    if filters.matter_code:
        clauses.append(f"{alias}.matter_code = {{}}")
        args.append(filters.matter_code)
    if filters.channel:
        clauses.append(f"{alias}.channel = {{}}")
        args.append(filters.channel)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


SUMS_SQL = ", ".join(f"SUM(t.{name}) AS {name}" for name in FIELDS)


def _tally_rows(group: GroupBy | None, filters: Filters) -> tuple[str, list]:
    """Which tally rows to sum: the month rows when months are asked for or bounded, else the
    all-months rows (month '*'), which are fewer."""
    monthly = group == GroupBy.month or filters.first_month or filters.last_month
    return _where(filters, "t", [f"t.month {'<>' if monthly else '='} '{ALL_MONTHS}'"])


async def figures_by(group: GroupBy, filters: Filters = EVERYTHING) -> list[Figures]:
    """One row per value of `group` (events with no outlet or matter type under None / ""),
    summed from the running tallies (tallies.py)."""
    where, args = _tally_rows(group, filters)
    column = group.value  # an enum value, never the person's text
    sql = f"SELECT t.{column} AS key, {SUMS_SQL} FROM review_tally t {where} GROUP BY t.{column}"
    rows = await ReviewTally.raw(sql + " ORDER BY 1", *args)
    return [_figures(row) for row in rows]


async def totals(filters: Filters = EVERYTHING) -> Figures:
    where, args = _tally_rows(None, filters)
    sql = f"SELECT NULL AS key, {SUMS_SQL} FROM review_tally t {where}"
    rows = await ReviewTally.raw(sql, *args)
    return _figures(rows[0])


async def recounted_by(group: GroupBy, filters: Filters = EVERYTHING) -> list[Figures]:
    """What figures_by answers, counted again from the raw tables (for the rebuild and tests)."""
    where, args = _where(filters, "e")
    column = group.value
    sql = f"SELECT e.{column} AS key, {COUNTS_SQL} {FROM_SQL} {where} GROUP BY e.{column}"
    rows = await ServiceEvent.raw(sql + " ORDER BY 1", *args)
    return [_figures(row) for row in rows]


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(**{name: row[name] or 0 for name in FIELDS}, key=row["key"])


def rate(part: int, whole: int) -> float | None:
    """part/whole, or None when there is nothing to divide (shown as "—", never 100 %)."""
    return part / whole if whole else None
