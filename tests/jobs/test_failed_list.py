"""The failed list: a queued job retried with backoff, recorded after its last attempt, shown to
an admin, and queued again from the page."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
from saq import Status

from backend.auth.tables import Account, AuditEvent
from backend.core import jobs
from backend.core.jobs import FailedRun, JobWorker, enqueue, job_counts_key
from backend.jobs.service import failed_jobs, forget_failures_older_than, record_failure
from backend.jobs.tables import FailedJob
from tests.auth.test_staff_and_privacy import enrol
from tests.conftest import TEST_REDIS_URL, serve
from tests.core.test_jobs import finished, running
from tests.people import Person

pytestmark = pytest.mark.profiles
needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="the queue needs IPH_TEST_REDIS_URL")
# Above the second at which SAQ moves retries that fell due back to the queue (its "schedule"
# timer, locked for a whole second across workers): at 0.2 s every wait came out at ~1.0 s,
# above each floor whether the delays doubled or not. At 1.5 s a wait without backoff is at most
# 2.5 s, under the second floor (3 s).
RETRY_DELAY = 1.5


@pytest.fixture
def queued_app(make_app, settings):
    """An app with a queue of its own: the session's worker (conftest) does not take its jobs."""
    return make_app(store_namespace=f"{settings.store_namespace}f{secrets.token_hex(3)}")


class Flaky:
    """A job that fails its first `failures` attempts, noting when each attempt began."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.started: list[float] = []

    async def __call__(self, ctx: dict, *, record_id: int) -> None:
        self.started.append(time.monotonic())
        if len(self.started) <= self.failures:
            raise ConnectionRefusedError(f"record {record_id}: the far side is down")


@needs_redis
async def test_a_job_that_keeps_failing_is_retried_with_backoff_and_lands_on_the_failed_list(
    queued_app, monkeypatch, mailbox
) -> None:
    # SAQ's backoff waits a random part of delay × 2^(attempt-1) ("full jitter"); with the
    # jitter taken out each wait is the whole of it, a floor the attempts can be held to.
    monkeypatch.setattr("saq.utils.random", lambda: 1.0)
    queue = queued_app.state.jobs
    flaky = Flaky(failures=99)
    worker = JobWorker(
        queue,
        (),
        [("fetch-far-record", flaky)],
        on_failure=queued_app.state.record_failed_job,
        signals=False,
    )
    async with serve(queued_app):
        job = await enqueue(
            queue, "fetch-far-record", timeout=10, retry_delay=RETRY_DELAY, record_id=7
        )
        async with running(worker):
            assert await finished(queue, job.key, timeout=30) == Status.FAILED  # 10.5 s of waits

    assert len(flaky.started) == jobs.JOB_ATTEMPTS == 4
    waits = [
        later - earlier for earlier, later in zip(flaky.started, flaky.started[1:], strict=False)
    ]
    for attempt, wait in enumerate(waits, start=1):
        assert wait >= RETRY_DELAY * 2 ** (attempt - 1)
    [failed] = await FailedJob.objects().where(FailedJob.job_key == job.key)
    assert failed.name == "fetch-far-record"
    assert failed.attempts == 4
    assert failed.arguments in ({"record_id": 7}, '{"record_id":7}', '{"record_id": 7}')
    assert failed.error == "ConnectionRefusedError: record 7: the far side is down"
    assert failed.timeout_seconds == 10
    assert failed.tried_again_at is None
    counts = await queue.redis.hgetall(job_counts_key(queue))
    assert counts == {b"fetch-far-record|retried": b"3", b"fetch-far-record|failed": b"1"}


@needs_redis
async def test_an_admin_sees_the_failed_job_and_tries_it_again_once(queued_app, mailbox) -> None:
    queue = queued_app.state.jobs
    key = f"index-marks-{secrets.token_hex(3)}"
    now = datetime.now(UTC)
    await record_failure(
        FailedRun(
            name="fetch-far-record",
            key=key,
            arguments={"record_id": 8},
            error="TimeoutError",
            attempts=4,
            timeout=30,
            queued_at=now,
            failed_at=now,
            request_id="00c0ffee00c0ffee",
        )
    )
    [failed] = await FailedJob.objects().where(FailedJob.job_key == key)
    flaky = Flaky(failures=0)
    async with serve(queued_app) as client:
        admin = Person(client, mailbox)
        await enrol(admin, queued_app, Account.Role.admin)
        assert 'href="/admin/jobs"' in (await client.get("/staff")).text  # from the console
        page = await client.get("/admin/jobs")
        assert page.status_code == 200
        assert f'id="failed-{failed.id}"' in page.text
        assert "fetch-far-record" in page.text and "00c0ffee00c0ffee" in page.text
        assert f'action="/admin/jobs/{failed.id}/again"' in page.text

        tried = await admin.post_form(f"/admin/jobs/{failed.id}/again", {})
        assert tried.status_code == 200 and str(tried.url).endswith(f"?tried={failed.id}")
        assert f'action="/admin/jobs/{failed.id}/again"' not in tried.text
        again = await admin.post_form(f"/admin/jobs/{failed.id}/again", {})
        assert again.status_code == 404  # tried already: not queued a second time
        assert await queue.count("queued") == 1

        async with running(JobWorker(queue, (), [("fetch-far-record", flaky)], signals=False)):
            while not flaky.started:
                await asyncio.sleep(0.02)
    assert len(flaky.started) == 1
    [row] = await FailedJob.objects().where(FailedJob.id == failed.id)
    account = await Account.objects().where(Account.email == admin.email).first()
    assert row.tried_again_by == account.id and row.tried_again_at is not None
    [audited] = await AuditEvent.objects().where(
        (AuditEvent.event == "failed-job-tried-again") & (AuditEvent.actor_id == account.id)
    )
    assert audited.target == f"fetch-far-record (failed job {failed.id})"


async def test_the_failed_list_is_for_admins_only(person: Person, app) -> None:
    await person.sign_up()
    assert (await person.client.get("/admin/jobs")).status_code == 403
    assert (await person.post_form("/admin/jobs/1/again", {})).status_code == 403


async def test_the_failed_list_lists_the_newest_failures_first(app) -> None:
    base = datetime.now(UTC)
    keys = [f"order-{secrets.token_hex(3)}-{n}" for n in range(2)]
    for n, key in enumerate(keys):
        await record_failure(
            FailedRun(
                name="purge-audit-log",
                key=key,
                arguments={},
                error="RuntimeError",
                attempts=3,
                timeout=3600,
                queued_at=base,
                failed_at=base + timedelta(seconds=n),
                request_id=None,
            )
        )
    listed = [row.job_key for row in await failed_jobs() if row.job_key in keys]
    assert listed == [keys[1], keys[0]]


async def test_failures_older_than_the_retention_period_are_forgotten(app) -> None:
    now = datetime.now(UTC)
    keys = {age: f"age-{secrets.token_hex(3)}-{age}" for age in (200, 100)}
    for age, key in keys.items():
        moment = now - timedelta(days=age)
        await record_failure(
            FailedRun(
                name="forget-idempotency-keys",
                key=key,
                arguments={},
                error="RuntimeError",
                attempts=3,
                timeout=3600,
                queued_at=moment,
                failed_at=moment,
                request_id=None,
            )
        )
    await forget_failures_older_than(184, now)
    left = {
        row.job_key
        for row in await FailedJob.objects().where(FailedJob.job_key.is_in(list(keys.values())))
    }
    assert left == {keys[100]}
