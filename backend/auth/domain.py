"""What auth adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.auth import audit
from backend.auth.account_routes import AccountController, PrivacyController
from backend.auth.enrolment_routes import AdminAuditController, EnrolmentController
from backend.auth.routes import AuthController
from backend.core.domains import Domain, JobContext
from backend.core.jobs import PeriodicJob


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: 03:30 in Beijing.
    days = context.settings.audit_retention_days
    return (
        PeriodicJob(
            "purge-audit-log",
            "30 19 * * *",
            timedelta(days=1),
            lambda: audit.purge_older_than(days, context.clock()),
        ),
    )


DOMAIN = Domain(
    name="auth",
    route_handlers=(
        AuthController,
        AccountController,
        PrivacyController,
        EnrolmentController,
        AdminAuditController,
    ),
    jobs=_jobs,
)
