"""The SQL attempt counters (auth/limits.py): several counted in one statement (`check_all`,
a rating's client address and account) count as `check` one by one does, on both profiles."""

from __future__ import annotations

import secrets

import pytest

from backend.auth import limits
from backend.auth.tables import AttemptCounter
from backend.core.database import write_transaction

pytestmark = pytest.mark.profiles
NOW = 1_800_000_000


async def counted(key: str) -> tuple[int, int] | None:
    row = await AttemptCounter.select().where(AttemptCounter.key == key).first()
    return (row["count"], row["window_start"]) if row else None


async def test_counted_together_as_one_by_one_and_the_longest_wait_given() -> None:
    run = secrets.token_hex(4)
    few, many = limits.Limit(f"few{run}", 2, 600), limits.Limit(f"many{run}", 5, 600)
    together = [(few, "a", NOW), (many, "b", NOW)]
    for _ in range(2):
        await limits.check_all(together)
    assert await counted(f"few{run}:a") == (2, NOW)
    assert await counted(f"many{run}:b") == (2, NOW)

    later = NOW + 100
    with pytest.raises(limits.RateLimited) as refused:
        async with write_transaction(AttemptCounter._meta.db):
            await limits.check_all([(few, "a", later), (many, "b", later)])
    assert refused.value.retry_after == NOW + 600 - later
    assert await counted(f"few{run}:a") == (2, NOW)  # rolled back with the transaction

    # A window past its end starts again at one, for each key on its own.
    await limits.check_all([(few, "a", NOW + 600), (many, "c", NOW + 600)])
    assert await counted(f"few{run}:a") == (1, NOW + 600)
    assert await counted(f"many{run}:c") == (1, NOW + 600)


async def test_one_key_twice_or_other_windows_are_counted_one_by_one() -> None:
    run = secrets.token_hex(4)
    hour, minute = limits.Limit(f"hour{run}", 9, 3600), limits.Limit(f"minute{run}", 9, 60)
    await limits.check_all([(hour, "x", NOW), (hour, "x", NOW)])
    assert await counted(f"hour{run}:x") == (2, NOW)
    await limits.check_all([(hour, "y", NOW), (minute, "y", NOW + 1)])
    assert await counted(f"hour{run}:y") == (1, NOW)
    assert await counted(f"minute{run}:y") == (1, NOW + 1)
