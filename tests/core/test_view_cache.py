"""Parts of signed-in pages kept rendered (core/view_cache.py): a part is rendered once and
kept, per subject and key; forgetting a subject renders its parts afresh and leaves the others
kept; a render that began before a forgetting is not kept after it; with the store away, a part
is rendered every time. In files and, with IPH_TEST_REDIS_URL, in Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.core.stores import LocalFileStore, SharedRedisStore, redis_client
from backend.core.view_cache import KeptViews
from tests.conftest import TEST_REDIS_URL

pytestmark = pytest.mark.profiles
STORES = ["files", "redis"]


@pytest.fixture(params=STORES)
async def kept(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[KeptViews]:
    if request.param == "files":
        yield KeptViews(LocalFileStore(tmp_path))
        return
    if not TEST_REDIS_URL:
        pytest.skip("IPH_TEST_REDIS_URL is not set")
    store = SharedRedisStore(
        redis=redis_client(TEST_REDIS_URL), namespace=f"test-views-{secrets.token_hex(4)}"
    )
    yield KeptViews(store)
    await store.delete_all()
    await store._redis.aclose()


class Renders:
    """A part's render, counting how often it ran."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.count = 0

    async def __call__(self) -> str:
        self.count += 1
        return self.html


async def test_a_part_is_rendered_once_per_subject_and_key(kept: KeptViews) -> None:
    here, other_key, other_subject = Renders("<p>1</p>"), Renders("<p>2</p>"), Renders("<p>3</p>")
    for _ in range(3):
        assert await kept.view("outlet|1", "zh_Hans", here) == "<p>1</p>"
        assert await kept.view("outlet|1", "en", other_key) == "<p>2</p>"
        assert await kept.view("outlet|2", "zh_Hans", other_subject) == "<p>3</p>"

    assert (here.count, other_key.count, other_subject.count) == (1, 1, 1)


async def test_forgetting_a_subject_renders_its_parts_afresh_and_keeps_the_others(
    kept: KeptViews,
) -> None:
    here, there = Renders("<p>before</p>"), Renders("<p>there</p>")
    await kept.view("outlet|1", "k", here)
    await kept.view("outlet|2", "k", there)
    here.html = "<p>after</p>"

    await kept.forget(["outlet|1"])

    assert await kept.view("outlet|1", "k", here) == "<p>after</p>"
    assert await kept.view("outlet|2", "k", there) == "<p>there</p>"
    assert (here.count, there.count) == (2, 1)


async def test_a_render_begun_before_a_forgetting_is_not_kept_after_it(kept: KeptViews) -> None:
    async def straddling() -> str:  # reads its data, then the write commits and forgets
        await kept.forget(["outlet|1"])
        return "<p>old</p>"

    assert await kept.view("outlet|1", "k", straddling) == "<p>old</p>"
    fresh = Renders("<p>new</p>")
    assert await kept.view("outlet|1", "k", fresh) == "<p>new</p>" and fresh.count == 1


async def test_with_redis_away_a_part_is_rendered_every_time() -> None:
    away = KeptViews(SharedRedisStore(redis=redis_client("redis://127.0.0.1:1/0"), namespace="x"))
    part = Renders("<p>shown</p>")
    for _ in range(2):
        assert await away.view("outlet|1", "k", part) == "<p>shown</p>"
    assert part.count == 2


def count_reads(kept: KeptViews) -> list[int]:
    """A list whose length is the store reads answered from now on."""
    answered: list[int] = []
    read = kept.store.get

    async def counted(*args, **kwargs):
        value = await read(*args, **kwargs)
        answered.append(1)
        return value

    kept.store.get = counted  # type: ignore[method-assign]
    return answered


async def every_read_done(answered: list[int], count: int) -> None:
    """Until `count` reads were answered; then one turn of the loop, for the requests that read
    them to reach the render under way (no await lies between)."""
    for _ in range(1000):
        if len(answered) >= count:
            await asyncio.sleep(0)
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"only {len(answered)} of {count} reads answered")


async def test_requests_that_miss_a_part_at_once_wait_for_one_render(kept: KeptViews) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    count = 0

    async def slow() -> str:
        nonlocal count
        count += 1
        started.set()
        await release.wait()
        return "<p>once</p>"

    first = asyncio.create_task(kept.view("outlet|1", "k", slow))
    await started.wait()
    reads = count_reads(kept)
    others = [asyncio.create_task(kept.view("outlet|1", "k", slow)) for _ in range(31)]
    await every_read_done(reads, 2 * 31)  # each: the generation and the part, missed
    release.set()

    assert await asyncio.gather(first, *others) == ["<p>once</p>"] * 32
    assert count == 1


async def test_when_the_shared_render_fails_each_waiting_request_renders_its_own(
    kept: KeptViews,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def failing() -> str:
        started.set()
        await release.wait()
        raise ConnectionResetError("the client went away")

    first = asyncio.create_task(kept.view("outlet|1", "k", failing))
    await started.wait()
    reads = count_reads(kept)
    waiting = asyncio.create_task(kept.view("outlet|1", "k", Renders("<p>own</p>")))
    await every_read_done(reads, 2)
    release.set()

    with pytest.raises(ConnectionResetError):
        await first
    assert await waiting == "<p>own</p>"
