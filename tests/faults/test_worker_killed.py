"""One of two web workers killed (SIGKILL) while people send reviews and matters, each send with
its own idempotency key and sent again, with that key, when the connection fails: every
submission a client saw accepted is stored exactly once, and none is stored twice."""

from __future__ import annotations

import asyncio
import re
import signal

import asyncpg
import pytest

from tests.faults.cluster import Cluster
from tests.faults.conftest import live_urls
from tests.faults.load import Browser, Outcome, bounded, hidden_fields

pytestmark = pytest.mark.faults
REVIEWS = 60
MATTERS = 12
CONCURRENCY = 8


async def rate_the_desk(visitor: Browser, desk: str) -> Outcome:
    page = await visitor.get(f"/rate/{desk}")
    assert page.status_code == 200, page.text[:300]
    form = {**hidden_fields(page.text), "level": "4", "anonymous": "yes"}
    return await visitor.post_form(f"/rate/{desk}", form)


async def desk_reviews(cluster: Cluster) -> list[int]:
    database = await asyncpg.connect(cluster.database_url)
    try:
        rows = await database.fetch(
            "SELECT id FROM review WHERE outlet_id = $1 AND kind = 'desk'",
            cluster.seeded["outlet"],
        )
    finally:
        await database.close()
    return [row["id"] for row in rows]


async def test_a_web_worker_killed_during_submissions_loses_none_and_stores_none_twice(
    cluster: Cluster, applicant: Browser
) -> None:
    desk = cluster.seeded["desk_code"]
    reviews_before = set(await desk_reviews(cluster))
    drafts = [await applicant.matter_ready_to_send() for _ in range(MATTERS)]
    visitors = [Browser(lambda: live_urls(cluster), cluster.var / "outbox") for _ in range(4)]
    doomed = cluster.web[1]
    accepted_so_far = 0

    async def counted(submission) -> Outcome:
        nonlocal accepted_so_far
        outcome = await submission
        accepted_so_far += outcome.accepted
        return outcome

    async def kill_midway() -> None:
        while accepted_so_far < (REVIEWS + MATTERS) // 4:
            await asyncio.sleep(0.02)
        doomed.send(signal.SIGKILL)

    sends = [applicant.post_form(f"/my/matters/{d['reference']}/send", d) for d in drafts] + [
        rate_the_desk(visitors[n % len(visitors)], desk) for n in range(REVIEWS)
    ]
    try:
        async with asyncio.timeout(240):
            killer = asyncio.create_task(kill_midway())
            outcomes = await bounded(CONCURRENCY, [counted(send) for send in sends])
            await killer
    finally:
        for visitor in visitors:
            await visitor.aclose()
    doomed.popen.wait(timeout=10)
    assert doomed.popen.returncode == -signal.SIGKILL

    matter_outcomes, review_outcomes = outcomes[:MATTERS], outcomes[MATTERS:]
    assert all(o.accepted for o in outcomes), [o.statuses for o in outcomes if not o.accepted]
    retried = [o.statuses for o in outcomes if o.attempts > 1]
    assert retried, "the kill met no request in flight or queued for the worker"
    review_ids = [int(re.search(r"review=(\d+)", o.location).group(1)) for o in review_outcomes]
    assert len(set(review_ids)) == REVIEWS
    for o, draft in zip(matter_outcomes, drafts, strict=True):
        assert o.location == f"/my/matters/{draft['reference']}?sent=1"

    stored_reviews = set(await desk_reviews(cluster)) - reviews_before
    database = await asyncpg.connect(cluster.database_url)
    try:
        sent_events = await database.fetch(
            "SELECT m.reference, count(*) AS sends FROM matter_event e"
            " JOIN matter m ON m.id = e.matter WHERE m.reference = ANY($1::text[])"
            " AND e.to_status = 'submitted' GROUP BY m.reference",
            [d["reference"] for d in drafts],
        )
    finally:
        await database.close()
    assert stored_reviews == set(review_ids)
    assert {row["reference"]: row["sends"] for row in sent_events} == {
        d["reference"]: 1 for d in drafts
    }
