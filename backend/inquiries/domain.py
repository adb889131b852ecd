"""What inquiries adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.core.domains import Domain, JobContext, PrivacyPart
from backend.core.jobs import PeriodicJob
from backend.inquiries.reminders import send_deadline_reminders
from backend.inquiries.routes import MyRecordsController, RecordController, StaffRecordsController
from backend.inquiries.service import bindings_of
from backend.inquiries.site_search import RECORDS
from backend.inquiries.stages import kind_name, stage_view


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: 08:05 in Beijing.
    return (
        PeriodicJob(
            "deadline-reminders",
            "5 0 * * *",
            timedelta(days=1),
            lambda: send_deadline_reminders(context.clock().date(), context.notifier),
        ),
    )


DOMAIN = Domain(
    name="inquiries",
    route_handlers=(RecordController, MyRecordsController, StaffRecordsController),
    template_globals={"stage_view_of": stage_view, "kind_name": kind_name},
    search_sources=(RECORDS,),
    privacy=(PrivacyPart("bound_records", bindings_of),),
    jobs=_jobs,
)
