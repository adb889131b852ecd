"""What idempotency adds to the app (backend/core/domains.py): the job that forgets old keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.core.domains import Domain, JobContext
from backend.core.jobs import PeriodicJob
from backend.idempotency.service import forget_old


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: 03:50 in Beijing.
    return (
        PeriodicJob(
            "forget-idempotency-keys",
            "50 19 * * *",
            timedelta(days=1),
            lambda: forget_old(context.clock()),
        ),
    )


DOMAIN = Domain(name="idempotency", jobs=_jobs)
