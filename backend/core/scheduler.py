"""The embedded profile's in-process scheduler: periodic jobs as asyncio tasks.

The scale profile runs the same job functions from its queue worker instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("backend.scheduler")

Job = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self) -> None:
        self._jobs: list[tuple[str, float, Job]] = []
        self._tasks: list[asyncio.Task] = []

    def every(self, seconds: float, name: str, job: Job) -> None:
        self._jobs.append((name, seconds, job))

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

    @staticmethod
    async def _run(name: str, seconds: float, job: Job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # one failed run must not stop the schedule
                logger.exception("scheduled job %s failed", name)
