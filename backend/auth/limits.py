"""Atomic attempt counters for sign-in, code requests and recovery (SECURITY.md gotcha 3).

One SQL upsert per attempt: atomic on SQLite and PostgreSQL alike, shared by every worker,
and immune to Litestar's read-modify-write limiter race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backend.auth.tables import AttemptCounter
from backend.core.database import execute


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window_seconds: int


CODE_REQUESTS_PER_ADDRESS = Limit("code-address", 5, 3600)
CODE_REQUESTS_PER_CLIENT = Limit("code-client", 20, 3600)
SIGN_IN_ATTEMPTS_PER_CLIENT = Limit("sign-in-client", 30, 600)
CODE_TRIES = Limit("code-tries", 5, 600)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


_UPSERT = f"""
INSERT INTO {AttemptCounter._meta.tablename} (key, window_start, count) VALUES ({{}}, {{}}, 1)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN {AttemptCounter._meta.tablename}.window_start <= {{}}
          THEN 1 ELSE {AttemptCounter._meta.tablename}.count + 1 END,
  window_start = CASE WHEN {AttemptCounter._meta.tablename}.window_start <= {{}}
          THEN excluded.window_start ELSE {AttemptCounter._meta.tablename}.window_start END
RETURNING count, window_start
"""


async def count_attempt(key: str, window_seconds: int, now: int) -> tuple[int, int]:
    """Add one attempt to `key`; returns (attempts in the current window, window start)."""
    expired_before = now - window_seconds
    rows = await execute(AttemptCounter, _UPSERT, key[:200], now, expired_before, expired_before)
    return rows[0]["count"], rows[0]["window_start"]


async def check(limit: Limit, subject: str, now: int) -> None:
    """Count one attempt against the limit; raise RateLimited once it is exceeded."""
    attempts, window_start = await count_attempt(
        f"{limit.name}:{subject}", limit.window_seconds, now
    )
    if attempts > limit.attempts:
        raise RateLimited(max(1, window_start + limit.window_seconds - now))


def _upsert_of(count: int) -> str:
    """_UPSERT for `count` keys with one window and one clock."""
    rows = ", ".join("({}, {}, 1)" for _ in range(count))
    return _UPSERT.replace("VALUES ({}, {}, 1)", f"VALUES {rows}").replace(
        "RETURNING count", "RETURNING key, count"
    )


async def check_all(counted: Sequence[tuple[Limit, str, int]]) -> None:
    """`check` each (limit, subject, now); one statement when they share a window and a clock
    (a rating counts its client address and its account: one round trip, not two, in its
    transaction). RateLimited, with the longest wait, when any is exceeded: in the caller's
    transaction, rolled back with it, as if counted one by one."""
    keys = [f"{limit.name}:{subject}"[:200] for limit, subject, _ in counted]
    clocks = {(limit.window_seconds, now) for limit, _, now in counted}
    if len(keys) < 2 or len(clocks) > 1 or len(set(keys)) < len(keys):
        # (PostgreSQL refuses an upsert that meets one key twice.)
        for limit, subject, now in counted:
            await check(limit, subject, now)
        return
    ((window_seconds, now),) = clocks
    expired_before = now - window_seconds
    args = [value for key in keys for value in (key, now)]
    rows = await execute(
        AttemptCounter, _upsert_of(len(keys)), *args, expired_before, expired_before
    )
    counts = {row["key"]: row for row in rows}
    waits = [
        max(1, counts[key]["window_start"] + limit.window_seconds - now)
        for key, (limit, _, _) in zip(keys, counted, strict=True)
        if counts[key]["count"] > limit.attempts
    ]
    if waits:
        raise RateLimited(max(waits))


async def first_use(key: str, now: int, window_seconds: int = 3600) -> bool:
    """True for the first caller only, however many workers ask at once (single-use tokens)."""
    attempts, _ = await count_attempt(f"once:{key}", window_seconds, now)
    return attempts == 1
