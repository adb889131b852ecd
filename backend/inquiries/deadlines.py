"""Patent annual fees and trademark renewal: when each falls due and what lateness costs.

Amounts and term lengths are data (fee_table.json, marked "check" in DOMAIN.md); the rules that
turn dates into deadlines are here. Where the rules leave room, this module decides:

- An anniversary of 29 February falls on 28 February in other years (month arithmetic clamps to
  the month's end). It is the earlier of the two readings, so a reminder never names a later day
  than the office might.
- A patent year's fee is due on the anniversary that starts that year and can still be paid that
  day without surcharge: "before the previous year ends", as the office's notices date it.
- Lateness is counted in whole months from the due date, each ending on the same day of the
  month (clamped): paid within one month, no surcharge; then 5% more for each further month, up
  to 25% in the sixth. After the sixth month the right has ended (`None`: restoration is another
  procedure, not a larger surcharge).
- Surcharges are rounded to whole yuan, half up (exact for every amount in the table).
- Without payment history (`paid_through=None`) every fee that fell due before today is taken as
  paid, so the next fee is the one due today or later; pass `paid_through` to see grace and lapse.
- A trademark registration ends on the day before the 10th anniversary of its approval, as the
  certificates print it (2016-09-28 to 2026-09-27); a renewal adds 10 years from the day after.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import msgspec

FeeState = Literal["upcoming", "grace", "lapsed"]
RenewalState = Literal["not-yet", "open", "grace", "expired"]

GRACE_MONTHS = 6
SURCHARGE_STEP_PERCENT = 5
REGISTRATION_YEARS = 10
RENEWAL_WINDOW_MONTHS = 12

_FEE_TABLE_PATH = Path(__file__).with_name("fee_table.json")
# PCT applications entering the national phase pay and last as their national counterparts.
_FEE_CLASS = {"pct_invention": "invention", "pct_utility_model": "utility_model"}
_ONE_DAY = timedelta(days=1)


class FeeBand(msgspec.Struct, frozen=True):
    first_year: int
    last_year: int
    yuan: int


class TermRule(msgspec.Struct, frozen=True):
    filed_from: date | None  # None: any filing date not matched by an earlier rule
    years: int


class FeeTable(msgspec.Struct, frozen=True):
    source: str
    as_of: date
    note: str
    annual_fees_yuan: dict[str, list[FeeBand]]
    term_years: dict[str, list[TermRule]]


class AnnualFeeDue(msgspec.Struct, frozen=True):
    patent_year: int
    due_date: date
    grace_end: date
    amount_yuan: int | None
    state: FeeState
    days_until_due: int
    surcharge_percent: int | None
    surcharge_yuan: int | None


class RenewalWindow(msgspec.Struct, frozen=True):
    expiry: date
    window_opens: date
    grace_end: date
    state: RenewalState
    days_until_expiry: int


@functools.cache
def fee_table() -> FeeTable:
    return msgspec.json.decode(_FEE_TABLE_PATH.read_bytes(), type=FeeTable)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day where there is none."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Patents.


def patent_year_start(filing: date, n: int) -> date:
    """Patent year 1 starts on the filing date, year n on its (n − 1)th anniversary."""
    if n < 1:
        raise ValueError(f"patent years start at 1, not {n}")
    return add_months(filing, 12 * (n - 1))


def patent_year_of(filing: date, day: date) -> int:
    if day < filing:
        raise ValueError(f"{day} is before the filing date {filing}")
    n = day.year - filing.year + 1
    return n if patent_year_start(filing, n) <= day else n - 1


def annual_fee_amount(patent_type: str, year: int) -> int | None:
    """None for an unknown type or a year the table does not cover."""
    bands = fee_table().annual_fees_yuan.get(_FEE_CLASS.get(patent_type, patent_type), [])
    return next((band.yuan for band in bands if band.first_year <= year <= band.last_year), None)


def term_years(patent_type: str, filing: date) -> int:
    rules = fee_table().term_years.get(_FEE_CLASS.get(patent_type, patent_type))
    if not rules:
        raise ValueError(f"no term known for patent type {patent_type!r}")
    return next(
        rule.years for rule in rules if rule.filed_from is None or filing >= rule.filed_from
    )


def term_end(patent_type: str, filing: date) -> date:
    """The last day in force: the day before the anniversary that would start year term + 1."""
    return patent_year_start(filing, term_years(patent_type, filing) + 1) - _ONE_DAY


def grace_surcharge_percent(due: date, paid_on: date) -> int | None:
    """The surcharge for paying on `paid_on`; None once the grace period is over."""
    if paid_on <= add_months(due, 1):
        return 0
    for months_late in range(2, GRACE_MONTHS + 1):
        if paid_on <= add_months(due, months_late):
            return (months_late - 1) * SURCHARGE_STEP_PERCENT
    return None


def annual_fee_due(
    patent_type: str,
    filing_date: date,
    granted_on: date | None,
    today: date,
    *,
    paid_through: int | None = None,
) -> AnnualFeeDue | None:
    """The next annual fee after the grant year's (paid with the grant formalities).

    None before grant, once the term has ended, or when no year of the term is left to pay.
    `paid_through` is the last patent year paid, when known.
    """
    if granted_on is None or today > term_end(patent_type, filing_date):
        return None
    year = _next_fee_year(filing_date, patent_year_of(filing_date, granted_on), today, paid_through)
    if year > term_years(patent_type, filing_date):
        return None
    due = patent_year_start(filing_date, year)
    amount = annual_fee_amount(patent_type, year)
    percent = grace_surcharge_percent(due, today)
    return AnnualFeeDue(
        patent_year=year,
        due_date=due,
        grace_end=add_months(due, GRACE_MONTHS),
        amount_yuan=amount,
        state=_fee_state(due, today, percent),
        days_until_due=(due - today).days,
        surcharge_percent=percent,
        surcharge_yuan=_surcharge_yuan(amount, percent),
    )


def _next_fee_year(filing: date, grant_year: int, today: date, paid_through: int | None) -> int:
    if paid_through is not None:
        return max(grant_year, paid_through) + 1
    if today < filing:
        return grant_year + 1
    current = patent_year_of(filing, today)
    next_due = current if patent_year_start(filing, current) == today else current + 1
    return max(grant_year + 1, next_due)


def _fee_state(due: date, today: date, percent: int | None) -> FeeState:
    if today <= due:
        return "upcoming"
    return "lapsed" if percent is None else "grace"


def _surcharge_yuan(amount: int | None, percent: int | None) -> int | None:
    if amount is None or percent is None:
        return None
    return (amount * percent + 50) // 100


# Trademarks.


def trademark_expiry(registered_on: date) -> date:
    return add_months(registered_on, 12 * REGISTRATION_YEARS) - _ONE_DAY


def renewed_expiry(expiry: date) -> date:
    """The new expiry once renewed: ten years more, counted from the day after `expiry`."""
    return add_months(expiry + _ONE_DAY, 12 * REGISTRATION_YEARS) - _ONE_DAY


def renewal_window(expiry: date, today: date) -> RenewalWindow:
    """For a registration whose current expiry is known (the first, or after renewals)."""
    window_opens = add_months(expiry, -RENEWAL_WINDOW_MONTHS)
    grace_end = add_months(expiry, GRACE_MONTHS)
    return RenewalWindow(
        expiry=expiry,
        window_opens=window_opens,
        grace_end=grace_end,
        state=_renewal_state(today, window_opens, expiry, grace_end),
        days_until_expiry=(expiry - today).days,
    )


def trademark_renewal(registered_on: date, today: date) -> RenewalWindow:
    """The window of the first registration period."""
    return renewal_window(trademark_expiry(registered_on), today)


def _renewal_state(today: date, opens: date, expiry: date, grace_end: date) -> RenewalState:
    if today < opens:
        return "not-yet"
    if today <= expiry:
        return "open"
    return "grace" if today <= grace_end else "expired"
