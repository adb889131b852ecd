"""The running tallies of the figures: one row of counts per month, outlet, channel and matter
type, and one per outlet, channel and matter type for all months (month '*').

Every write that may move a figure (an event recorded, a case's step, an appeal's decision)
runs inside `recounted(event_id)`, in its own transaction: the
event's contribution to every count is read before and after the write, from the raw tables
(one event: a few indexed rows), and the difference is added to its two tally rows. So the
tallies are the raw counts by construction, whatever a write changes, and no rule of which
write moves which figure is written twice. On PostgreSQL the event's row is locked first, so two
writes about one event (a reply and an appeal's decision) take turns and each sees the other's
result; SQLite's writes take turns already (one writing connection, IMMEDIATE transactions).

A review stored is the exception, being the one write a second of which about the same event
cannot happen (review.event is unique; its case opens with it): `rated` adds its known change
(one counted, one of its grade, one unrated fewer or one event more) with no read, nor lock,
since it is the commonest write and the one a person waits for (bench/README.md "Reviews over
HTTP").

`rebuild()` counts them all again from the raw tables (`litestar iph reviews-retally`, for a
database whose events came before the tallies, or after a repair by hand).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from backend.core.database import execute, write_transaction
from backend.reviews import published
from backend.reviews.figures import ALL_MONTHS, COUNTS_SQL, FIELDS, FROM_SQL
from backend.reviews.tables import ReviewTally, ServiceEvent

_PLACE = ("month", "outlet_id", "channel", "matter_code")
_COLUMNS = ("key", *_PLACE, *FIELDS)
_UPSERT = (
    f"INSERT INTO review_tally ({', '.join(_COLUMNS)}) VALUES "
    + ", ".join(["(" + ", ".join(["{}"] * len(_COLUMNS)) + ")"] * 2)
    + " ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{name} = review_tally.{name} + excluded.{name}" for name in FIELDS)
)
_BATCH = 500


def _key(month: str, outlet_id: int | None, channel: str, matter_code: str) -> str:
    return f"{month}|{'' if outlet_id is None else outlet_id}|{channel}|{matter_code}"


async def _contribution(event_id: int) -> tuple[tuple[Any, ...], list[int]]:
    """(the event's month, outlet, channel, matter type; its counts)."""
    place = ", ".join(f"e.{name}" for name in _PLACE)
    rows = await ServiceEvent.raw(
        f"SELECT {place}, {COUNTS_SQL} {FROM_SQL} WHERE e.id = {{}} GROUP BY {place}", event_id
    )
    if not rows:
        return (), [0] * len(FIELDS)
    row = rows[0]
    return tuple(row[name] for name in _PLACE), [row[name] or 0 for name in FIELDS]


@asynccontextmanager
async def recounted(event_id: int) -> AsyncIterator[None]:
    """Around a write that may move this event's figures, inside the write's transaction."""
    if isinstance(ServiceEvent._meta.db, PostgresEngine):
        await ServiceEvent.raw("SELECT id FROM service_event WHERE id = {} FOR UPDATE", event_id)
    _, before = await _contribution(event_id)
    yield
    place, after = await _contribution(event_id)
    change = [now - then for now, then in zip(after, before, strict=True)]
    if place and any(change):
        await _add(place, change)
    await published.shown_changed()  # a figure, or the cases put right (a step)


async def added(event_id: int) -> None:
    """A new event, just inserted in this transaction: nobody else sees it yet."""
    place, counts = await _contribution(event_id)
    await _add(place, counts)
    await published.shown_changed()


async def rated(place: tuple[Any, ...], grade: str, new_event: bool) -> None:
    """A review just stored, in this transaction, of an event that had none (its case, if
    bad, just opened: nothing replied or rated yet, no appeal), or of an event made with it (a
    desk's code, an online service): one upsert, the change known without reading it. The
    hypothesis test (tests/reviews/test_tallies.py) holds it to a recount like the others."""
    moved = {"counted": 1, grade: 1} | ({"events": 1} if new_event else {"unrated": -1})
    await _add(place, [moved.get(name, 0) for name in FIELDS])
    await published.shown_changed()


async def _add(place: tuple[Any, ...], change: list[int]) -> None:
    month, outlet_id, channel, matter_code = place
    args: list[Any] = []
    for period in (month, ALL_MONTHS):
        args += [_key(period, outlet_id, channel, matter_code), period, outlet_id, channel]
        args += [matter_code, *change]
    await execute(ReviewTally, _UPSERT, *args)


async def rebuild() -> int:
    """Every tally counted again from the raw tables, in one transaction: the rows written."""
    place = ", ".join(f"e.{name}" for name in _PLACE)
    async with write_transaction(ReviewTally._meta.db):
        if isinstance(ReviewTally._meta.db, PostgresEngine):
            # Writers under way wait to add their change to the counts rebuilt without it.
            await ReviewTally.raw("LOCK TABLE review_tally IN EXCLUSIVE MODE")
        rows = await ServiceEvent.raw(f"SELECT {place}, {COUNTS_SQL} {FROM_SQL} GROUP BY {place}")
        summed: dict[str, ReviewTally] = {}
        for row in rows:
            for period in (row["month"], ALL_MONTHS):
                key = _key(period, row["outlet_id"], row["channel"], row["matter_code"])
                tally = summed.get(key)
                if tally is None:
                    tally = summed[key] = ReviewTally(
                        key=key,
                        month=period,
                        outlet_id=row["outlet_id"],
                        channel=row["channel"],
                        matter_code=row["matter_code"],
                        **dict.fromkeys(FIELDS, 0),
                    )
                for name in FIELDS:
                    setattr(tally, name, getattr(tally, name) + (row[name] or 0))
        await ReviewTally.delete(force=True)
        tallies = list(summed.values())
        for first in range(0, len(tallies), _BATCH):
            await ReviewTally.insert(*tallies[first : first + _BATCH])
    await published.shown_changed()
    return len(summed)
