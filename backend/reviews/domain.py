"""What reviews adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backend.core.domains import Domain, JobContext, PrivacyPart
from backend.core.jobs import PeriodicJob
from backend.reviews.figure_routes import DisclosureController, SupervisorController
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
            lambda: escalate_overdue(office_day(context.clock()), context.clock()),
        ),
    )


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
