"""`idempotency.once`: a submission made once under its key, whatever the repeats and races
(SECURITY.md "Idempotency"), on SQLite and on PostgreSQL. The business write here is a real one
(an outlet row), so that "once" is counted in the database, not in the test."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from backend.idempotency import service
from backend.idempotency.tables import IdempotencyRecord
from backend.outlets.tables import Outlet

pytestmark = pytest.mark.profiles


def an_outlet_write(name: str, calls: list[str]):
    async def write() -> dict:
        calls.append(name)
        await Outlet.insert(Outlet(name=name, type=Outlet.Type.tisc, source="test"))
        row = await Outlet.select(Outlet.id).where(Outlet.name == name).first()
        return {"outlet": row["id"]}

    return write


async def outlets_named(name: str) -> int:
    return await Outlet.count().where(Outlet.name == name)


async def test_the_same_key_twice_writes_once_and_answers_the_same() -> None:
    key, name, calls = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}", []
    first, repeated = await service.once(
        "test", "account:1", key, {"a": 1}, an_outlet_write(name, calls)
    )
    again, repeated_again = await service.once(
        "test", "account:1", key, {"a": 1}, an_outlet_write(name, calls)
    )
    assert (repeated, repeated_again) == (False, True)
    assert first == again and calls == [name]
    assert await outlets_named(name) == 1


async def test_the_same_key_with_another_payload_is_refused_and_writes_nothing() -> None:
    key, name, calls = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}", []
    await service.once("test", "account:1", key, {"a": 1}, an_outlet_write(name, calls))
    with pytest.raises(service.KeyReused):
        await service.once("test", "account:1", key, {"a": 2}, an_outlet_write(name + "乙", calls))
    assert calls == [name] and await outlets_named(name + "乙") == 0


async def test_a_key_is_owned_by_its_person_and_scope() -> None:
    key, calls = secrets.token_urlsafe(16), []
    names = [f"测试网点{secrets.token_hex(4)}" for _ in range(3)]
    for (scope, owner), name in zip(
        [("test", "account:1"), ("test", "account:2"), ("other", "account:1")], names, strict=True
    ):
        _, repeated = await service.once(scope, owner, key, {}, an_outlet_write(name, calls))
        assert not repeated
    assert calls == names


async def test_twenty_concurrent_submissions_with_one_key_write_once() -> None:
    key, name, calls = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}", []
    answers = await asyncio.gather(
        *(
            service.once("test", "account:1", key, {"a": 1}, an_outlet_write(name, calls))
            for _ in range(20)
        )
    )
    assert calls == [name] and await outlets_named(name) == 1
    assert len({str(answer) for answer, _ in answers}) == 1
    assert sorted(repeated for _, repeated in answers) == [False] + [True] * 19


async def test_a_failing_write_leaves_neither_the_write_nor_the_key() -> None:
    key, name = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}"

    async def write_then_fail() -> dict:
        await Outlet.insert(Outlet(name=name, type=Outlet.Type.tisc, source="test"))
        raise RuntimeError("the business rule refused it")

    with pytest.raises(RuntimeError):
        await service.once("test", "account:1", key, {}, write_then_fail)
    assert await outlets_named(name) == 0
    assert not await IdempotencyRecord.exists().where(IdempotencyRecord.natural_key.like(f"%{key}"))
    calls: list[str] = []
    _, repeated = await service.once("test", "account:1", key, {}, an_outlet_write(name, calls))
    assert not repeated and calls == [name]


async def test_an_answer_known_up_front_is_the_one_every_repeat_gets() -> None:
    key, name, calls = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}", []
    known = {"reference": name}
    answers = await asyncio.gather(
        *(
            service.once(
                "test", "account:1", key, {}, an_outlet_write(name, calls), known_answer=known
            )
            for _ in range(5)
        )
    )
    assert calls == [name] and await outlets_named(name) == 1
    assert [answer for answer, _ in answers] == [known] * 5
    assert sorted(repeated for _, repeated in answers) == [False] + [True] * 4


async def test_a_failing_write_with_a_known_answer_leaves_no_key() -> None:
    key = secrets.token_urlsafe(16)

    async def refused() -> None:
        raise RuntimeError("the business rule refused it")

    with pytest.raises(RuntimeError):
        await service.once("test", "account:1", key, {}, refused, known_answer={"reference": "x"})
    assert not await IdempotencyRecord.exists().where(IdempotencyRecord.natural_key.like(f"%{key}"))


async def test_the_rest_of_a_write_runs_once_after_it_and_fails_with_it() -> None:
    key, name, calls = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}", []

    async def then() -> None:
        calls.append("then")

    for _ in range(2):
        await service.once("test", "account:1", key, {}, an_outlet_write(name, calls), then=then)
    assert calls == [name, "then"]

    other_key, other_name = secrets.token_urlsafe(16), f"测试网点{secrets.token_hex(4)}"

    async def refused() -> None:
        raise RuntimeError("over the limit")

    with pytest.raises(RuntimeError):
        await service.once(
            "test", "account:1", other_key, {}, an_outlet_write(other_name, []), then=refused
        )
    assert await outlets_named(other_name) == 0
    natural_key = IdempotencyRecord.natural_key.like(f"%{other_key}")
    assert not await IdempotencyRecord.exists().where(natural_key)


@pytest.mark.parametrize("key", ["", "x" * 101, "键", "a\nb"])
def test_a_key_that_is_not_one_is_refused(key: str) -> None:
    with pytest.raises(service.InvalidKey):
        service.check_key(key)


async def test_keys_are_forgotten_after_the_kept_period_and_not_before() -> None:
    old_key, recent_key, calls = secrets.token_urlsafe(16), secrets.token_urlsafe(16), []
    for key in (old_key, recent_key):
        name = f"测试网点{secrets.token_hex(4)}"
        await service.once("test", "account:1", key, {}, an_outlet_write(name, calls))
    later = datetime.now(UTC) + service.KEPT_FOR + timedelta(minutes=1)
    natural = {key: f"test|account:1|{key}" for key in (old_key, recent_key)}
    await IdempotencyRecord.update({IdempotencyRecord.created_at: later - service.KEPT_FOR}).where(
        IdempotencyRecord.natural_key == natural[recent_key]
    )

    await service.forget_old(later)

    kept = await IdempotencyRecord.select(IdempotencyRecord.natural_key).where(
        IdempotencyRecord.natural_key.is_in(list(natural.values()))
    )
    assert [row["natural_key"] for row in kept] == [natural[recent_key]]
