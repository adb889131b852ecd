from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.inquiries.deadlines import (
    AnnualFeeDue,
    RenewalWindow,
    add_months,
    annual_fee_amount,
    annual_fee_due,
    fee_table,
    grace_surcharge_percent,
    patent_year_of,
    patent_year_start,
    renewal_window,
    renewed_expiry,
    term_end,
    term_years,
    trademark_expiry,
    trademark_renewal,
)

ONE_DAY = timedelta(days=1)
dates = st.dates(date(1985, 1, 1), date(2100, 12, 31))


# Month arithmetic and patent years.


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2026, 9, 27), -12, date(2025, 9, 27)),
    ],
)
def test_adding_months_keeps_the_day_or_falls_back_to_the_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_year_one_runs_from_the_filing_date_to_the_day_before_its_anniversary() -> None:
    filed = date(1999, 6, 1)
    assert patent_year_start(filed, 1) == filed
    assert patent_year_start(filed, 2) == date(2000, 6, 1)
    assert patent_year_of(filed, date(2000, 5, 31)) == 1
    assert patent_year_of(filed, date(2000, 6, 1)) == 2


def test_a_leap_day_filing_has_its_anniversaries_on_28_february_in_other_years() -> None:
    filed = date(2020, 2, 29)
    assert patent_year_start(filed, 2) == date(2021, 2, 28)
    assert patent_year_start(filed, 5) == date(2024, 2, 29)
    assert patent_year_of(filed, date(2021, 2, 27)) == 1
    assert patent_year_of(filed, date(2021, 2, 28)) == 2


def test_there_is_no_patent_year_zero() -> None:
    with pytest.raises(ValueError):
        patent_year_start(date(2020, 1, 1), 0)


@given(dates, st.integers(1, 25))
def test_each_patent_year_starts_on_its_own_first_day(filed: date, n: int) -> None:
    start = patent_year_start(filed, n)
    assert patent_year_of(filed, start) == n
    if n > 1:
        assert patent_year_of(filed, start - ONE_DAY) == n - 1


# The fee table and the terms.


def test_the_fee_table_names_its_source_and_date_and_that_it_needs_checking() -> None:
    table = fee_table()
    assert table.source
    assert table.as_of <= date.today()
    assert "check" in table.note


@pytest.mark.parametrize(
    ("patent_type", "year", "yuan"),
    [
        *[("invention", y, 900) for y in (1, 3)],
        *[("invention", y, 1200) for y in (4, 6)],
        *[("invention", y, 2000) for y in (7, 9)],
        *[("invention", y, 4000) for y in (10, 12)],
        *[("invention", y, 6000) for y in (13, 15)],
        *[("invention", y, 8000) for y in (16, 20)],
        *[(kind, y, 600) for kind in ("utility_model", "design") for y in (1, 3)],
        *[(kind, y, 900) for kind in ("utility_model", "design") for y in (4, 5)],
        *[(kind, y, 1200) for kind in ("utility_model", "design") for y in (6, 8)],
        *[(kind, y, 2000) for kind in ("utility_model", "design") for y in (9, 10)],
        *[("design", y, 3000) for y in (11, 15)],
        ("pct_invention", 16, 8000),
        ("pct_utility_model", 9, 2000),
    ],
)
def test_the_annual_fee_follows_the_year_band(patent_type: str, year: int, yuan: int) -> None:
    assert annual_fee_amount(patent_type, year) == yuan


@pytest.mark.parametrize(
    ("patent_type", "year"),
    [("invention", 0), ("invention", 21), ("utility_model", 11), ("design", 16), ("mark", 1)],
)
def test_no_amount_is_given_outside_the_table(patent_type: str, year: int) -> None:
    assert annual_fee_amount(patent_type, year) is None


@pytest.mark.parametrize(
    ("patent_type", "filed", "years", "last_day"),
    [
        ("invention", date(1999, 6, 1), 20, date(2019, 5, 31)),
        ("pct_invention", date(2010, 3, 15), 20, date(2030, 3, 14)),
        ("utility_model", date(2000, 2, 29), 10, date(2010, 2, 27)),
        ("design", date(2021, 6, 1), 15, date(2036, 5, 31)),
        ("design", date(2021, 5, 31), 10, date(2031, 5, 30)),
    ],
)
def test_the_term_counts_from_the_filing_date(
    patent_type: str, filed: date, years: int, last_day: date
) -> None:
    assert term_years(patent_type, filed) == years
    assert term_end(patent_type, filed) == last_day


