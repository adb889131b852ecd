"""Doing a submission once under its Idempotency-Key (SECURITY.md: "Idempotency").

The client makes the key once, when the person submits, and keeps it with the payload; a retry
after a lost answer, a double tap or an offline queue sending again all carry the same key.
`once` claims the key by inserting its record first, in the same transaction as the business
write, so that the key's unique index decides between concurrent submissions: the first holds the
row until it commits, the others wait on it (PostgreSQL's index, SQLite's write lock), then find
it and get the first answer. The claim is one `INSERT … ON CONFLICT DO NOTHING RETURNING` (it
answers whether the key was free: the look-up and the insert in one statement), and the answer is
written into the claimed row by its id (or with the claim, when the caller knows it before the
write); a repeat reads the first answer in the same transaction.
The same key with another payload is refused (422), never run. There is no "in progress" answer
to give: the claim and the write commit together or not at all. Records live `KEPT_FOR` (longer
than any plausible offline period), then `forget_old` drops them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from backend.core.database import execute, write_transaction
from backend.idempotency.tables import IdempotencyRecord

KEPT_FOR = dt.timedelta(days=30)
MAX_KEY_LENGTH = 100
_PENDING = "null"  # the claimed record's answer until the write has made one


class KeyReused(Exception):
    """The key was used before with another payload: a client bug, answered 422."""


class InvalidKey(ValueError):
    """Not a key: empty, too long, or not printable ASCII."""


def fingerprint_of(payload: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidKey(key)
    return key


async def once(
    scope: str,
    owner: str,
    key: str,
    payload: Any,
    write: Callable[[], Awaitable[Any]],
    known_answer: Any = None,
    then: Callable[[], Awaitable[object]] | None = None,
) -> tuple[Any, bool]:
    """(the answer, whether it is a repeat). `write` runs at most once per (scope, owner, key),
    inside this transaction; its answer (msgspec-encodable) is stored and given to every repeat.
    Raises KeyReused for the same key with another payload. `known_answer`: the answer, when the
    caller knows it before writing (a matter's reference): stored with the claim, one statement
    less, and `write`'s own answer not used. `then`: the rest of the write, run with it (once,
    in this transaction) after the answer is stored: rows many submissions share (counters) are
    then locked for the commit only (PostgreSQL holds a row's lock until the commit)."""
    natural_key = f"{scope}|{owner}|{check_key(key)}"
    fingerprint = fingerprint_of(payload)
    answer_now = _PENDING if known_answer is None else msgspec.json.encode(known_answer).decode()
    async with write_transaction(IdempotencyRecord._meta.db):
        claimed = await execute(
            IdempotencyRecord, _CLAIM, natural_key, fingerprint, answer_now, dt.datetime.now(dt.UTC)
        )
        if claimed:
            answer = await write()
            if known_answer is None:
                encoded = msgspec.json.encode(answer).decode()
                await execute(IdempotencyRecord, _ANSWER, encoded, claimed[0]["id"])
            else:
                answer = known_answer
            if then is not None:
                await then()
            return answer, False
        # Taken: by a submission that committed before this transaction began (on PostgreSQL the
        # claim waited for it to end), so its answer is there to read.
        (stored,) = await IdempotencyRecord.raw(_STORED, natural_key)
    return _repeat(stored, fingerprint), True


_TABLE = IdempotencyRecord._meta.tablename
_CLAIM = (
    f"INSERT INTO {_TABLE} (natural_key, fingerprint, response, created_at) "
    "VALUES ({}, {}, {}, {}) ON CONFLICT (natural_key) DO NOTHING RETURNING id"
)
_ANSWER = f"UPDATE {_TABLE} SET response = {{}} WHERE id = {{}}"
_STORED = f"SELECT fingerprint, response FROM {_TABLE} WHERE natural_key = {{}}"


def _repeat(stored: dict[str, Any], fingerprint: str) -> Any:
    if stored["fingerprint"] != fingerprint:
        raise KeyReused
    return msgspec.json.decode(stored["response"])


async def forget_old(now: dt.datetime | None = None) -> int:
    """Drop the records older than KEPT_FOR; returns how many."""
    before = (now or dt.datetime.now(dt.UTC)) - KEPT_FOR
    old = await IdempotencyRecord.count().where(IdempotencyRecord.created_at < before)
    if old:
        await IdempotencyRecord.delete().where(IdempotencyRecord.created_at < before)
    return old
