"""A queue worker process for tests/jobs/test_worker_processes.py, run as
`python -m tests.jobs.worker_process FOLDER NAME GRACE SWEEP`.

It is the app's own worker (its queued jobs and failed list, the sweep every SWEEP seconds: a
sweep holds its lock across workers that long, so a short one lets the next worker sweep a dead
one's job soon after; no periodic jobs, which would touch other test files' rows) plus a `probe`
job that notes in FOLDER/probe.log when it starts and when it ends. It imports the app at once,
says so (FOLDER/NAME.ready), and starts working only when FOLDER/NAME.go appears, so that a test
pays for the imports of all its workers in parallel before it needs them. It stops by itself
after LIFETIME_SECONDS.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

LIFETIME_SECONDS = 150


def probe_job(probe_log: Path, name: str):
    """The `probe` job of worker `name`: "<name> start <label>" in `probe_log`, a sleep of
    `seconds`, then "<name> done <label>"."""

    async def probe(ctx: dict, *, label: str, seconds: float) -> None:
        with probe_log.open("a") as log:
            log.write(f"{name} start {label}\n")
        await asyncio.sleep(seconds)
        with probe_log.open("a") as log:
            log.write(f"{name} done {label}\n")

    return probe


async def work(folder: Path, name: str, grace: float, sweep: float) -> None:
    from backend.app import create_app
    from backend.core import database
    from backend.core.jobs import JobWorker

    app = create_app()
    probe = probe_job(folder / "probe.log", name)
    (folder / f"{name}.ready").write_text(str(os.getpid()))
    while not (folder / f"{name}.go").exists():
        await asyncio.sleep(0.05)
    await database.open_engine(app.state.engine)
    worker = JobWorker(
        app.state.jobs,
        (),
        [*app.state.notify.job_tasks(), *app.state.job_tasks, ("probe", probe)],
        on_failure=app.state.record_failed_job,
        grace=grace,
        sweep=sweep,
    )
    asyncio.get_running_loop().call_later(
        LIFETIME_SECONDS, lambda: asyncio.ensure_future(worker.stop())
    )
    try:
        await worker.run()  # until SIGTERM (SAQ's signal handlers) or the lifetime's end
    finally:
        await app.state.jobs.disconnect()
        await database.close_engine(app.state.engine)


if __name__ == "__main__":
    folder, name, grace, sweep = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    asyncio.run(work(folder, name, grace, float(sweep)))
