"""What guides adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.guides.routes import GuideController
from backend.guides.site_search import GUIDES
from backend.guides.staff_routes import StaffGuideController

DOMAIN = Domain(
    name="guides",
    route_handlers=(GuideController, StaffGuideController),
    search_sources=(GUIDES,),
)
