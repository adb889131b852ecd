"""What auth adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.auth.account_routes import AccountController, PrivacyController
from backend.auth.enrolment_routes import AdminAuditController, EnrolmentController
from backend.auth.routes import AuthController
from backend.core.domains import Domain

DOMAIN = Domain(
    name="auth",
    route_handlers=(
        AuthController,
        AccountController,
        PrivacyController,
        EnrolmentController,
        AdminAuditController,
    ),
)
