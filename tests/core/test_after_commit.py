"""What the app does after a commit (core/database.py `when_committed`, `changed`): once the
outermost transaction has committed, once however often it made the change, never for one
rolled back, at once outside a transaction; a follow-up that fails leaves the write done (both
profiles; both ways a transaction is opened)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable

import pytest
from piccolo.engine.base import Engine

from backend.core import database
from backend.core.database import changed, write_transaction
from backend.idempotency.tables import IdempotencyRecord

pytestmark = pytest.mark.profiles
OPENINGS: dict[str, Callable[[Engine], object]] = {
    "write_transaction": write_transaction,
    "engine.transaction": lambda engine: engine.transaction(),
}


class RolledBack(Exception):
    pass


class FollowUps:
    """A change of this test's own, and what its action saw each time it ran."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.change = f"test.{secrets.token_hex(4)}"
        self.key = f"after-commit|{secrets.token_hex(8)}"
        self.seen: list[tuple[bool, bool]] = []  # (in a transaction, the row committed)
        self.subjects: list[frozenset[str]] = []  # what each run was given
        self.fails_with: Exception | None = None

    async def action(self, subjects: frozenset[str]) -> None:
        self.subjects.append(subjects)
        in_transaction = self.engine.current_transaction.get() is not None
        self.seen.append((in_transaction, await self.row_is_there()))
        if self.fails_with is not None:
            raise self.fails_with

    async def row_is_there(self) -> bool:
        return await IdempotencyRecord.exists().where(IdempotencyRecord.natural_key == self.key)

    async def write(self) -> None:
        record = IdempotencyRecord(natural_key=self.key, fingerprint="f", response="{}")
        await IdempotencyRecord.insert(record)


@pytest.fixture
async def follow_ups(client) -> AsyncIterator[FollowUps]:
    """On the app's engine, served (so SQLite writes through its kept writing connection)."""
    engine = IdempotencyRecord._meta.db
    follow_ups = FollowUps(engine)
    database.when_committed(engine, follow_ups.change, follow_ups.action)
    yield follow_ups
    del engine.committed_actions[follow_ups.change]


@pytest.mark.parametrize("opening", OPENINGS)
async def test_a_change_is_followed_up_once_after_the_outermost_transaction_commits(
    opening: str, follow_ups: FollowUps
) -> None:
    engine = follow_ups.engine
    async with OPENINGS[opening](engine):
        await follow_ups.write()
        await changed(engine, follow_ups.change)
        async with write_transaction(engine):  # joins the outer one
            await changed(engine, follow_ups.change)
        seen_inside = list(follow_ups.seen)

    assert seen_inside == []
    assert follow_ups.seen == [(False, True)]


@pytest.mark.parametrize("opening", OPENINGS)
async def test_the_follow_up_is_given_every_subject_the_transaction_made_the_change_to(
    opening: str, follow_ups: FollowUps
) -> None:
    engine = follow_ups.engine
    async with OPENINGS[opening](engine):
        await follow_ups.write()
        await changed(engine, follow_ups.change, "17")
        await changed(engine, follow_ups.change, "all")
        await changed(engine, follow_ups.change, "17")
    await changed(engine, follow_ups.change)

    assert follow_ups.subjects == [frozenset({"17", "all"}), frozenset({""})]


@pytest.mark.parametrize("opening", OPENINGS)
async def test_a_change_in_a_transaction_rolled_back_is_not_followed_up(
    opening: str, follow_ups: FollowUps
) -> None:
    with pytest.raises(RolledBack):
        async with OPENINGS[opening](follow_ups.engine):
            await follow_ups.write()
            await changed(follow_ups.engine, follow_ups.change)
            raise RolledBack

    assert follow_ups.seen == []
    assert not await follow_ups.row_is_there()


async def test_a_change_outside_a_transaction_is_followed_up_at_once(
    follow_ups: FollowUps,
) -> None:
    await follow_ups.write()
    await changed(follow_ups.engine, follow_ups.change)

    assert follow_ups.seen == [(False, True)]


@pytest.mark.parametrize("opening", OPENINGS)
async def test_a_follow_up_that_fails_leaves_the_write_done_and_is_logged(
    opening: str, follow_ups: FollowUps, caplog: pytest.LogCaptureFixture
) -> None:
    follow_ups.fails_with = ConnectionRefusedError(111, "Connection refused")
    with caplog.at_level(logging.WARNING, logger="backend.database"):
        async with OPENINGS[opening](follow_ups.engine):
            await follow_ups.write()
            await changed(follow_ups.engine, follow_ups.change)

    assert follow_ups.seen == [(False, True)]
    assert await follow_ups.row_is_there()
    (logged,) = [r for r in caplog.records if follow_ups.change in r.getMessage()]
    assert logged.levelno == logging.WARNING and "ConnectionRefusedError" in logged.getMessage()
