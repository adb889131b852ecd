"""What the public sees of reviews (/disclosure and each outlet's summary): the figures per
outlet and per matter type, and the bad ratings put right, with nobody's personal data.

The figures are read from the app's store under one key, kept with the fingerprint of what they
were counted from: how many service events, reviews, rectification steps and decided appeals
there are. Reviews are never changed or deleted, and everything that moves a figure adds one of
those rows or decides an appeal, so a fingerprint that differs means the figures may have moved
and they are counted again; one that does not means they have not. The fingerprint is read
before the figures, so a review that arrives while they are counted makes the next fingerprint
differ. Counting 100,000 events takes about a second on SQLite (docs/decisions/reviews.md); the
fingerprint a few milliseconds. (Counts, not the highest ids: PostgreSQL may commit ids out of
order.)

A rectified case is shown with its level, matter type, outlet, what was done, the reply and
their dates: never the reviewer, the review's comment (the reviewer's own words) or who in the
office acted. The texts of the steps are the office's, but a reply may greet the reviewer by
name: the names of everyone on the case, e-mail addresses, phone and identity numbers are
removed from them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable

import msgspec
from litestar.stores.base import Store

from backend.auth.tables import Account
from backend.reviews import figures
from backend.reviews.figures import Figures, GroupBy
from backend.reviews.rules import CaseStep
from backend.reviews.service import office_day
from backend.reviews.tables import (
    RectificationCase,
    RectificationStep,
    ReviewAppeal,
    ServiceEvent,
)

STORE_NAME = "review_figures"
_KEY = "disclosure"
_KEPT_FOR_SECONDS = 24 * 3600
PUBLIC_STEPS = (CaseStep.rectify, CaseStep.reply)
REMOVED = "***"


class Published(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: list[int]
    outlets: list[Figures]
    matters: list[Figures]

    def of_outlet(self, outlet_id: int) -> Figures:
        found = next((counts for counts in self.outlets if counts.key == outlet_id), None)
        return found or Figures(key=outlet_id, **_zeros())


def _zeros() -> dict[str, int]:
    return {name: 0 for name in Figures.__struct_fields__ if name != "key"}


async def fingerprint() -> list[int]:
    rows = await ServiceEvent.raw(
        "SELECT (SELECT COUNT(*) FROM service_event) AS events,"
        " (SELECT COUNT(*) FROM review) AS reviews,"
        " (SELECT COUNT(*) FROM rectification_step) AS steps,"
        " (SELECT COUNT(*) FROM review_appeal WHERE decision IS NOT NULL) AS decided"
    )
    row = rows[0]
    return [row["events"], row["reviews"], row["steps"], row["decided"]]


async def published(store: Store) -> Published:
    """The public figures, counted again only when something they count has changed."""
    mark = await fingerprint()
    kept = await store.get(_KEY)
    if kept is not None:
        try:
            cached = msgspec.msgpack.decode(kept, type=Published)
        except msgspec.DecodeError:
            cached = None  # written by an older release: count again
        if cached is not None and cached.fingerprint == mark:
            return cached
    fresh = await _once(tuple(mark), lambda: _count(mark))
    await store.set(_KEY, msgspec.msgpack.encode(fresh), expires_in=_KEPT_FOR_SECONDS)
    return fresh


async def _count(mark: list[int]) -> Published:
    return Published(
        fingerprint=mark,
        outlets=await figures.figures_by(GroupBy.outlet),
        matters=await figures.figures_by(GroupBy.matter),
    )


# Requests that find the figures out of date at the same moment wait for one count, not one
# each (per process and event loop: this is coordination, not data another worker needs).
_counting: dict[tuple, asyncio.Future] = {}


async def _once(mark: tuple, count: Callable[[], Awaitable[Published]]) -> Published:
    key = (id(asyncio.get_running_loop()), mark)
    running = _counting.get(key)
    if running is None:
        running = _counting[key] = asyncio.ensure_future(count())
        running.add_done_callback(lambda _: _counting.pop(key, None))
    return await asyncio.shield(running)


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
