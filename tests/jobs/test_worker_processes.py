"""Queue workers as real processes, killed and stopped while they work (loopback only, bounded).

- A worker killed (SIGKILL) after the SMTP server took an e-mail and before the worker recorded
  it: the next worker's sweep hands the job back (its heartbeat missed), that worker takes it up
  and sends nothing more. The e-mail
  arrives once: sends are at most once.
- A worker sent SIGTERM with two jobs under way: the short one is finished within the grace
  period, the long one is handed back and the next worker (one in the test's process) runs it
  to completion; neither is lost, and none is run to completion twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from saq import Status

from backend.auth.service import ensure_account
from backend.auth.tables import Account
from backend.core import jobs
from backend.core.jobs import JobWorker, enqueue
from backend.notifications.service import EMAIL_JOB, set_preferences
from backend.notifications.tables import InboxEntry
from tests.conftest import TEST_REDIS_URL, _free_port, serve
from tests.core.test_jobs import running
from tests.jobs.worker_process import probe_job
from tests.notifications.test_push import status_message

pytestmark = [
    pytest.mark.profiles,
    pytest.mark.skipif(not TEST_REDIS_URL, reason="the queue needs IPH_TEST_REDIS_URL"),
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 2.0
# Short, so that a killed worker's job is taken up within seconds (the default is a minute).
HEARTBEAT_SECONDS = 3
# Two workers import the app at once on two shared cores.
START_TIMEOUT = 120.0
WAIT_TIMEOUT = 60.0


class KillingMailbox:
    """An SMTP server that keeps what it receives and, once it has a message for `doomed_to`,
    kills (SIGKILL) `doomed_pid` before answering: the worker dies after the message went out and
    before it could record so."""

    def __init__(self) -> None:
        self.messages = []
        self.doomed_to: str | None = None
        self.doomed_pid: int | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(message)
        if self.doomed_pid is not None and message["To"] == self.doomed_to:
            os.kill(self.doomed_pid, signal.SIGKILL)
            self.doomed_pid = None
        return "250 OK"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


class WorkerProcess:
    def __init__(self, folder: Path, name: str, env: dict[str, str], sweep: float) -> None:
        self.folder = folder
        self.name = name
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.jobs.worker_process",
                    str(folder),
                    name,
                    str(GRACE_SECONDS),
                    str(sweep),
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} ended:\n{self.log.read_text()[-3000:]}")
        return (self.folder / f"{self.name}.ready").exists()

    def open(self) -> None:
        (self.folder / f"{self.name}.go").touch()

    async def ended(self, timeout: float = WAIT_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while (code := self.process.poll()) is None:
            assert time.monotonic() < deadline, f"worker {self.name} still running"
            await asyncio.sleep(0.05)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Workers:
    def __init__(self, folder: Path, namespace: str, smtp_port: int) -> None:
        env = {
            **os.environ,
            "IPH_STORE_NAMESPACE": namespace,
            "IPH_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        self.namespace = namespace
        self.folder = folder
        # The one killed sweeps each second: the sweep it runs at start holds the lock for as
        # long, and the next worker's sweep, each second too, must not wait a minute for it.
        self.processes = {
            "a": WorkerProcess(folder, "a", env, sweep=1),
            "b": WorkerProcess(folder, "b", env, sweep=jobs.SWEEP_SECONDS),
        }

    def __getitem__(self, name: str) -> WorkerProcess:
        return self.processes[name]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(process.ready() for process in self.processes.values()):
            assert time.monotonic() < deadline, "workers not ready"
            time.sleep(0.1)

    def probe_lines(self) -> list[str]:
        log = self.folder / "probe.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture(scope="module")
def smtp() -> Iterator[KillingMailbox]:
    mailbox = KillingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


@pytest.fixture(scope="module")
def workers(tmp_path_factory, smtp, settings) -> Iterator[Workers]:
    namespace = f"{settings.store_namespace}w{secrets.token_hex(3)}"
    pool = Workers(tmp_path_factory.mktemp("workers"), namespace, smtp.port)
    try:
        pool.wait_ready()
        yield pool
    finally:
        for process in pool.processes.values():
            process.stop()


@pytest.fixture
def queued_app(make_app, workers, smtp):
    """The test's side: an app queuing into the workers' queue, its mail to the same server."""
    return make_app(store_namespace=workers.namespace, smtp_url=f"smtp://127.0.0.1:{smtp.port}")


async def finished(queue, key: str) -> Status:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while (job := await queue.job(key)) is None or job.status not in {
        Status.COMPLETE,
        Status.FAILED,
        Status.ABORTED,
    }:
        assert time.monotonic() < deadline, f"job {key}: {job and job.status}"
        await asyncio.sleep(0.05)
    return job.status


async def opened(worker: WorkerProcess, queue) -> None:
    """`worker` let go, and working: its SAQ worker info is in Redis, and the sweep it runs at
    start is over (a sweep in the moment a worker takes a job hands that job back too,
    tobymao/saq#277: the jobs of a test come after it)."""
    before = set((await queue.info())["workers"])
    worker.open()
    deadline = time.monotonic() + START_TIMEOUT
    while not set((await queue.info())["workers"]) - before:
        assert worker.process.poll() is None, worker.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"worker {worker.name} not working"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)


