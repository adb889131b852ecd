"""Indexing after an import: on the scale profile's job queue, or at once when embedded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from saq.queue.redis import RedisQueue

from backend.core.jobs import enqueue
from backend.marks.service import index_record_marks

INDEX_JOB = "marks-index"
JOB_CHUNK = 1000  # record ids a queued job carries
INDEX_TIMEOUT_SECONDS = 1800


async def _index_task(ctx: dict[str, Any], *, record_ids: list[int]) -> None:
    await index_record_marks(record_ids)


JOB_TASKS = ((INDEX_JOB, _index_task),)


async def index_after_import(record_ids: Sequence[int], queue: RedisQueue | None) -> None:
    """The marks of `record_ids` indexed: queued for the worker (scale) or here (embedded)."""
    if queue is None:
        await index_record_marks(record_ids)
        return
    for start in range(0, len(record_ids), JOB_CHUNK):
        await enqueue(
            queue,
            INDEX_JOB,
            timeout=INDEX_TIMEOUT_SECONDS,
            record_ids=list(record_ids[start : start + JOB_CHUNK]),
        )
