"""/metrics: Litestar's Prometheus integration, labelled by route template, not for the public;
the page cache's hits, and in the scale profile the queue's depth and its jobs' failures."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from backend.core.jobs import enqueue, job_counts_key
from backend.inquiries.importer import import_file
from backend.inquiries.tables import Record
from tests.conftest import BASE_URL, TEST_REDIS_URL, serve
from tests.inquiries.test_records import new_patent_number, record_line, unique_name, write_lines

pytestmark = pytest.mark.profiles
RECORD_ROUTE = "/records/{number}"  # the template, as Litestar names it


@asynccontextmanager
async def on_this_machine(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the loopback address, as Prometheus scraping beside the app would be."""
    async with serve(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(figures: dict, path: str, status: str = "200") -> float:
    return sum(
        value
        for (name, labels), value in figures.items()
        if name == "iph_requests_total"
        and ("path", path) in labels
        and ("status_code", status) in labels
    )


def lookups(figures: dict, result: str) -> float:
    return figures.get(("iph_page_cache_lookups_total", frozenset({("result", result)})), 0)


@pytest.fixture
async def record(tmp_path: Path, client) -> Record:
    number = new_patent_number()
    line = record_line(number, title=f"一种{unique_name()}插秧机")
    result = await import_file(write_lines(tmp_path / "one.jsonl", [line]))
    assert result.created == 1, result.problems
    return await Record.objects().where(Record.number == number).first()


async def test_requests_are_counted_by_route_template_and_page_cache_hits_by_result(
    app, client: httpx.AsyncClient, record: Record
) -> None:
    async with on_this_machine(app) as prometheus:
        before = samples((await prometheus.get("/metrics")).text)
        first = await client.get(f"/records/{record.number}")  # a miss: the app renders it
        again = await client.get(f"/records/{record.number}")  # a hit at the front door
        unknown = await client.get(f"/records/{new_patent_number()}")
        scraped = await prometheus.get("/metrics")
    assert first.status_code == again.status_code == 200 and unknown.status_code == 404
    assert scraped.status_code == 200
    assert scraped.headers["content-type"] == CONTENT_TYPE_LATEST
    after = samples(scraped.text)
    assert requests_of(after, RECORD_ROUTE) - requests_of(before, RECORD_ROUTE) == 1
    assert requests_of(after, RECORD_ROUTE, "404") - requests_of(before, RECORD_ROUTE, "404") == 1
    assert lookups(after, "hit") - lookups(before, "hit") == 1
    assert lookups(after, "miss") - lookups(before, "miss") == 2
    paths = {dict(labels).get("path") for name, labels in after if name == "iph_requests_total"}
    assert not any(record.number in (path or "") for path in paths)
    # Its own scrapes and the health checks are not counted.
    assert not paths & {"/metrics", "/healthz", "/readyz"}


async def test_metrics_are_not_answered_to_the_public(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_with_a_token_metrics_ask_for_it_from_everyone(make_app) -> None:
    token = secrets.token_urlsafe(16)
    app = make_app(metrics_token=token)
    async with on_this_machine(app) as nearby, serve(app) as far:
        assert (await nearby.get("/metrics")).status_code == 401
        wrong = {"Authorization": f"Bearer {token}x"}
        assert (await far.get("/metrics", headers=wrong)).status_code == 401
        right = await far.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert right.status_code == 200 and "iph_page_cache_lookups_total" in right.text


@pytest.mark.skipif(not TEST_REDIS_URL, reason="the queue needs IPH_TEST_REDIS_URL")
async def test_the_scale_profile_reports_its_queue_depth_and_job_failures(make_app, settings):
    app = make_app(store_namespace=f"{settings.store_namespace}m{secrets.token_hex(3)}")
    queue = app.state.jobs
    async with on_this_machine(app) as prometheus:
        for record_id in (1, 2):
            await enqueue(queue, "marks-index", timeout=60, record_ids=[record_id])
        await queue.redis.hincrby(job_counts_key(queue), "send-email|retried", 2)
        await queue.redis.hincrby(job_counts_key(queue), "send-email|failed", 1)
        figures = samples((await prometheus.get("/metrics")).text)
    assert figures[("iph_queue_up", frozenset())] == 1
    assert figures[("iph_queue_jobs", frozenset({("state", "queued")}))] == 2
    assert figures[("iph_queue_jobs", frozenset({("state", "active")}))] == 0
    assert figures[("iph_jobs_retried_total", frozenset({("job", "send-email")}))] == 2
    assert figures[("iph_jobs_failed_total", frozenset({("job", "send-email")}))] == 1
