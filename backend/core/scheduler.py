"""The embedded profile's in-process scheduler: periodic jobs as asyncio tasks.

The scale profile runs the same job functions from its queue worker instead (backend/core/jobs.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("backend.scheduler")

Job = Callable[[], Awaitable[object]]
# Each job's first run comes this soon after start-up, not a whole period later: a daily job in
# a process restarted more often than daily would otherwise never run. The few seconds let
# start-up finish first.
FIRST_RUN_AFTER_SECONDS = 30.0


class Scheduler:
    def __init__(self, first_run_after: float = FIRST_RUN_AFTER_SECONDS) -> None:
        self.first_run_after = first_run_after
        self._jobs: list[tuple[str, float, Job]] = []
        self._tasks: list[asyncio.Task] = []

    def every(self, seconds: float, name: str, job: Job) -> None:
        """Run `job` shortly after start, then every `seconds` (so jobs must be idempotent)."""
        self._jobs.append((name, seconds, job))

    def forget_jobs(self) -> None:
        """No periodic runs from this process (before start): whoever calls it runs them."""
        self._jobs.clear()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(name, seconds, job), name=f"job:{name}")
            for name, seconds, job in self._jobs
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _run(self, name: str, seconds: float, job: Job) -> None:
        delay = self.first_run_after
        while True:
            await asyncio.sleep(delay)
            delay = seconds
            try:
                await job()
            except Exception:  # one failed run must not stop the schedule
                logger.exception("scheduled job %s failed", name)
