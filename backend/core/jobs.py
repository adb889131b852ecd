"""The scale profile's job queue (SAQ on Redis) and its worker process, `litestar iph worker`.

Web workers enqueue jobs (e-mail and push sends, marks indexing) with `enqueue`; the worker
runs them, and runs the periodic jobs (the embedded profile runs the same job functions in its
in-process Scheduler, or inline, instead). Any number of workers may run: each periodic run is
enqueued once (`enqueue_due`), and each queued job is taken by one worker. A job that raises is
retried with backoff; after its last attempt it is handed to `on_failure` (the failed list,
backend/jobs/) and counted. Nothing a job raises stops the worker.

Each job carries, in its metadata, the request id of the request that queued it (or of the job
that queued it), and the worker logs it with the job's lines: one request can be followed into
its jobs. A running job beats a heartbeat: when its worker dies, another takes the job up once
the heartbeat is missed. On SIGTERM a worker takes no new job, gives the jobs under way a grace
period to finish, and hands back (re-queues) those still running after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from croniter import croniter
from saq import Status, Worker
from saq.job import Job
from saq.queue.redis import RedisQueue
from saq.utils import cancel_tasks

from backend.core.request_log import current_request_id
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
# Queued jobs (sends, indexing): attempts in all, the first retry after up to half a minute, each
# next one up to twice as long (SAQ's exponential backoff with full jitter, so that a thousand
# sends failing together do not come back together).
JOB_ATTEMPTS = 4
JOB_RETRY_DELAY_SECONDS = 30
# A running job touches its heartbeat every third of this; a job whose worker died (SIGKILL, a
# lost machine) is taken up again by another worker once this has passed without one.
JOB_HEARTBEAT_SECONDS = 60
# How often a worker looks for jobs whose worker died (SAQ's sweep, its default). It is also how
# long one sweep holds its lock across workers: longer than the 5 s a sweep waits for a stuck job
# to abort, so that two workers' sweeps do not overlap on one job. Not shorter: a sweep that comes
# in the moment between a worker taking a job and marking it active hands that job back too, and
# it runs twice (tobymao/saq#277); the jobs are idempotent for that, but it should stay rare.
SWEEP_SECONDS = 60
# An idle worker asks Redis for a job at least this often, so a stopping worker's idle slots end.
DEQUEUE_WAIT_SECONDS = 1.0
# On SIGTERM the jobs under way get this long to finish (within the usual 30 s before SIGKILL),
# then are cancelled and handed back to the queue.
SHUTDOWN_GRACE_SECONDS = 20.0
# Then the jobs still running get this long to put themselves back in the queue.
CANCEL_SECONDS = 2.0

Task = Callable[..., Awaitable[object]]


class FailedRun(msgspec.Struct, frozen=True, kw_only=True):
    """A job that failed its last attempt, as the worker hands it to the failed list."""

    name: str
    key: str
    arguments: dict[str, Any]  # ids only: job arguments never hold personal data or secrets
    error: str
    attempts: int
    timeout: float
    queued_at: datetime
    failed_at: datetime
    request_id: str | None


class JobLine(msgspec.Struct, omit_defaults=True):
    """One structured log line of a job: started, or ended (how, and how long it took)."""

    event: str
    job: str
    key: str
    attempt: int
    request_id: str | None = None
    status: str | None = None
    duration_ms: float | None = None
    error: str | None = None


async def enqueue(
    queue: RedisQueue,
    name: str,
    *,
    timeout: float,
    attempts: int = JOB_ATTEMPTS,
    retry_delay: float | None = None,
    key: str | None = None,
    **arguments: Any,
) -> Job | None:
    """Queue job `name` with retries and backoff, tagged with the current request id.

    `arguments` are ids and numbers, never personal data: they are kept in Redis and, after a last
    failed attempt, shown on the failed list. None when a job of the same `key` is queued already.
    """
    options: dict[str, Any] = {
        "timeout": timeout,
        "retries": attempts,
        "retry_delay": JOB_RETRY_DELAY_SECONDS if retry_delay is None else retry_delay,
        "retry_backoff": True,
        "heartbeat": JOB_HEARTBEAT_SECONDS,
    }
    if key is not None:
        options["key"] = key
    if (request_id := current_request_id.get()) is not None:
        options["meta"] = {"request_id": request_id}
    return await queue.enqueue(name, **options, **arguments)


def job_counts_key(queue: RedisQueue) -> str:
    """The Redis hash of jobs retried and failed, by job name: `<job>|retried`, `<job>|failed`."""
    return queue.namespace("job-counts")


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
            await enqueue(
                queue,
                job.name,
                key=key,
                timeout=PERIODIC_TIMEOUT_SECONDS,
                attempts=PERIODIC_ATTEMPTS,
                retry_delay=RETRY_DELAY_SECONDS,
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


def _beating(task: Task) -> Task:
    """`task` run with the queuing request's id as the current one, touching its heartbeat."""

    async def run(ctx: dict[str, Any], **arguments: Any) -> object:
        job: Job = ctx["job"]
        request_id = current_request_id.set(job.meta.get("request_id"))
        beating = asyncio.create_task(_beat(job)) if job.heartbeat else None
        try:
            return await task(ctx, **arguments)
        finally:
            current_request_id.reset(request_id)
            if beating is not None:
                beating.cancel()
                await asyncio.gather(beating, return_exceptions=True)

    return run


