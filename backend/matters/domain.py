"""What matters adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain, PrivacyPart
from backend.matters.catalogue_views import related_matters
from backend.matters.filing_routes import FilingController, StartController
from backend.matters.my_routes import MyMattersController
from backend.matters.privacy import erase_matter_files, matters_data_of
from backend.matters.routes import MatterController
from backend.matters.site_search import MATTERS
from backend.matters.staff_routes import StaffMatterController

DOMAIN = Domain(
    name="matters",
    route_handlers=(
        MatterController,
        StartController,
        FilingController,
        MyMattersController,
        StaffMatterController,
    ),
    template_globals={"related_matters": related_matters},
    search_sources=(MATTERS,),
    privacy=(PrivacyPart("matters", matters_data_of, erase_matter_files),),
)
