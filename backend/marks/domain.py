"""What the trademark image search adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.marks.jobs import JOB_TASKS

DOMAIN = Domain(
    name="marks",
    # The /search/image page (routes.py) and POST /api/v1/marks/search (api.py) join here.
    route_handlers=(),
    tasks=JOB_TASKS,
)