async def _beat(job: Job) -> None:
    while True:
        await asyncio.sleep(job.heartbeat / 3)
        try:
            await job.update()  # sets `touched`; the stored status is kept
        except Exception as error:  # Redis away a moment: the next beat tries again
            logger.warning("heartbeat of job %s not written: %r", job.key, error)


class _GracefulWorker(Worker):
    """SAQ's worker, stopping as a deployment wants: no new job, then the jobs under way get
    `grace` seconds, then the rest is cancelled and handed back (SAQ's own grace period waits
    for its idle and upkeep tasks too, so every stop would last all of it)."""

    def __init__(self, *args: Any, grace: float, **kwargs: Any) -> None:
        super().__init__(*args, shutdown_grace_period_s=None, **kwargs)
        self.grace = grace

    async def stop(self) -> None:
        self.event.set()  # no process task takes a new job from here on
        running = [task for task in self.tasks if task.get_name() == "process" and not task.done()]
        if running and self.grace:
            await asyncio.wait(running, timeout=self.grace)
        # What is left (upkeep, jobs past the grace: each queued again as it is cancelled) is
        # cancelled here, so SAQ's stop has nothing left to wait for or to warn about.
        leftover = list(self.tasks)
        self.tasks.clear()
        await cancel_tasks(leftover, timeout=CANCEL_SECONDS)
        await super().stop()


class JobWorker:
    """Runs queued jobs (SAQ's Worker) and, every `tick` seconds, enqueues periodic runs due."""

    def __init__(
        self,
        queue: RedisQueue,
        periodic: Sequence[PeriodicJob],
        tasks: Iterable[tuple[str, Task]] = (),
        *,
        on_failure: Callable[[FailedRun], Awaitable[None]] | None = None,
        tick: float = TICK_SECONDS,
        concurrency: int = 10,
        grace: float = SHUTDOWN_GRACE_SECONDS,
        sweep: float = SWEEP_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        signals: bool = True,
    ) -> None:
        self.queue = queue
        self.periodic = tuple(periodic)
        self.on_failure = on_failure
        self.tick = tick
        self.clock = clock
        functions = [*((job.name, _task_of(job.run)) for job in self.periodic), *tasks]
        self.saq = _GracefulWorker(
            queue,
            functions=[(name, _beating(task)) for name, task in functions],
            concurrency=concurrency,
            grace=grace,
            dequeue_timeout=DEQUEUE_WAIT_SECONDS,
            timers={"sweep": max(1, round(sweep))},
            before_process=[self._started],
            after_process=[self._ended],
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

    async def _started(self, ctx: dict[str, Any]) -> None:
        job: Job = ctx["job"]
        ctx["started"] = time.perf_counter()
        _log(JobLine("job started", job.function, job.key, job.attempts, _request_id_of(job)))

    async def _ended(self, ctx: dict[str, Any]) -> None:
        """Log how the attempt ended; count a retry or a failure; hand a failure on."""
        job: Job = ctx["job"]
        error = ctx.get("exception")
        line = JobLine(
            "job ended",
            job.function,
            job.key,
            job.attempts,
            _request_id_of(job),
            status=str(job.status.value if isinstance(job.status, Status) else job.status),
            duration_ms=round((time.perf_counter() - ctx.get("started", 0)) * 1000, 2),
            error=_error_text(error) if error is not None else None,
        )
        _log(line, logging.WARNING if error is not None else logging.INFO)
        if error is None:
            return
        failed = job.status == Status.FAILED
        if failed and self.on_failure is not None:
            try:
                await self.on_failure(
                    FailedRun(
                        name=job.function,
                        key=job.key,
                        arguments=dict(job.kwargs or {}),
                        error=_error_text(error),
                        attempts=job.attempts,
                        timeout=job.timeout,
                        queued_at=datetime.fromtimestamp(job.queued / 1000, UTC),
                        failed_at=datetime.now(UTC),
                        request_id=_request_id_of(job),
                    )
                )
            except Exception:  # the database away: the log line above is all that is left
                logger.exception("job %s not put on the failed list", job.key)
        try:
            await self.queue.redis.hincrby(
                job_counts_key(self.queue), f"{job.function}|{'failed' if failed else 'retried'}", 1
            )
        except Exception as problem:  # a count missed; the job itself is handled
            logger.warning("job %s not counted: %r", job.key, problem)

    async def _enqueue_periodic_runs(self) -> None:
        while True:
            try:
                for key in await enqueue_due(self.queue, self.periodic, self.clock()):
                    logger.info("periodic run %s enqueued", key)
            except Exception:  # Redis away for a moment: the next tick tries again
                logger.exception("enqueuing periodic runs failed")
            await asyncio.sleep(self.tick)


def _request_id_of(job: Job) -> str | None:
    return job.meta.get("request_id")


def _error_text(error: BaseException) -> str:
    """The exception's type and message, cut short: no traceback (its locals' values) is kept."""
    message = str(error)
    return (f"{type(error).__name__}: {message}" if message else type(error).__name__)[:500]


def _log(line: JobLine, level: int = logging.INFO) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, msgspec.json.encode(line).decode())


def worker_for(app: Litestar, **options: Any) -> JobWorker:
    """The worker of an app's queue: its periodic jobs, the jobs its web workers enqueue, and the
    failed list its last failures go to."""
    return JobWorker(
        app.state.jobs,
        app.state.periodic_jobs,
        [*app.state.notify.job_tasks(), *app.state.job_tasks],
        on_failure=app.state.record_failed_job,
        **options,
    )
