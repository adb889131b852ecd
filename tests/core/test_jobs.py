"""Background jobs: the embedded scheduler, and the scale profile's Redis queue and worker."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from saq import Status

from backend.auth.service import ensure_account
from backend.auth.tables import Account
from backend.core import jobs
from backend.core.jobs import JobWorker, PeriodicJob, enqueue, enqueue_due, run_key, worker_for
from backend.core.request_log import with_request_log
from backend.core.scheduler import Scheduler
from backend.notifications.service import set_preferences
from backend.notifications.tables import PushSubscription
from tests.conftest import TEST_REDIS_URL, serve
from tests.notifications.test_push import BrowserSubscription, push_service, status_message

__all__ = ["push_service"]  # the local push service fixture, shared with the push tests

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="the queue needs IPH_TEST_REDIS_URL")


class Counter:
    """A job that counts its runs; `reached(n)` waits (a few seconds at most) for the n-th."""

    def __init__(self, failures: int = 0) -> None:
        self.runs = 0
        self.failures = failures
        self._changed = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self._changed.set()
        if self.runs <= self.failures:
            raise RuntimeError(f"run {self.runs} fails")

    async def reached(self, runs: int) -> None:
        async def wait() -> None:
            while self.runs < runs:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout=5)


# The embedded profile's scheduler


async def test_the_scheduler_runs_a_job_shortly_after_start_then_every_period() -> None:
    job = Counter()
    scheduler = Scheduler(first_run_after=0)
    scheduler.every(0.01, "tick", job)
    await scheduler.start()
    try:
        await job.reached(3)
    finally:
        await scheduler.stop()


async def test_a_daily_job_runs_at_start_up_not_a_day_later() -> None:
    """A process restarted more often than daily still runs its daily jobs."""
    job = Counter()
    scheduler = Scheduler(first_run_after=0.01)
    scheduler.every(24 * 3600, "daily", job)
    await scheduler.start()
    try:
        await job.reached(1)
    finally:
        await scheduler.stop()
    assert job.runs == 1


async def test_a_failed_scheduled_run_is_logged_and_the_schedule_goes_on(caplog) -> None:
    job = Counter(failures=1)
    scheduler = Scheduler(first_run_after=0)
    scheduler.every(0.01, "flaky", job)
    await scheduler.start()
    try:
        await job.reached(2)
    finally:
        await scheduler.stop()
    assert "scheduled job flaky failed" in caplog.text


@pytest.mark.profiles
def test_both_profiles_have_the_periodic_jobs_and_only_the_scale_profile_a_queue(app) -> None:
    expected = {
        "purge-audit-log",
        "deadline-reminders",
        "purge-api-calls",
        "forget-idempotency-keys",
        "escalate-overdue-rectifications",
        "forget-failed-jobs",
    }
    assert {job.name for job in app.state.periodic_jobs} == expected
    assert (app.state.jobs is None) is (not TEST_REDIS_URL)


# The scale profile's queue and worker


@pytest.fixture
def queued_app(make_app, settings):
    """An app with a queue of its own: the session's worker (conftest) does not take its jobs."""
    return make_app(store_namespace=f"{settings.store_namespace}q{secrets.token_hex(3)}")


@asynccontextmanager
async def running(worker: JobWorker) -> AsyncIterator[JobWorker]:
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop()
        await task


def counted(job: PeriodicJob, counter: Callable) -> PeriodicJob:
    return replace(job, run=counter)


async def finished(queue, key: str, timeout: float = 10) -> Status:
    async def wait() -> Status:
        while (job := await queue.job(key)) is None or job.status not in {
            Status.COMPLETE,
            Status.FAILED,
        }:
            await asyncio.sleep(0.02)
        return job.status

    return await asyncio.wait_for(wait(), timeout=timeout)


@pytest.mark.profiles
@needs_redis
async def test_the_daily_reminder_run_enqueued_twice_at_once_runs_once(queued_app) -> None:
    queue = queued_app.state.jobs
    scan = Counter()
    reminders = counted(
        next(j for j in queued_app.state.periodic_jobs if j.name == "deadline-reminders"), scan
    )
    key = run_key(reminders, NOW)
    assert key == "deadline-reminders:2025-03-01T00:05"

    first, second = await asyncio.gather(
        enqueue_due(queue, [reminders], NOW), enqueue_due(queue, [reminders], NOW)
    )
    assert sorted([first, second]) == [[], [key]]

    workers = [JobWorker(queue, [reminders], clock=lambda: NOW, signals=False) for _ in range(2)]
    async with running(workers[0]), running(workers[1]):
        assert await finished(queue, key) == Status.COMPLETE
        # Later that day (a worker restarted, another started) nothing more is enqueued.
        assert await enqueue_due(queue, [reminders], NOW + timedelta(hours=5)) == []
        assert await queue.count("incomplete") == 0
    assert scan.runs == 1
    # The next day's run is a new one.
    tomorrow = await enqueue_due(queue, [reminders], NOW + timedelta(days=1))
    assert tomorrow == ["deadline-reminders:2025-03-02T00:05"]


