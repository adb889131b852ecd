"""The failed list: jobs that failed their last attempt, and trying one again."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from saq.queue.redis import RedisQueue

from backend.auth import audit
from backend.core.jobs import FailedRun, enqueue
from backend.jobs.tables import FailedJob

# The list shows the newest failures; older ones stay in the table.
LIST_LENGTH = 100


async def record_failure(run: FailedRun) -> None:
    await FailedJob.insert(
        FailedJob(
            name=run.name[:100],
            job_key=run.key[:200],
            arguments=run.arguments,
            error=run.error,
            attempts=run.attempts,
            timeout_seconds=round(run.timeout),
            request_id=run.request_id,
            queued_at=run.queued_at,
            failed_at=run.failed_at,
        )
    )


async def failed_jobs(limit: int = LIST_LENGTH) -> list[FailedJob]:
    return (
        await FailedJob.objects()
        .order_by(FailedJob.failed_at, ascending=False)
        .order_by(FailedJob.id, ascending=False)
        .limit(limit)
    )


async def try_again(
    failed_job_id: int, queue: RedisQueue, admin_id: int, meta: audit.RequestMeta, now: datetime
) -> bool:
    """Queue the job again with its arguments (and a fresh set of attempts), audited; False when
    it is not on the list or was tried again already (two admins clicking at once queue it once).
    """
    claimed = (
        await FailedJob.update({FailedJob.tried_again_at: now, FailedJob.tried_again_by: admin_id})
        .where((FailedJob.id == failed_job_id) & FailedJob.tried_again_at.is_null())
        .returning(FailedJob.name, FailedJob.arguments, FailedJob.timeout_seconds)
    )
    if not claimed:
        return False
    row = claimed[0]
    arguments = row["arguments"]
    if isinstance(arguments, str):  # Piccolo hands JSON columns back as text
        arguments = msgspec.json.decode(arguments)
    try:
        await enqueue(queue, row["name"], timeout=row["timeout_seconds"], **arguments)
    except Exception:  # not queued: the row goes back on the list
        await FailedJob.update(
            {FailedJob.tried_again_at: None, FailedJob.tried_again_by: None}
        ).where(FailedJob.id == failed_job_id)
        raise
    await audit.record(
        "failed-job-tried-again",
        "success",
        meta,
        actor_id=admin_id,
        actor_role="admin",
        target=f"{row['name']} (failed job {failed_job_id})",
    )
    return True


async def forget_failures_older_than(days: int, now: datetime) -> int:
    """Drop failures from before the retention period (IPH_AUDIT_RETENTION_DAYS, as the audit
    log's): the list is for what needs looking at, not a second log."""
    gone = (
        await FailedJob.delete()
        .where(FailedJob.failed_at < now - timedelta(days=days))
        .returning(FailedJob.id)
    )
    return len(gone)
