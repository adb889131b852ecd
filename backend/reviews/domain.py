"""What reviews adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.core.domains import Domain, JobContext, PrivacyPart
from backend.core.jobs import PeriodicJob
from backend.reviews.figure_routes import DisclosureController, SupervisorController
from backend.reviews.notices import tell_supervisors
from backend.reviews.privacy import detach_reviews, reviews_data_of
from backend.reviews.routes import MyReviewsController, RateController, review_session
from backend.reviews.service import escalate_overdue, office_day
from backend.reviews.staff_routes import StaffReviewsController
from backend.reviews.wording import REVIEW_WORDS


def _jobs(context: JobContext) -> Sequence[PeriodicJob]:
    # Cron times are UTC: every hour, so that an overdue step reaches the supervisor the same day.
    return (
        PeriodicJob(
            "escalate-overdue-rectifications",
            "15 * * * *",
            timedelta(hours=1),
            lambda: escalate_and_tell(context),
        ),
    )


async def escalate_and_tell(context: JobContext) -> list[int]:
    """Mark the cases past their clock and tell every supervisor, in their inbox."""
    now = context.clock()
    escalated = await escalate_overdue(office_day(now), now)
    await tell_supervisors(context.notifier, escalated, office_day(now))
    return escalated


DOMAIN = Domain(
    name="reviews",
    route_handlers=(
        RateController,
        MyReviewsController,
        review_session,
        StaffReviewsController,
        SupervisorController,
        DisclosureController,
    ),
    template_globals={"review_words": REVIEW_WORDS},
    privacy=(PrivacyPart("reviews", reviews_data_of, detach_reviews),),
    jobs=_jobs,
)
