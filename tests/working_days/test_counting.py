"""Counting working days in memory: across a public holiday and its adjusted weekend, into a year
chinese-calendar does not carry (provisional), an administrator's days for such a year, the due
status, and the properties any clock relies on."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.working_days.service import (
    PACKAGE_YEARS,
    Due,
    DueStatus,
    WorkingCalendar,
    add_working_days,
    due_status,
    is_working_day,
    working_days_between,
    year_is_known,
)
from backend.working_days.tables import AnnouncedDay

PACKAGE_ONLY = WorkingCalendar()
# A made-up 2027 for the tests (no such announcement exists yet): New Year Friday to Sunday off,
# the Saturday after worked.
TEST_2027 = WorkingCalendar.of(
    [
        (dt.date(2027, 1, 1), AnnouncedDay.Kind.holiday),
        (dt.date(2027, 1, 2), AnnouncedDay.Kind.holiday),
        (dt.date(2027, 1, 3), AnnouncedDay.Kind.holiday),
        (dt.date(2027, 1, 9), AnnouncedDay.Kind.working_day),
    ]
)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


def test_the_package_years_are_exactly_those_chinese_calendar_answers_for() -> None:
    assert (PACKAGE_YEARS.start, PACKAGE_YEARS.stop) == (2004, 2027)
    for year in (PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1):
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    for year in (PACKAGE_YEARS.start - 1, PACKAGE_YEARS.stop):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(dt.date(year, 6, 1))


def test_every_day_the_package_carries_is_counted_as_chinese_calendar_says() -> None:
    first, last = dt.date(PACKAGE_YEARS.start, 1, 1), dt.date(PACKAGE_YEARS.stop - 1, 12, 31)
    for day in days(first, last):
        assert is_working_day(day, PACKAGE_ONLY) == chinese_calendar.is_workday(day), day


def test_national_day_2025_is_off_and_its_two_adjusted_weekend_days_are_worked() -> None:
    golden_week = days(dt.date(2025, 10, 1), dt.date(2025, 10, 8))
    adjusted = [dt.date(2025, 9, 28), dt.date(2025, 10, 11)]
    assert [day.weekday() for day in adjusted] == [6, 5]  # a Sunday and a Saturday
    for day in golden_week:
        assert chinese_calendar.is_holiday(day)
        assert not is_working_day(day, PACKAGE_ONLY)
    for day in adjusted:
        assert chinese_calendar.is_workday(day)
        assert is_working_day(day, PACKAGE_ONLY)


def test_a_clock_before_national_day_skips_the_golden_week_and_counts_the_saturday() -> None:
    # Received Tuesday 30 September: 9, 10 and (the adjusted Saturday) 11 October.
    due = add_working_days(dt.date(2025, 9, 30), 3, PACKAGE_ONLY)
    assert due == Due(dt.date(2025, 10, 11), provisional=False)
    expected = [d for d in days(dt.date(2025, 10, 1), due.date) if chinese_calendar.is_workday(d)]
    assert len(expected) == 3


def test_the_adjusted_working_sunday_counts_as_the_first_day() -> None:
    # Received Friday 26 September 2025; Saturday 27 is off, Sunday 28 is worked.
    assert add_working_days(dt.date(2025, 9, 26), 1, PACKAGE_ONLY).date == dt.date(2025, 9, 28)


def test_the_day_of_receipt_is_not_counted() -> None:
    monday = dt.date(2025, 11, 3)
    assert add_working_days(monday, 1, PACKAGE_ONLY).date == dt.date(2025, 11, 4)
    assert add_working_days(dt.date(2025, 11, 7), 1, PACKAGE_ONLY).date == monday + dt.timedelta(7)
    assert add_working_days(dt.date(2025, 11, 8), 1, PACKAGE_ONLY).date == monday + dt.timedelta(7)
    assert add_working_days(monday, 0, PACKAGE_ONLY) == Due(monday, provisional=False)


def test_a_negative_number_of_days_is_refused() -> None:
    with pytest.raises(ValueError, match="a clock counts forward: -1 working days"):
        add_working_days(dt.date(2025, 11, 3), -1, PACKAGE_ONLY)


def test_a_clock_into_2027_counts_monday_to_friday_and_says_it_is_provisional() -> None:
    # Wednesday 30 December 2026: Thursday 31, then Friday 1 January and Monday to Wednesday.
    due = add_working_days(dt.date(2026, 12, 30), 5, PACKAGE_ONLY)
    assert due == Due(dt.date(2027, 1, 6), provisional=True)
    assert not year_is_known(2027, PACKAGE_ONLY)
    assert add_working_days(dt.date(2026, 12, 28), 3, PACKAGE_ONLY).provisional is False


def test_a_weekend_skipped_in_an_unknown_year_makes_the_date_provisional_too() -> None:
    # Thursday 31 December 2026 + 1 is Friday 1 January 2027 by Monday–Friday: provisional.
    assert add_working_days(dt.date(2026, 12, 31), 1, PACKAGE_ONLY).provisional is True


def test_an_administrators_2027_makes_it_exact_and_skips_its_holidays() -> None:
    due = add_working_days(dt.date(2026, 12, 30), 5, TEST_2027)
    # 31 December, then (1–3 January off) 4, 5, 6, 7 January.
    assert due == Due(dt.date(2027, 1, 7), provisional=False)
    assert year_is_known(2027, TEST_2027)
    assert is_working_day(dt.date(2027, 1, 9), TEST_2027)  # the adjusted Saturday
    assert not is_working_day(dt.date(2027, 1, 10), TEST_2027)  # an ordinary Sunday
    assert add_working_days(dt.date(2027, 12, 30), 5, TEST_2027).provisional is True  # 2028


def test_an_administrators_day_corrects_a_year_the_package_carries() -> None:
    monday = dt.date(2026, 11, 2)
    corrected = WorkingCalendar.of([(monday, AnnouncedDay.Kind.holiday)])
    assert is_working_day(monday, PACKAGE_ONLY)
    assert not is_working_day(monday, corrected)


def test_a_day_both_holiday_and_working_day_is_refused() -> None:
    day = dt.date(2027, 1, 1)
    with pytest.raises(ValueError, match="days both holiday and working day"):
        WorkingCalendar(frozenset({day}), frozenset({day}))


def test_working_days_between_counts_after_the_start_up_to_the_end() -> None:
    assert working_days_between(dt.date(2025, 9, 30), dt.date(2025, 10, 11), PACKAGE_ONLY) == 3
    assert working_days_between(dt.date(2025, 10, 11), dt.date(2025, 9, 30), PACKAGE_ONLY) == -3
    assert working_days_between(dt.date(2025, 10, 1), dt.date(2025, 10, 1), PACKAGE_ONLY) == 0


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (dt.date(2025, 10, 13), DueStatus.overdue),  # the Monday after
        (dt.date(2025, 10, 11), DueStatus.due_soon),  # the due day itself
        (dt.date(2025, 10, 9), DueStatus.due_soon),  # two working days left: 10 and 11
        (dt.date(2025, 9, 30), DueStatus.on_time),  # three working days left
        (dt.date(2025, 10, 3), DueStatus.on_time),  # still three, the golden week between
    ],
)
def test_the_due_status_counts_working_days_left(today: dt.date, status: DueStatus) -> None:
    assert due_status(Due(dt.date(2025, 10, 11)), today, PACKAGE_ONLY) is status


starts = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2028, 6, 30))
counts = st.integers(min_value=0, max_value=400)
calendars = st.sampled_from([PACKAGE_ONLY, TEST_2027])


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=400), calendar=calendars)
def test_a_due_date_is_always_a_working_day_after_the_start(
    start: dt.date, n: int, calendar: WorkingCalendar
) -> None:
    due = add_working_days(start, n, calendar)
    assert due.date > start
    assert is_working_day(due.date, calendar)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=counts, m=counts, calendar=calendars)
def test_adding_n_then_m_working_days_is_adding_n_plus_m(
    start: dt.date, n: int, m: int, calendar: WorkingCalendar
) -> None:
    first = add_working_days(start, n, calendar)
    then = add_working_days(first.date, m, calendar)
    at_once = add_working_days(start, n + m, calendar)
    assert then.date == at_once.date
    assert (first.provisional or then.provisional) == at_once.provisional


@settings(max_examples=200, deadline=None)
@given(start=starts, n=counts, calendar=calendars)
def test_the_working_days_between_the_start_and_its_due_date_are_the_days_added(
    start: dt.date, n: int, calendar: WorkingCalendar
) -> None:
    due = add_working_days(start, n, calendar)
    assert working_days_between(start, due.date, calendar) == n


@settings(max_examples=200, deadline=None)
@given(start=starts, n=counts)
def test_a_date_is_provisional_exactly_when_it_passes_through_a_year_not_known(
    start: dt.date, n: int
) -> None:
    due = add_working_days(start, n, PACKAGE_ONLY)
    passes_2027_or_later = n > 0 and due.date.year > PACKAGE_YEARS[-1]
    assert due.provisional == passes_2027_or_later
