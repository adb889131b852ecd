"""What inquiries adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain, PrivacyPart
from backend.inquiries.routes import MyRecordsController, RecordController, StaffRecordsController
from backend.inquiries.service import bindings_of
from backend.inquiries.site_search import RECORDS
from backend.inquiries.stages import kind_name, stage_view

DOMAIN = Domain(
    name="inquiries",
    route_handlers=(RecordController, MyRecordsController, StaffRecordsController),
    template_globals={"stage_view_of": stage_view, "kind_name": kind_name},
    search_sources=(RECORDS,),
    privacy=(PrivacyPart("bound_records", bindings_of),),
)
