"""A bounded soak of the scale profile: a minute of mixed reading and sending on both web
workers, no 5xx, and each process's memory flat: its resident size at the end within
RSS_GROWTH of what it was after the warm-up (VmRSS, /proc/<pid>/status).

IPH_SOAK_SECONDS makes it longer (docs/decisions/scale-faults.md has a 3-minute run)."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import httpx
import pytest

from tests.faults.cluster import Cluster
from tests.faults.load import Browser, hidden_fields

pytestmark = pytest.mark.faults
SOAK_SECONDS = float(os.environ.get("IPH_SOAK_SECONDS", "45"))
WARM_UP_SECONDS = SOAK_SECONDS / 4
RSS_GROWTH = 0.10
CONCURRENCY = 6
PAGES = ("/", "/guides", "/matters", "/outlets", "/gi", "/search?q=专利", "/my/matters")


async def test_a_soak_answers_no_5xx_and_keeps_each_workers_memory_flat(
    cluster: Cluster, applicant: Browser
) -> None:
    desk = cluster.seeded["desk_code"]
    statuses: Counter[int | str] = Counter()
    failures: list[str] = []
    processes = [*cluster.web, cluster.worker]
    samples: dict[str, list[tuple[float, int]]] = {p.name: [] for p in processes}
    started = time.monotonic()
    stop = asyncio.Event()

    async def one_person(number: int) -> None:
        worker = cluster.web[number % len(cluster.web)].url
        client = applicant.client
        turn = number
        while not stop.is_set():
            turn += 1
            try:
                if turn % 5 == 0:  # one in five: a rating of the desk, with its own key
                    form = hidden_fields((await client.get(f"{worker}/rate/{desk}")).text)
                    form |= {
                        "level": "5",
                        "anonymous": "yes",
                        "_csrf_token": await applicant.csrf(),
                    }
                    response = await client.post(f"{worker}/rate/{desk}", data=form)
                else:
                    response = await client.get(worker + PAGES[turn % len(PAGES)])
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{response.request.url}: {response.status_code}")
            except httpx.TransportError as error:
                statuses[type(error).__name__] += 1
                failures.append(repr(error))

    async def sample_memory() -> None:
        while not stop.is_set():
            for process in processes:
                samples[process.name].append((time.monotonic() - started, process.rss_kib()))
            await asyncio.sleep(2)

    people = [asyncio.create_task(one_person(n)) for n in range(CONCURRENCY)]
    sampler = asyncio.create_task(sample_memory())
    await asyncio.sleep(SOAK_SECONDS)
    stop.set()
    await asyncio.gather(*people, sampler)

    assert not failures, failures[:10]
    assert all(process.running for process in processes)
    for name, rss in samples.items():
        warm = [kib for at, kib in rss if at >= WARM_UP_SECONDS]
        print(  # the figures for docs/decisions/scale-faults.md (pytest -s)
            f"{name}: RSS {rss[0][1] / 1024:.0f} MiB at start, {warm[0] / 1024:.0f} after the"
            f" warm-up, {warm[-1] / 1024:.0f} at the end (max {max(warm) / 1024:.0f})"
        )
        assert warm[-1] <= warm[0] * (1 + RSS_GROWTH), (name, rss)
    total = sum(statuses.values())
    print(
        f"{total} requests in {SOAK_SECONDS:g} s ({total / SOAK_SECONDS:.0f}/s): {dict(statuses)}"
    )
    assert statuses[200] > 0 and statuses[303] > 0
