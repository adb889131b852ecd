"""Counting working days for the clocks of matters and rectifications (DOMAIN.md, "Working days").

A day's kind comes from the first of three sources that knows it:

1. a day an administrator added (`AnnouncedDay`: a holiday or an adjusted working day, 调休);
2. chinese-calendar, for the years it carries (`PACKAGE_YEARS`; 1.11.0: 2004–2026);
3. otherwise Monday to Friday: the year is not known, and a date counted through it is
   provisional.

A year is known when the package carries it or an administrator added any day of it, so an
administrator who imports a year's announcement makes that year exact without a new release,
and a day added for a year the package carries corrects the package for that day.

The day a clock starts (the day of receipt) is not counted: counting starts with the next working
day, so one working day from a Friday is the Monday, and a matter received on a Saturday has its
first day on the Monday too. A due date is the last working day counted, and the work is on time
until that day ends.

Nothing here reads the database while counting: `load_calendar` reads the administrator's days
once into an immutable `WorkingCalendar`, and the functions count in memory.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import chinese_calendar
import msgspec

from backend.working_days.tables import AnnouncedDay

PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
# The package's own days, looked up directly (its rule, tested day by day against it):
# chinese_calendar.is_workday takes the min and max of all its days on each call, about 40 µs
# a day counted against about 1.3 µs here (20 working days: 1.1 ms → 26 µs).
_PACKAGE_HOLIDAYS = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKING_DAYS = frozenset(chinese_calendar.workdays)
DUE_SOON_WORKING_DAYS = 2
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """The administrator's days, held in memory; `WorkingCalendar()` is the package alone."""

    holidays: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    announced_years: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        if both := self.holidays & self.working_days:
            raise ValueError(f"days both holiday and working day: {sorted(both)}")
        years = frozenset(day.year for day in self.holidays | self.working_days)
        object.__setattr__(self, "announced_years", years)

    @classmethod
    def of(cls, days: Iterable[tuple[dt.date, str]]) -> WorkingCalendar:
        """From (day, kind) pairs, kind an `AnnouncedDay.Kind`."""
        holidays, working_days = set(), set()
        for day, kind in days:
            (holidays if kind == AnnouncedDay.Kind.holiday else working_days).add(day)
        return cls(frozenset(holidays), frozenset(working_days))


class Due(msgspec.Struct, frozen=True):
    date: dt.date
    provisional: bool = False  # some day counted lies in a year not known: Monday–Friday used


class DueStatus(StrEnum):
    overdue = "overdue"
    due_soon = "due_soon"  # the due date is today or within DUE_SOON_WORKING_DAYS working days
    on_time = "on_time"


# How long a process keeps the administrators' days before it reads them again. A calendar is a
# few dozen days a year, read for every queue page and every matter sent (0.2-0.8 ms a read,
# bench/README.md); an import in this process forgets it at once (forget_calendar), one in
# another process (a command, another worker) is seen within the minute.
CALENDAR_KEPT_SECONDS = 60.0
_kept: tuple[float, WorkingCalendar] | None = None
_clock = time.monotonic


async def load_calendar() -> WorkingCalendar:
    """Every day the administrators added, in one query (at most once a minute)."""
    global _kept
    now = _clock()
    if _kept is not None and now - _kept[0] < CALENDAR_KEPT_SECONDS:
        return _kept[1]
    rows = await AnnouncedDay.select(AnnouncedDay.day, AnnouncedDay.kind)
    calendar = WorkingCalendar.of((row["day"], row["kind"]) for row in rows)
    _kept = (now, calendar)
    return calendar


def forget_calendar() -> None:
    """The next load_calendar reads the days again (after they changed)."""
    global _kept
    _kept = None


def year_is_known(year: int, calendar: WorkingCalendar) -> bool:
    return year in PACKAGE_YEARS or year in calendar.announced_years


def is_working_day(day: dt.date, calendar: WorkingCalendar) -> bool:
    if day in calendar.holidays:
        return False
    if day in calendar.working_days:
        return True
    if day in _PACKAGE_WORKING_DAYS:
        return True
    if day in _PACKAGE_HOLIDAYS:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int, calendar: WorkingCalendar) -> Due:
    """The `days`-th working day after `start` (0: `start` itself).

    Provisional when any day looked at, counted or skipped, lies in a year not known.
    """
    if days < 0:
        raise ValueError(f"a clock counts forward: {days} working days")
    day, counted, provisional = start, 0, False
    while counted < days:
        day += _ONE_DAY
        provisional = provisional or not year_is_known(day.year, calendar)
        if is_working_day(day, calendar):
            counted += 1
    return Due(day, provisional)


def working_days_between(start: dt.date, end: dt.date, calendar: WorkingCalendar) -> int:
    """Working days after `start` up to and including `end`: the inverse of add_working_days.

    Negative when `end` is before `start` (how many working days late).
    """
    if end < start:
        return -working_days_between(end, start, calendar)
    count, day = 0, start + _ONE_DAY
    while day <= end:
        if is_working_day(day, calendar):
            count += 1
        day += _ONE_DAY
    return count


def due_status(due: Due, today: dt.date, calendar: WorkingCalendar) -> DueStatus:
    if today > due.date:
        return DueStatus.overdue
    if working_days_between(today, due.date, calendar) <= DUE_SOON_WORKING_DAYS:
        return DueStatus.due_soon
    return DueStatus.on_time
