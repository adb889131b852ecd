"""What the public sees of reviews (/disclosure and each outlet's summary): the figures per
outlet and per matter type, and the bad ratings put right, with nobody's personal data.

The figures are summed from the running tallies (tallies.py), which every write that moves a
figure keeps in its own transaction: a few hundred rows. /disclosure is kept in the page cache
and forgotten by those writes (published.py), so a rating shows on the next view.

A rectified case is shown with its level, matter type, outlet, what was done, the reply and
their dates: never the reviewer, the review's comment (the reviewer's own words) or who in the
office acted. The texts of the steps are the office's, but a reply may greet the reviewer by
name: the names of everyone on the case, e-mail addresses, phone and identity numbers are
removed from them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import msgspec

from backend.auth.tables import Account
from backend.reviews import figures
from backend.reviews.figures import Figures, GroupBy
from backend.reviews.rules import CaseStep
from backend.reviews.service import office_day
from backend.reviews.tables import (
    RectificationCase,
    RectificationStep,
    ReviewAppeal,
)

PUBLIC_STEPS = (CaseStep.rectify, CaseStep.reply)
REMOVED = "***"


class Published(msgspec.Struct, frozen=True, kw_only=True):
    outlets: list[Figures]
    matters: list[Figures]

    def of_outlet(self, outlet_id: int) -> Figures:
        found = next((counts for counts in self.outlets if counts.key == outlet_id), None)
        return found or Figures(key=outlet_id, **_zeros())


def _zeros() -> dict[str, int]:
    return dict.fromkeys(figures.FIELDS, 0)


async def published() -> Published:
    """The public figures, summed from the running tallies: current with every page view."""
    return Published(
        outlets=await figures.figures_by(GroupBy.outlet),
        matters=await figures.figures_by(GroupBy.matter),
    )


# --- Rectified cases --------------------------------------------------------------------------


class PublicStep(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    text: str
    on: dt.date


class PublicCase(msgspec.Struct, frozen=True, kw_only=True):
    number: int  # the case's own id: says nothing about the person
    level: int
    matter_code: str
    outlet_id: int | None
    reviewed_on: dt.date
    status: str
    steps: list[PublicStep]


async def rectified_cases(
    limit: int, offset: int = 0, outlet_id: int | None = None
) -> tuple[list[PublicCase], bool]:
    """The bad ratings put right, newest first: a page of them, and whether there are more.
    A rating an upheld appeal took out of the figures is not shown."""
    query = RectificationCase.select(
        RectificationCase.id,
        RectificationCase.status,
        RectificationCase.opened_at,
        RectificationCase.assignee_id,
        RectificationCase.review.level,
        RectificationCase.review.outlet_id,
        RectificationCase.review.matter_code,
        RectificationCase.review.reviewer_id,
    ).where(
        RectificationCase.id.is_in(
            RectificationStep.select(RectificationStep.case).where(
                RectificationStep.step == CaseStep.rectify
            )
        )
        & RectificationCase.review.not_in(
            ReviewAppeal.select(ReviewAppeal.review).where(
                ReviewAppeal.decision == ReviewAppeal.Decision.upheld
            )
        )
    )
    if outlet_id is not None:
        query = query.where(RectificationCase.review.outlet_id == outlet_id)
    rows = (
        await query.order_by(RectificationCase.id, ascending=False).limit(limit + 1).offset(offset)
    )
    shown = rows[:limit]
    steps = await _public_steps([row["id"] for row in shown])
    people = {row["review.reviewer_id"] for row in shown} | {row["assignee_id"] for row in shown}
    people |= {step["actor_id"] for found in steps.values() for step in found}
    names = await _names_of(people)
    return [_case(row, steps.get(row["id"], []), names) for row in shown], len(rows) > limit


async def _public_steps(case_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    if not case_ids:
        return found
    for step in (
        await RectificationStep.select(
            RectificationStep.case,
            RectificationStep.step,
            RectificationStep.text,
            RectificationStep.actor_id,
            RectificationStep.at,
        )
        .where(RectificationStep.case.is_in(case_ids) & RectificationStep.step.is_in(PUBLIC_STEPS))
        .order_by(RectificationStep.id)
    ):
        found.setdefault(step["case"], []).append(step)
    return found


async def _names_of(account_ids: Iterable[int | None]) -> list[str]:
    wanted = sorted({account_id for account_id in account_ids if account_id is not None})
    if not wanted:
        return []
    rows = await Account.select(Account.display_name, Account.email).where(Account.id.is_in(wanted))
    return [value for row in rows for value in (row["display_name"], row["email"]) if value]


def _case(row: dict, steps: list[dict], names: list[str]) -> PublicCase:
    return PublicCase(
        number=row["id"],
        level=row["review.level"],
        matter_code=row["review.matter_code"] or "",
        outlet_id=row["review.outlet_id"],
        reviewed_on=office_day(row["opened_at"]),
        status=row["status"],
        steps=[
            PublicStep(
                step=step["step"],
                text=without_personal_data(step["text"], names),
                on=office_day(step["at"]),
            )
            for step in steps
        ],
    )


# E-mail addresses, mainland mobile and fixed-line numbers, identity numbers.
_CONTACT_DETAILS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    r"|(?<!\d)\d{17}[\dXx](?![\dXx])"
)


def without_personal_data(text: str, names: Iterable[str]) -> str:
    """The text with each of `names` (of two characters or more: one would take out a common
    character) and any contact detail or identity number replaced by ***."""
    for name in sorted({name.strip() for name in names}, key=len, reverse=True):
        if len(name) >= 2:
            text = text.replace(name, REMOVED)
    return _CONTACT_DETAILS.sub(REMOVED, text)
