"""What geo_indications adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.geo_indications.routes import GIController
from backend.geo_indications.saved_routes import saved_packs
from backend.geo_indications.site_search import GI_PRODUCTS

DOMAIN = Domain(
    name="geo_indications",
    route_handlers=(GIController, saved_packs),
    search_sources=(GI_PRODUCTS,),
)