@pytest.mark.profiles
@needs_redis
async def test_a_worker_enqueues_the_periodic_runs_due_when_it_starts(queued_app) -> None:
    queue = queued_app.state.jobs
    purge, scan = Counter(), Counter()
    periodic = [
        counted(job, purge if job.name == "purge-audit-log" else scan)
        for job in queued_app.state.periodic_jobs
    ]
    async with running(JobWorker(queue, periodic, clock=lambda: NOW, signals=False)):
        await purge.reached(1)
        await scan.reached(1)
        assert await finished(queue, "purge-audit-log:2025-02-28T19:30") == Status.COMPLETE


@pytest.mark.profiles
@needs_redis
async def test_a_failed_job_is_logged_and_retried_and_the_worker_goes_on(
    queued_app, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(jobs, "RETRY_DELAY_SECONDS", 0)
    queue = queued_app.state.jobs
    flaky = Counter(failures=1)
    job = PeriodicJob("flaky", "0 * * * *", timedelta(hours=1), flaky)
    worker = JobWorker(queue, [job], tick=0.01, clock=lambda: NOW, signals=False)
    with caplog.at_level(logging.ERROR, logger="saq"):
        async with running(worker):
            assert await finished(queue, "flaky:2025-03-01T09:00") == Status.COMPLETE
    assert flaky.runs == 2
    assert (await queue.job("flaky:2025-03-01T09:00")).attempts == 2
    assert "RuntimeError: run 1 fails" in caplog.text


@pytest.mark.profiles
@needs_redis
async def test_a_push_the_app_enqueues_is_sent_by_a_worker_started_in_the_test(
    queued_app, push_service
) -> None:
    queue = queued_app.state.jobs
    email = f"queued-{secrets.token_hex(4)}@example.test"
    browser = BrowserSubscription(push_service.endpoint())
    async with serve(queued_app):
        await ensure_account(email, "Queued", Account.Role.applicant)
        account_id = (await Account.objects().where(Account.email == email).first()).id
        await set_preferences(account_id, email_kinds=set(), push_kinds={"status"})
        keys = browser.to_json()["keys"]
        await PushSubscription(
            account=account_id,
            endpoint=browser.endpoint,
            p256dh=keys["p256dh"],
            auth=keys["auth"],
        ).save()
        message = status_message("排队发送")

        assert await queued_app.state.notify.notify(account_id, message)
        assert await queue.count("queued") == 1
        assert push_service.to(browser.endpoint) == []

        async with running(worker_for(queued_app, signals=False)):
            await queued_app.state.notify.finish_pushes(timeout=10)
    [delivery] = push_service.to(browser.endpoint)
    assert browser.decrypt(delivery.body)["title"] == "排队发送"


@pytest.mark.profiles
@needs_redis
async def test_the_request_id_goes_with_the_jobs_a_request_queues_into_the_workers_log(
    queued_app, caplog
) -> None:
    """A request's id is in the metadata of each job it queues (and of the jobs those queue), and
    in the worker's structured lines for them."""
    queue = queued_app.state.jobs
    done = asyncio.Event()
    queued = []

    async def first(ctx: dict) -> None:
        await enqueue(queue, "second", timeout=10)

    async def second(ctx: dict) -> None:
        done.set()

    async def page(scope, receive, send) -> None:  # a route that queues a job, as a send does
        queued.append(await enqueue(queue, "first", timeout=10))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=with_request_log(page))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/anything")
    request_id = response.headers["x-request-id"]
    stored = await queue.job(queued[0].key)
    assert stored.function == "first" and stored.meta == {"request_id": request_id}

    worker = JobWorker(queue, (), [("first", first), ("second", second)], signals=False)
    with caplog.at_level(logging.INFO, logger="backend.jobs"):
        async with running(worker):
            await asyncio.wait_for(done.wait(), timeout=10)
    lines = [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "backend.jobs" and record.getMessage().startswith("{")
    ]
    started = {line["job"]: line for line in lines if line["event"] == "job started"}
    assert started["first"]["request_id"] == started["second"]["request_id"] == request_id
    ended = [line for line in lines if line["event"] == "job ended" and line["job"] == "first"]
    assert ended and ended[0]["status"] == "complete" and ended[0]["request_id"] == request_id
