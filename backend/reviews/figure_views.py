"""The figures of reviews as people read them: the table's rows, each rate with the count behind
it, the names of what a row counts (an outlet, a matter type, a channel, a month) in the
person's language, the filters read from a query string, and the same table as CSV.

Which figure is which fraction is said once, in MEASURES: the dashboard, the disclosure page, the
CSV and the tests all read it. A rate with nothing under it (0 of 0) is shown as "—", never as
0 % or 100 % (figures.rate).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import msgspec
from babel import dates, numbers

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters.catalogue import catalogue
from backend.outlets.tables import Outlet
from backend.reviews import figures
from backend.reviews.figures import ALL_MONTHS, Figures, Filters, GroupBy
from backend.reviews.rules import Channel
from backend.reviews.tables import ReviewTally

NO_RATE = "—"


class Measure(msgspec.Struct, frozen=True):
    """One figure: `part` of `whole` (fields of figures.Figures), its name and its meaning."""

    figure: str
    name: str
    part: str
    whole: str
    meaning: str


MEASURES: tuple[Measure, ...] = (
    Measure(
        "unrated",
        N_("Unrated"),
        "unrated",
        "events",
        N_(
            "Services nobody rated, out of all the services given. Nobody's silence is scored: "
            "a service without a rating stays unrated, never given a default score."
        ),
    ),
    Measure(
        "good",
        N_("Good"),
        "good",
        "counted",
        N_("Ratings of 'very satisfied' or 'satisfied', out of the ratings counted."),
    ),
    Measure(
        "neutral",
        N_("Neutral"),
        "neutral",
        "counted",
        N_("Ratings of 'basically satisfied', out of the ratings counted."),
    ),
    Measure(
        "bad",
        N_("Bad"),
        "bad",
        "counted",
        N_("Ratings of 'dissatisfied' or 'very dissatisfied', out of the ratings counted."),
    ),
    Measure(
        "replied",
        N_("Bad ratings answered"),
        "replied",
        "bad",
        N_(
            "Bad ratings whose putting right has been answered to the person who gave them, "
            "out of the bad ratings counted."
        ),
    ),
    Measure(
        "in_time",
        N_("Answered in time"),
        "replied_in_time",
        "replied",
        N_("Of those answers, the ones given by their due date (in working days)."),
    ),
    Measure(
        "satisfied",
        N_("Satisfied with the putting right"),
        "rectifications_satisfied",
        "rectifications_rated",
        N_(
            "People who rated how their bad rating was put right 'satisfied' or better, out of "
            "those who rated it."
        ),
    ),
    Measure(
        "appeals_upheld",
        N_("Appeals upheld"),
        "appeals_upheld",
        "appeals_decided",
        N_(
            "Ratings the office showed to be mistaken or malicious, out of the office's appeals "
            "decided. Only a supervisor's recorded decision, with its reason, takes a rating out "
            "of the figures, and every one taken out is counted here."
        ),
    ),
)
COUNTED_MEANING = N_(
    "Every rating given, except those an upheld appeal took out of the figures. Each service "
    "is rated once, by the person served."
)
GROUP_HEADINGS = {
    GroupBy.outlet: N_("Outlet"),
    GroupBy.matter: N_("Matter type"),
    GroupBy.channel: N_("Channel"),
    GroupBy.month: N_("Month"),
}
CHANNEL_NAMES = {Channel.online: N_("Online"), Channel.on_site: N_("On site")}
# The query string's names for the groupings: ?by=outlet|matter|channel|month
BY_NAMES = {group.name: group for group in GroupBy}
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class Cell(msgspec.Struct, frozen=True, kw_only=True):
    figure: str
    part: int
    whole: int
    shown: str  # "62.5%" or "—"
    count: str  # "5 of 8"


class Row(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # the outlet's id, the matter type's code, the channel or the month; "" for none
    name: str
    events: int
    counted: int
    cells: list[Cell]


class Table(msgspec.Struct, frozen=True, kw_only=True):
    group: GroupBy
    heading: str
    rows: list[Row]
    total: Row


def percent(part: int, whole: int) -> str:
    value = figures.rate(part, whole)
    if value is None:
        return NO_RATE
    return numbers.format_percent(value, "#,##0.0%", locale=i18n.babel_locale())


def cell(measure: Measure, counts: Figures) -> Cell:
    part, whole = getattr(counts, measure.part), getattr(counts, measure.whole)
    return Cell(
        figure=measure.figure,
        part=part,
        whole=whole,
        shown=percent(part, whole),
        count=i18n.gettext("%(part)s of %(whole)s")
        % {"part": i18n.format_number(part), "whole": i18n.format_number(whole)},
    )


def row(key: Any, name: str, counts: Figures, measures: Sequence[Measure] = MEASURES) -> Row:
    return Row(
        key="" if key is None else str(key),
        name=name,
        events=counts.events,
        counted=counts.counted,
        cells=[cell(measure, counts) for measure in measures],
    )


def summed(groups: Iterable[Figures]) -> Figures:
    """The figures of several groups together: every count is a sum over disjoint events."""
    names = [name for name in Figures.__struct_fields__ if name != "key"]
    totals = dict.fromkeys(names, 0)
    for counts in groups:
        for name in names:
            totals[name] += getattr(counts, name)
    return Figures(key=None, **totals)


async def table_of(group: GroupBy, groups: list[Figures]) -> Table:
    """Outlets and matter types by name (those with none last), channels and months in order."""
    names = await names_for(group, [counts.key for counts in groups])
    rows = [row(counts.key, names[counts.key], counts) for counts in groups]
    if group in (GroupBy.outlet, GroupBy.matter):
        rows.sort(key=lambda shown: (shown.key == "", shown.name))
    return Table(
        group=group,
        heading=i18n.gettext(GROUP_HEADINGS[group]),
        rows=rows,
        total=row("total", i18n.gettext("All"), summed(groups)),
    )


# --- Names ------------------------------------------------------------------------------------


async def outlet_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({outlet_id for outlet_id in ids if outlet_id is not None})
    if not wanted:
        return {}
    rows = await Outlet.select(Outlet.id, Outlet.name).where(Outlet.id.is_in(wanted))
    return {row["id"]: row["name"] for row in rows}


def matter_name(code: str) -> str:
    if not code:
        return i18n.gettext("No matter type (visits and other services)")
    kind = catalogue().get(code)
    return kind.name.of(i18n.current_locale()) if kind else code


def channel_name(channel: str) -> str:
    known = CHANNEL_NAMES.get(channel)  # type: ignore[call-overload]
    return i18n.gettext(known) if known else channel


def month_name(month: str) -> str:
    year, number = month.split("-")
    day = dt.date(int(year), int(number), 1)
    return dates.format_skeleton("yMMM", day, locale=i18n.babel_locale())


async def names_for(group: GroupBy, keys: Sequence[Any]) -> dict[Any, str]:
    if group == GroupBy.outlet:
        known = await outlet_names(keys)
        return {
            key: known.get(key)
            or (
                i18n.gettext("No outlet (online services)")
                if key is None
                else i18n.gettext("Outlet %(id)s (no longer listed)") % {"id": key}
            )
            for key in keys
        }
    if group == GroupBy.matter:
        return {key: matter_name(key or "") for key in keys}
    if group == GroupBy.channel:
        return {key: channel_name(key or "") for key in keys}
    return {key: month_name(key) for key in keys}


# --- Filters ----------------------------------------------------------------------------------


class Chosen(msgspec.Struct, frozen=True, kw_only=True):
    """What the dashboard's form asked for, read leniently: a value that names nothing known
    filters nothing (the form offers only known values)."""

    by: GroupBy = GroupBy.outlet
    filters: Filters = figures.EVERYTHING

    @classmethod
    def read(cls, by: str, first: str, last: str, outlet: str, kind: str, channel: str) -> Chosen:
        first = first if _MONTH.fullmatch(first) else ""
        last = last if _MONTH.fullmatch(last) else ""
        if first and last and first > last:
            first, last = last, first
        return cls(
            by=BY_NAMES.get(by, GroupBy.outlet),
            filters=Filters(
                first_month=first,
                last_month=last,
                outlet_id=int(outlet) if outlet.isdigit() and len(outlet) < 10 else None,
                matter_code=kind[:60],
                channel=channel if channel in {known.value for known in Channel} else "",
            ),
        )

    @property
    def query(self) -> str:
        """The query string of this choice, for the CSV link and the chart's address."""
        pairs = {
            "by": self.by.name,
            "from": self.filters.first_month,
            "to": self.filters.last_month,
            "outlet": "" if self.filters.outlet_id is None else str(self.filters.outlet_id),
            "type": self.filters.matter_code,
            "channel": self.filters.channel,
        }
        return urlencode({name: value for name, value in pairs.items() if value})


async def filter_choices() -> dict[str, Any]:
    """The options of the dashboard's form: the months and outlets that have services."""
    # The tallies have a row for every month, outlet, channel and type that has an event.
    months = await ReviewTally.raw(
        f"SELECT DISTINCT month FROM review_tally WHERE month <> '{ALL_MONTHS}' ORDER BY month"
    )
    outlets = await ReviewTally.raw(
        "SELECT DISTINCT outlet_id FROM review_tally"
        f" WHERE month = '{ALL_MONTHS}' AND outlet_id IS NOT NULL"
    )
    names = await names_for(GroupBy.outlet, [row["outlet_id"] for row in outlets])
    locale = i18n.current_locale()
    return {
        "groupings": [
            (name, i18n.gettext(GROUP_HEADINGS[group])) for name, group in BY_NAMES.items()
        ],
        "months": [(row["month"], month_name(row["month"])) for row in months],
        "outlets": sorted(names.items(), key=lambda item: item[1]),
        "types": [(kind.code, kind.name.of(locale)) for kind in catalogue().matters],
        "channels": [(channel.value, channel_name(channel)) for channel in Channel],
    }
