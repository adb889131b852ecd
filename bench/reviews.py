"""Service reviews written in bulk for the benchmarks, and the ratings a load sends (issue 13).

Used by bench/reviews_http.py, and importable by any benchmark that wants a database holding
reviews (`fill_reviews`) or a load of ratings (`prepare_ratings`, `rating_form`, then
bench/form_posts.lua through bench/http_app.py's `measure_form_posts`):

    await fill_reviews(100_000, tally=False)         # on an open engine, after `iph setup`
    owners = await reviewer_accounts(8)              # people to rate their own matters
    tokens = await prepare_ratings(owners, 20_000)   # an unrated matter event each
    await retally()                                  # the tallies, counted from the tables

`fill_reviews` spreads the reviews over the seed's outlets and the months of 2026 up to now,
the way the service is used: matters ended (online, rated by their applicant, 70 % of them),
visits with a one-time code (on site, 60 % rated), desks' printed codes and online services
(rated, since their event is made as they are rated); levels mostly good, some bad with their
rectification case (most replied, in time or late, some rated by the reviewer). The unrated
events count in the figures too. Rows go in with one multi-row INSERT a batch; the running
tallies are then rebuilt from them (`litestar iph reviews-retally`'s `tallies.rebuild`).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from typing import Any

BATCH = 500
# Of each kind of event, the share rated, and the share of the events of that kind.
KINDS = {"matter": (0.70, 0.45), "visit": (0.60, 0.35), "desk": (1.0, 0.15), "online": (1.0, 0.05)}
LEVELS = (5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1)  # drawn from: mostly good, ~15 % bad
BEIJING = dt.timezone(dt.timedelta(hours=8))
YEAR_START = dt.datetime(2026, 1, 1, 8, 30, tzinfo=BEIJING)
ONLINE_SERVICES = ("records", "gi-check", "guides")


def _month(at: dt.datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m")


async def _outlet_ids() -> list[int]:
    from backend.outlets.importer import load_seed_outlets
    from backend.outlets.tables import Outlet

    await load_seed_outlets()
    return [row["id"] for row in await Outlet.select(Outlet.id).order_by(Outlet.id)]


def _matter_codes() -> list[str]:
    from backend.matters.catalogue import catalogue

    return sorted(catalogue().codes)


async def reviewer_accounts(count: int, prefix: str = "bench-reviewer") -> list[int]:
    """`count` accounts (applicants) `{prefix}-{n}@example.test`: their ids."""
    from backend.auth.tables import Account

    ids = []
    for number in range(count):
        account = Account(
            email=f"{prefix}-{number}@example.test",
            display_name=f"reviewer {number}",
            role=Account.Role.applicant,
            user_handle=secrets.token_urlsafe(32),
        )
        await account.save()
        ids.append(account.id)
    return ids


def _event(rng: random.Random, kind: str, outlets: list[int], codes: list[str], at, owner):
    from backend.reviews.tables import ServiceEvent

    matter = kind == "matter"
    online = kind in ("matter", "online")
    return ServiceEvent(
        token=secrets.token_urlsafe(18),
        kind=kind,
        channel="online" if online else "on_site",
        outcome=rng.choice(("completed", "completed", "completed", "rejected", "withdrawn"))
        if matter
        else ("used" if kind == "online" else "served"),
        subject=rng.choice(ONLINE_SERVICES) if kind == "online" else "",
        matter_code=rng.choice(codes) if matter else "",
        outlet_id=None if kind == "online" else rng.choice(outlets),
        desk=f"{rng.randrange(1, 9)}号窗口" if kind in ("visit", "desk") else "",
        account_id=owner if matter else None,
        occurred_at=at,
        month=_month(at),
        expires_at=at + dt.timedelta(days=7) if kind == "visit" else None,
    )


def _review(rng: random.Random, event_id: int, event, level: int, owner) -> Any:
    from backend.reviews.rules import Grade, grade_of
    from backend.reviews.tables import Review

    grade = grade_of(level)
    tags = {Grade.good: '["friendly"]', Grade.bad: '["long_wait"]'}.get(grade, "[]")
    anonymous = event.account_id is None and rng.random() < 0.5
    return Review(
        event=event_id,
        level=level,
        grade=grade,
        channel=event.channel,
        kind=event.kind,
        outlet_id=event.outlet_id,
        matter_code=event.matter_code,
        dimensions="{}",
        tags=tags if rng.random() < 0.4 else "[]",
        comment="等候时间较长" if grade == Grade.bad and rng.random() < 0.5 else "",
        anonymous=anonymous,
        reviewer_id=None if anonymous else (event.account_id or owner),
        created_at=event.occurred_at + dt.timedelta(hours=rng.randrange(1, 72)),
    )


def _case(rng: random.Random, review_id: int, review) -> Any:
    from backend.reviews.rules import CaseStatus
    from backend.reviews.tables import RectificationCase

    opened = review.created_at
    resolve_due = (opened + dt.timedelta(days=21)).date()
    replied = rng.random() < 0.8
    replied_at = opened + dt.timedelta(days=rng.randrange(1, 28)) if replied else None
    satisfaction = rng.choice((2, 3, 4, 4, 5)) if replied and rng.random() < 0.5 else None
    return RectificationCase(
        review=review_id,
        status=CaseStatus.closed if satisfaction else CaseStatus.opened,
        contact_due=(opened + dt.timedelta(days=1)).date(),
        resolve_due=resolve_due,
        opened_at=opened,
        contacted_at=opened + dt.timedelta(hours=20),
        replied_at=replied_at,
        replied_in_time=replied_at.date() <= resolve_due if replied_at else None,
        satisfaction=satisfaction,
        closed_at=replied_at if satisfaction else None,
    )


async def fill_reviews(
    count: int, now: dt.datetime | None = None, seed: int = 20261203, tally: bool = True
) -> dict[str, Any]:
    """`count` reviews (and the unrated events beside them) over the seed's outlets and the
    months of this year up to `now`, with their cases, written in bulk on an open engine, then
    (unless not `tally`: the caller will `retally()`) the tallies rebuilt. Returns what was
    written and in how many seconds."""
    from backend.reviews.rules import Grade, grade_of
    from backend.reviews.tables import RectificationCase, Review, ServiceEvent

    rng = random.Random(seed)
    outlets, codes = await _outlet_ids(), _matter_codes()
    owners = await reviewer_accounts(50, prefix="bench-filled")
    now = now or dt.datetime.now(dt.UTC)
    span = int((now - YEAR_START).total_seconds())
    kinds = list(KINDS)
    weights = [KINDS[kind][1] for kind in kinds]
    started = time.perf_counter()
    events = reviews = cases = 0
    while reviews < count:
        batch, rated = [], []
        while len(batch) < BATCH and reviews + len(rated) < count:
            kind = rng.choices(kinds, weights)[0]
            at = YEAR_START + dt.timedelta(seconds=rng.randrange(span))
            owner = rng.choice(owners)
            batch.append(_event(rng, kind, outlets, codes, at, owner))
            if rng.random() < KINDS[kind][0]:
                rated.append((len(batch) - 1, rng.choice(LEVELS), owner))
        ids = [row["id"] for row in await ServiceEvent.insert(*batch).returning(ServiceEvent.id)]
        events += len(batch)
        if not rated:
            continue
        made = [_review(rng, ids[at], batch[at], level, owner) for at, level, owner in rated]
        review_ids = await Review.insert(*made).returning(Review.id)
        reviews += len(made)
        bad = [
            _case(rng, row["id"], review)
            for row, review in zip(review_ids, made, strict=True)
            if grade_of(review.level) == Grade.bad
        ]
        if bad:
            await RectificationCase.insert(*bad)
            cases += len(bad)
    written_s = time.perf_counter() - started
    tallies_s, tally_rows = await retally() if tally else (0.0, 0)
    return {
        "events": events,
        "reviews": reviews,
        "cases": cases,
        "outlets": len(outlets),
        "written_s": written_s,
        "tallies_s": tallies_s,
        "tally_rows": tally_rows,
    }


async def prepare_ratings(
    owners: list[int], count: int, now: dt.datetime | None = None, seed: int = 20261204
) -> list[tuple[int, str]]:
    """`count` matters just ended, unrated, each owner's in turn (their applicant's to rate
    online, at /rate/{token}): (owner, token) of each. The tallies do not count them until
    `retally()`."""
    from backend.reviews.tables import ServiceEvent

    rng = random.Random(seed)
    outlets, codes = await _outlet_ids(), _matter_codes()
    at = now or dt.datetime.now(dt.UTC)
    made: list[tuple[int, str]] = []
    for first in range(0, count, BATCH):
        batch = []
        for number in range(first, min(first + BATCH, count)):
            owner = owners[number % len(owners)]
            batch.append(_event(rng, "matter", outlets, codes, at, owner))
            made.append((owner, batch[-1].token))
        await ServiceEvent.insert(*batch)
    return made


async def retally() -> tuple[float, int]:
    """The running tallies counted again from the tables, and ANALYZE: (seconds, rows)."""
    from backend.reviews import tallies
    from backend.reviews.tables import ReviewTally

    started = time.perf_counter()
    rows = await tallies.rebuild()
    await ReviewTally.raw("ANALYZE")
    return time.perf_counter() - started, rows


def rating_form(rng: random.Random, csrf: str, for_account: int | None) -> dict[str, str]:
    """The rating page's form as a person sends it: a new idempotency key, a level drawn as the
    filled reviews' are, sometimes a dimension, a fitting tag and a comment."""
    from backend.reviews.rules import TAGS, Level, grade_of

    level = rng.choice(LEVELS)
    form = {
        "_csrf_token": csrf,
        "idempotency_key": secrets.token_urlsafe(24),
        "for_account": str(for_account or ""),
        "level": str(level),
    }
    if rng.random() < 0.3:
        form["dimension-efficiency"] = str(level)
    if rng.random() < 0.3:
        form["tags"] = rng.choice(TAGS[grade_of(Level(level))]).value
    if rng.random() < 0.2:
        form["comment"] = "办理顺利" if level >= 4 else "等候时间较长，希望改进"
    return form
