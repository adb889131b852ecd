"""What the trademark image search adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.marks.api import MarkSearchApiController
from backend.marks.jobs import JOB_TASKS
from backend.marks.routes import MarkSearchController

DOMAIN = Domain(
    name="marks",
    # The /search/image page (routes.py) and POST /api/v1/marks/search (api.py).
    route_handlers=(MarkSearchController, MarkSearchApiController),
    tasks=JOB_TASKS,
)
