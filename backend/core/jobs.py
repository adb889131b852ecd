"""The scale profile's job queue (SAQ on Redis) and its worker process, `litestar iph worker`.

Web workers enqueue jobs (pushes); the worker runs them, and runs the periodic jobs (the
embedded profile runs the same periodic jobs in its in-process Scheduler instead). Any number of
workers may run: each periodic run is enqueued once (`enqueue_due`), and each queued job is
taken by one worker. A job that fails is logged and retried; after its last attempt it is left
for the next run. Nothing a job raises stops the worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter
from saq import Worker
from saq.queue.redis import RedisQueue

from backend.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

logger = logging.getLogger("backend.jobs")

# A periodic run's claim outlives the longest period (daily), so a worker that starts again, or a
# second worker, never enqueues that run a second time.
CLAIM_SECONDS = 8 * 24 * 3600
# The reminder scan reads every binding: give periodic runs time (SAQ's default is 10 s).
PERIODIC_TIMEOUT_SECONDS = 3600
# Attempts in all; retries wait about a minute, then two, with jitter (SAQ's backoff).
PERIODIC_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 60
# How often a worker looks for periodic runs that have fallen due.
TICK_SECONDS = 60

Task = Callable[..., Awaitable[object]]


@dataclass(frozen=True)
class PeriodicJob:
    """A job both profiles run: at `cron` (UTC) in the worker, every `every` in the scheduler."""

    name: str
    cron: str
    every: timedelta
    run: Callable[[], Awaitable[object]]


def job_queue_for(settings: Settings) -> RedisQueue | None:
    """The queue in the store namespace (keys `saq:<namespace>-jobs:…`); none when embedded."""
    if not settings.redis_url:
        return None
    return RedisQueue.from_url(settings.redis_url, name=f"{settings.store_namespace}-jobs")


def run_key(job: PeriodicJob, now: datetime) -> str:
    """The job's latest run before `now`, e.g. `deadline-reminders:2025-03-01T00:05`."""
    due = croniter(job.cron, now).get_prev(datetime)
    return f"{job.name}:{due:%Y-%m-%dT%H:%M}"


async def enqueue_due(queue: RedisQueue, jobs: Iterable[PeriodicJob], now: datetime) -> list[str]:
    """Enqueue each job's latest run unless a worker already did; returns the runs enqueued.

    Whoever sets the run's claim first (SET NX, atomic in Redis) enqueues it: workers ticking
    at the same moment, or one started again the same day, enqueue nothing more. A worker's
    first tick enqueues the latest run it finds unclaimed, so a run missed while no worker was
    up happens at start-up (the jobs are idempotent: reminders carry dedupe keys).
    """
    enqueued = []
    for job in jobs:
        key = run_key(job, now)
        claim = f"{queue.name}:claimed:{key}"
        if not await queue.redis.set(claim, b"1", nx=True, ex=CLAIM_SECONDS):
            continue
        try:
            await queue.enqueue(
                job.name,
                key=key,
                timeout=PERIODIC_TIMEOUT_SECONDS,
                retries=PERIODIC_ATTEMPTS,
                retry_delay=RETRY_DELAY_SECONDS,
                retry_backoff=True,
            )
        except Exception:
            await queue.redis.delete(claim)  # not enqueued: the next tick tries again
            raise
        enqueued.append(key)
    return enqueued


def _task_of(run: Callable[[], Awaitable[object]]) -> Task:
    async def task(ctx: dict[str, Any]) -> None:
        await run()  # results are not kept: the jobs write what they did to the database

    return task


class JobWorker:
    """Runs queued jobs (SAQ's Worker) and, every `tick` seconds, enqueues periodic runs due."""

    def __init__(
        self,
        queue: RedisQueue,
        periodic: Sequence[PeriodicJob],
        tasks: Iterable[tuple[str, Task]] = (),
        *,
        tick: float = TICK_SECONDS,
        concurrency: int = 10,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        signals: bool = True,
    ) -> None:
        self.queue = queue
        self.periodic = tuple(periodic)
        self.tick = tick
        self.clock = clock
        self.saq = Worker(
            queue,
            functions=[*((job.name, _task_of(job.run)) for job in self.periodic), *tasks],
            concurrency=concurrency,
            # On SIGTERM, jobs under way are cancelled and queued again for the next worker
            # (SAQ's grace period would hold every stop for its whole length).
            shutdown_grace_period_s=None,
        )
        if not signals:  # a worker inside another program (tests) leaves Ctrl-C to it
            self.saq.SIGNALS = []

    async def run(self) -> None:
        """Until SIGINT/SIGTERM or `stop()`."""
        await self.queue.connect()
        ticking = asyncio.create_task(self._enqueue_periodic_runs(), name="periodic-jobs")
        try:
            await self.saq.start()
        finally:
            ticking.cancel()
            await asyncio.gather(ticking, return_exceptions=True)

    async def stop(self) -> None:
        await self.saq.stop()

    async def _enqueue_periodic_runs(self) -> None:
        while True:
            try:
                for key in await enqueue_due(self.queue, self.periodic, self.clock()):
                    logger.info("periodic run %s enqueued", key)
            except Exception:  # Redis away for a moment: the next tick tries again
                logger.exception("enqueuing periodic runs failed")
            await asyncio.sleep(self.tick)


def worker_for(app: Litestar, **options: Any) -> JobWorker:
    """The worker of an app's queue: its periodic jobs and the jobs its web workers enqueue."""
    tasks = [*app.state.notify.job_tasks(), *app.state.job_tasks]
    return JobWorker(app.state.jobs, app.state.periodic_jobs, tasks, **options)