def test_an_unknown_patent_type_has_no_term() -> None:
    with pytest.raises(ValueError):
        term_years("trademark", date(2020, 1, 1))


# Grace and surcharge.


@pytest.mark.parametrize(
    ("paid_on", "percent"),
    [
        (date(2025, 5, 20), 0),
        (date(2025, 6, 1), 0),
        (date(2025, 7, 1), 0),
        (date(2025, 7, 2), 5),
        (date(2025, 8, 1), 5),
        (date(2025, 8, 15), 10),
        (date(2025, 9, 15), 15),
        (date(2025, 10, 15), 20),
        (date(2025, 11, 15), 25),
        (date(2025, 12, 1), 25),
        (date(2025, 12, 2), None),
    ],
)
def test_the_surcharge_grows_by_five_percent_for_each_month_after_the_first(
    paid_on: date, percent: int | None
) -> None:
    assert grace_surcharge_percent(date(2025, 6, 1), paid_on) == percent


def test_a_due_date_on_a_month_end_keeps_its_months_short() -> None:
    due = date(2023, 8, 31)
    assert grace_surcharge_percent(due, date(2023, 9, 30)) == 0
    assert grace_surcharge_percent(due, date(2023, 10, 1)) == 5
    assert grace_surcharge_percent(due, date(2024, 2, 29)) == 25
    assert grace_surcharge_percent(due, date(2024, 3, 1)) is None


@given(dates, st.integers(0, 200), st.integers(0, 200))
def test_paying_later_never_costs_less(due: date, days_a: int, days_b: int) -> None:
    earlier, later = sorted((days_a, days_b))
    first = grace_surcharge_percent(due, due + timedelta(days=earlier))
    second = grace_surcharge_percent(due, due + timedelta(days=later))
    assert first in {0, 5, 10, 15, 20, 25, None}
    if first is None:
        assert second is None
    elif second is not None:
        assert second >= first


# The next annual fee.

FILED = date(2015, 6, 1)
GRANTED = date(2019, 3, 1)  # in patent year 4, whose fee is paid with the grant formalities


def test_no_annual_fee_is_due_before_grant() -> None:
    assert annual_fee_due("invention", FILED, None, date(2019, 1, 1)) is None


def test_the_first_annual_fee_is_the_year_after_the_grant_year() -> None:
    due = annual_fee_due("invention", FILED, GRANTED, date(2019, 3, 2))
    assert due is not None
    assert (due.patent_year, due.due_date, due.amount_yuan) == (5, date(2019, 6, 1), 1200)


def test_the_next_fee_falls_due_on_the_anniversary_that_starts_its_year() -> None:
    assert annual_fee_due("invention", FILED, GRANTED, date(2025, 1, 1)) == AnnualFeeDue(
        patent_year=11,
        due_date=date(2025, 6, 1),
        grace_end=date(2025, 12, 1),
        amount_yuan=4000,
        state="upcoming",
        days_until_due=151,
        surcharge_percent=0,
        surcharge_yuan=0,
    )


def test_on_the_due_date_the_fee_is_still_upcoming_and_due_today() -> None:
    due = annual_fee_due("invention", FILED, GRANTED, date(2025, 6, 1))
    assert due is not None
    assert (due.patent_year, due.state, due.days_until_due) == (11, "upcoming", 0)


@pytest.mark.parametrize(
    ("today", "percent", "surcharge"),
    [
        (date(2025, 6, 20), 0, 0),
        (date(2025, 7, 20), 5, 200),
        (date(2025, 8, 20), 10, 400),
        (date(2025, 9, 20), 15, 600),
        (date(2025, 10, 20), 20, 800),
        (date(2025, 11, 20), 25, 1000),
    ],
)
def test_an_unpaid_fee_is_in_grace_with_the_surcharge_of_the_month(
    today: date, percent: int, surcharge: int
) -> None:
    due = annual_fee_due("invention", FILED, GRANTED, today, paid_through=10)
    assert due is not None
    assert (due.state, due.surcharge_percent, due.surcharge_yuan) == ("grace", percent, surcharge)
    assert due.days_until_due < 0


def test_the_last_day_of_grace_is_grace_and_the_day_after_is_lapsed() -> None:
    last = annual_fee_due("invention", FILED, GRANTED, date(2025, 12, 1), paid_through=10)
    after = annual_fee_due("invention", FILED, GRANTED, date(2025, 12, 2), paid_through=10)
    assert last is not None and after is not None
    assert (last.state, last.surcharge_percent) == ("grace", 25)
    assert (after.state, after.surcharge_percent, after.surcharge_yuan) == ("lapsed", None, None)
    assert after.days_until_due == -184


