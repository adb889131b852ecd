"""What certificates adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.certificates.api_keys import purge_calls_older_than
from backend.certificates.privacy import certificates_data_of, erase_share_links
from backend.certificates.routes import (
    CertificateApiController,
    MyCertificatesController,
    VerifyController,
)
from backend.certificates.staff_routes import StaffCertificatesController
from backend.core.domains import Domain, JobContext, PrivacyPart
from backend.core.jobs import PeriodicJob


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: 03:40 in Beijing.
    days = context.settings.audit_retention_days
    return (
        PeriodicJob(
            "purge-api-calls",
            "40 19 * * *",
            timedelta(days=1),
            lambda: purge_calls_older_than(days, context.clock()),
        ),
    )


DOMAIN = Domain(
    name="certificates",
    route_handlers=(
        MyCertificatesController,
        VerifyController,
        StaffCertificatesController,
        CertificateApiController,
    ),
    privacy=(PrivacyPart("certificates", certificates_data_of, erase_share_links),),
    jobs=_jobs,
)
