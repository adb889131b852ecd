"""What jobs adds to the app (backend/core/domains.py): the failed list, its admin page, and the
job that forgets old failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.core.domains import Domain, JobContext
from backend.core.jobs import PeriodicJob
from backend.jobs.routes import FailedJobsController
from backend.jobs.service import forget_failures_older_than


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: 03:45 in Beijing.
    days = context.settings.audit_retention_days
    return (
        PeriodicJob(
            "forget-failed-jobs",
            "45 19 * * *",
            timedelta(days=1),
            lambda: forget_failures_older_than(days, context.clock()),
        ),
    )


DOMAIN = Domain(name="jobs", route_handlers=(FailedJobsController,), jobs=_jobs)