def test_a_leap_day_filing_pays_on_28_february_in_other_years() -> None:
    due = annual_fee_due("invention", date(2020, 2, 29), date(2022, 5, 1), date(2023, 1, 10))
    assert due is not None
    assert (due.patent_year, due.due_date) == (4, date(2023, 2, 28))
    assert due.grace_end == date(2023, 8, 28)


def test_a_month_end_due_date_has_its_grace_end_on_the_last_day_of_february() -> None:
    due = annual_fee_due("invention", date(2013, 8, 31), date(2016, 1, 5), date(2023, 8, 1))
    assert due is not None
    assert (due.due_date, due.grace_end) == (date(2023, 8, 31), date(2024, 2, 29))


def test_no_fee_is_due_after_the_last_year_of_the_term() -> None:
    filed, granted = date(1999, 6, 1), date(2003, 3, 1)
    last = annual_fee_due("invention", filed, granted, date(2018, 1, 1))
    assert last is not None and last.patent_year == 20
    assert annual_fee_due("invention", filed, granted, date(2018, 6, 2)) is None
    assert annual_fee_due("invention", filed, granted, date(2019, 6, 1)) is None


def test_a_fully_paid_term_has_nothing_left_to_pay() -> None:
    filed, granted = date(2016, 3, 1), date(2017, 1, 1)
    today = date(2024, 1, 1)
    assert annual_fee_due("utility_model", filed, granted, today, paid_through=10) is None


def test_a_utility_model_pays_its_tenth_year_and_no_more() -> None:
    filed, granted = date(2016, 3, 1), date(2017, 1, 1)
    tenth = annual_fee_due("utility_model", filed, granted, date(2025, 2, 28))
    assert tenth is not None
    assert (tenth.patent_year, tenth.amount_yuan) == (10, 2000)
    assert annual_fee_due("utility_model", filed, granted, date(2025, 3, 2)) is None


def test_a_design_filed_under_the_current_law_pays_into_its_fifteenth_year() -> None:
    due = annual_fee_due("design", date(2021, 7, 1), date(2022, 1, 10), date(2032, 1, 1))
    assert due is not None
    assert (due.patent_year, due.amount_yuan) == (12, 3000)


# Trademark renewal.

REGISTERED = date(2016, 9, 28)


def test_a_registration_ends_the_day_before_its_tenth_anniversary() -> None:
    assert trademark_expiry(REGISTERED) == date(2026, 9, 27)
    assert trademark_expiry(date(2016, 2, 29)) == date(2026, 2, 27)


@pytest.mark.parametrize(
    ("today", "state", "days"),
    [
        (date(2025, 9, 26), "not-yet", 366),
        (date(2025, 9, 27), "open", 365),
        (date(2026, 9, 27), "open", 0),
        (date(2026, 9, 28), "grace", -1),
        (date(2027, 3, 27), "grace", -181),
        (date(2027, 3, 28), "expired", -182),
    ],
)
def test_the_renewal_window_opens_a_year_before_expiry_and_grace_lasts_six_months(
    today: date, state: str, days: int
) -> None:
    assert trademark_renewal(REGISTERED, today) == RenewalWindow(
        expiry=date(2026, 9, 27),
        window_opens=date(2025, 9, 27),
        grace_end=date(2027, 3, 27),
        state=state,  # type: ignore[arg-type]
        days_until_expiry=days,
    )


def test_a_month_end_expiry_has_its_grace_end_at_the_end_of_february() -> None:
    window = trademark_renewal(date(2015, 9, 1), date(2025, 1, 1))
    assert (window.expiry, window.window_opens, window.grace_end) == (
        date(2025, 8, 31),
        date(2024, 8, 31),
        date(2026, 2, 28),
    )


@pytest.mark.parametrize(
    ("expiry", "renewed"),
    [
        (date(2026, 9, 27), date(2036, 9, 27)),
        (date(2026, 2, 28), date(2036, 2, 29)),
        (date(2036, 2, 29), date(2046, 2, 28)),
    ],
)
def test_each_renewal_adds_ten_years(expiry: date, renewed: date) -> None:
    assert renewed_expiry(expiry) == renewed


def test_a_renewed_registration_has_its_window_from_the_new_expiry() -> None:
    window = renewal_window(renewed_expiry(date(2026, 9, 27)), date(2035, 10, 1))
    assert (window.state, window.window_opens) == ("open", date(2035, 9, 27))