def next_worker(app) -> JobWorker:
    """The app's worker without its periodic jobs (they would touch other test files' rows),
    sweeping each second."""
    tasks = [*app.state.notify.job_tasks(), *app.state.job_tasks]
    return JobWorker(
        app.state.jobs, (), tasks, on_failure=app.state.record_failed_job, sweep=1, signals=False
    )


async def test_a_worker_killed_after_the_email_went_out_does_not_make_it_go_out_twice(
    workers: Workers, smtp: KillingMailbox, queued_app, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(jobs, "JOB_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    monkeypatch.setattr(jobs, "JOB_RETRY_DELAY_SECONDS", 0.5)  # the wait once it is taken up
    email = f"once-{secrets.token_hex(4)}@example.test"
    first = workers["a"]
    smtp.doomed_to, smtp.doomed_pid = email, first.pid
    async with serve(queued_app):
        await ensure_account(email, "只收一次", Account.Role.applicant)
        account_id = (await Account.objects().where(Account.email == email).first()).id
        await set_preferences(account_id, email_kinds={"status"}, push_kinds=set())
        await opened(first, queued_app.state.jobs)
        assert await queued_app.state.notify.notify(account_id, status_message("已受理"))
        [key] = list(queued_app.state.notify._queued_sends)

        assert await first.ended() == -signal.SIGKILL
        assert len(smtp.to(email)) == 1
        job = await queued_app.state.jobs.job(key)
        assert job.function == EMAIL_JOB and job.status == Status.ACTIVE  # its worker died

        # The next worker (the app's own, in this process, its mail to the same server) sweeps
        # each second: once the job's heartbeat is missed it takes the job up.
        with caplog.at_level(logging.INFO, logger="backend.notifications"):
            async with running(next_worker(queued_app)):
                assert await finished(queued_app.state.jobs, key) == Status.COMPLETE
        job = await queued_app.state.jobs.job(key)
    # Taken up again by the next worker, which sent nothing (SAQ's sweep may hand a job back
    # once more: each run after the first finds the claim).
    assert job.attempts >= 2
    assert len(smtp.to(email)) == 1
    entry = await InboxEntry.objects().where(InboxEntry.account == account_id).first()
    assert entry.email_claimed_at is not None and entry.email_sent_at is None
    assert "claimed before: not sent again" in caplog.text


async def test_sigterm_finishes_the_short_job_and_hands_back_the_long_one_none_lost_none_twice(
    workers: Workers, queued_app
) -> None:
    stopping = workers["b"]
    queue = queued_app.state.jobs
    async with serve(queued_app):
        await opened(stopping, queue)
        short = await enqueue(queue, "probe", timeout=30, retry_delay=0, label="short", seconds=1)
        long = await enqueue(queue, "probe", timeout=30, retry_delay=0, label="long", seconds=4)
        deadline = time.monotonic() + WAIT_TIMEOUT
        while not {"b start short", "b start long"} <= set(workers.probe_lines()):
            assert time.monotonic() < deadline, workers.probe_lines()
            await asyncio.sleep(0.05)

        stopping.process.send_signal(signal.SIGTERM)
        assert await stopping.ended() == 0
        assert (await queue.job(short.key)).status == Status.COMPLETE  # within the grace
        assert (await queue.job(long.key)).status == Status.QUEUED  # handed back

        # The next worker (in this process, noting its runs in the same log) runs it to the end.
        probe = probe_job(workers.folder / "probe.log", "c")
        async with running(JobWorker(queue, (), [("probe", probe)], signals=False)):
            assert await finished(queue, long.key) == Status.COMPLETE
    lines = workers.probe_lines()
    assert [line for line in lines if line.endswith(" short")] == ["b start short", "b done short"]
    assert [line for line in lines if line.endswith(" long")] == [
        "b start long",
        "c start long",
        "c done long",
    ]
