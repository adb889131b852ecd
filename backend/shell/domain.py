"""What shell adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain
from backend.shell.routes import ShellController
from backend.shell.site_search import SERVICES

DOMAIN = Domain(name="shell", route_handlers=(ShellController,), search_sources=(SERVICES,))
