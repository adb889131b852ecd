"""What jobs adds to the app (backend/core/domains.py): the failed list and its admin page."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.jobs.routes import FailedJobsController

DOMAIN = Domain(name="jobs", route_handlers=(FailedJobsController,))
