"""Piccolo's configuration: the engine of the configured profile and one app per domain."""

from piccolo.conf.apps import AppRegistry

from backend.core.database import engine_for
from backend.settings import Settings

DB = engine_for(Settings.from_env())

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.auth.piccolo_app",
        "backend.inquiries.piccolo_app",
        "backend.notifications.piccolo_app",
        "backend.guides.piccolo_app",
        "backend.geo_indications.piccolo_app",
        "backend.outlets.piccolo_app",
        "backend.working_days.piccolo_app",
        "backend.idempotency.piccolo_app",
        "backend.matters.piccolo_app",
        "backend.certificates.piccolo_app",
        "backend.business_register.piccolo_app",
        "backend.reviews.piccolo_app",
        "backend.marks.piccolo_app",
        "backend.jobs.piccolo_app",
    ]
)
