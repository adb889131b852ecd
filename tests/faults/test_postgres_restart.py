"""PostgreSQL restarted (a fast shutdown, 3 s away, started again) or frozen while people read
and send: /readyz says not ready, requests answer 503 (at once when it is down, within the
timeouts when it is frozen), never 500, and every web worker serves again within 10 s of the
database's return, without being restarted."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import pytest

from backend.core.database import (
    CONNECT_TIMEOUT_SECONDS,
    RELEASE_SECONDS,
    REQUEST_STATEMENT_SECONDS,
)
from tests.faults.cluster import Cluster
from tests.faults.load import Browser

pytestmark = pytest.mark.faults
DOWN_SECONDS = 3.0
BACK_WITHIN = 10.0
FROZEN_SECONDS = 9.0
FAST = 2.0  # seconds: a 503 that took longer was waiting on something (it is 1 s at most)


@dataclass
class Answer:
    worker: str
    path: str
    at: float
    seconds: float
    status: int | str


async def keep_asking(
    client: httpx.AsyncClient, url: str, path: str, until: asyncio.Event, answers: list[Answer]
) -> None:
    while not until.is_set():
        started = time.monotonic()
        try:
            status: int | str = (await client.get(url + path)).status_code
        except httpx.TransportError as error:
            status = type(error).__name__
        answers.append(Answer(url, path, started, time.monotonic() - started, status))
        await asyncio.sleep(0.05)


async def test_postgresql_restarted_under_load_means_503s_then_service_without_a_restart(
    cluster: Cluster, applicant: Browser
) -> None:
    answers: list[Answer] = []
    stop = asyncio.Event()
    paths = ("/readyz", "/guides", "/my/matters", f"/rate/{cluster.seeded['desk_code']}")
    askers = [
        asyncio.create_task(keep_asking(applicant.client, worker.url, path, stop, answers))
        for worker in cluster.web
        for path in paths
    ]
    pids = [worker.popen.pid for worker in cluster.web]
    try:
        await asyncio.sleep(1.0)
        went_down = time.monotonic()
        await asyncio.to_thread(cluster.stop_postgres)
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(cluster.start_postgres)
        came_back = time.monotonic()
        await asyncio.sleep(BACK_WITHIN + 1)
    finally:
        stop.set()
        await asyncio.gather(*askers)

    assert [worker.popen.pid for worker in cluster.web] == pids  # nobody restarted them
    assert all(worker.running for worker in cluster.web)
    before = [a for a in answers if a.at + a.seconds < went_down]
    during = [a for a in answers if went_down + 0.5 < a.at and a.at + a.seconds < came_back]
    assert before and {a.status for a in before} == {200}, {a.status for a in before}
    # Never a 500 or a dropped connection, before, during or after.
    assert {a.status for a in answers} <= {200, 503}, {a.status for a in answers}
    for worker in cluster.web:
        seen = {(a.path, a.status) for a in during if a.worker == worker.url}
        assert ("/readyz", 503) in seen and ("/guides", 503) in seen, seen
    unavailable = [a for a in answers if a.status == 503]
    assert max(a.seconds for a in unavailable) < FAST, max(a.seconds for a in unavailable)
    for worker in cluster.web:
        last_refusal = max(
            (a.at + a.seconds for a in unavailable if a.worker == worker.url), default=came_back
        )
        assert last_refusal - came_back < BACK_WITHIN, last_refusal - came_back
        after = [a for a in answers if a.worker == worker.url and a.at > last_refusal]
        assert after and {a.status for a in after} == {200}
        print(  # the figures for docs/decisions/scale-faults.md (pytest -s)
            f"{worker.name}: served again {last_refusal - came_back:.2f} s after PostgreSQL"
            f" was back; slowest 503 {max(a.seconds for a in unavailable):.3f} s;"
            f" {len(unavailable)} 503s of {len(answers)} answers"
        )


async def test_a_frozen_postgresql_costs_requests_seconds_not_a_hang_and_service_resumes(
    cluster: Cluster, applicant: Browser
) -> None:
    """Every PostgreSQL process stopped (SIGSTOP): connections are taken and never answered.
    A statement on a pooled connection gives up after its bound, plus a second for the cancel;
    a new connection after one second. Resumed (SIGCONT), the workers serve again at once."""
    answers: list[Answer] = []
    stop = asyncio.Event()
    askers = [
        asyncio.create_task(keep_asking(applicant.client, worker.url, path, stop, answers))
        for worker in cluster.web
        for path in ("/readyz", "/guides", "/guides")
    ]
    try:
        await asyncio.sleep(0.5)
        froze = time.monotonic()
        cluster.freeze_postgres()
        try:
            await asyncio.sleep(FROZEN_SECONDS)
        finally:
            cluster.thaw_postgres()
        thawed = time.monotonic()
        await asyncio.sleep(3)
    finally:
        stop.set()
        await asyncio.gather(*askers)

    assert {a.status for a in answers} <= {200, 503}, {a.status for a in answers}
    longest = max(a.seconds for a in answers)
    assert longest < REQUEST_STATEMENT_SECONDS + RELEASE_SECONDS + 2, longest
    during = [a for a in answers if froze + longest < a.at and a.at + a.seconds < thawed]
    assert during and {a.status for a in during} == {503}, {a.status for a in during}
    assert max(a.seconds for a in during) < CONNECT_TIMEOUT_SECONDS + 1
    after = [a for a in answers if a.at > thawed + 1]
    assert after and {a.status for a in after} == {200}
    print(
        f"frozen PostgreSQL: longest answer {longest:.2f} s,"
        f" then {max(a.seconds for a in during):.2f} s at most"
    )
