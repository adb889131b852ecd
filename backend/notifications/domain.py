"""What notifications adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.core.domains import Domain, PrivacyPart
from backend.notifications.routes import InboxController, inbox_badge
from backend.notifications.service import notification_data_of

DOMAIN = Domain(
    name="notifications",
    route_handlers=(InboxController, inbox_badge),
    privacy=(PrivacyPart("notifications", notification_data_of),),
)
