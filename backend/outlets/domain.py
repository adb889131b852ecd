"""What outlets adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.outlets.routes import OutletController
from backend.outlets.site_search import OUTLETS

DOMAIN = Domain(name="outlets", route_handlers=(OutletController,), search_sources=(OUTLETS,))
