"""Settings: one msgspec Struct read once from IPH_* environment variables.

Every field carries a one-line description in `SETTING_DOCS`; a test checks that each one is in
the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SETTING_DOCS: dict[str, str] = {
    "host": "Address `make run` serves on.",
    "port": "Port `make run` serves on.",
    "origin": "Public origin of the site (scheme://host[:port]); decides Secure cookies and HSTS.",
    "var_dir": "Folder for the SQLite file, file stores, secret key and outbox.",
    "database_url": "`sqlite:///path` (default: var/iph.sqlite3, WAL mode) or `postgresql://…`.",
    "redis_url": "`redis://…` puts sessions, rate limits, challenges and the job queue in Redis "
    "(run `litestar iph worker`); unset uses file stores under var/ and runs jobs in-process.",
    "store_namespace": "Key prefix for everything this app keeps in Redis.",
    "secret_key": "Secret for CSRF tokens; unset: generated once and kept in var/secret_key.",
    "session_idle_minutes": "A session ends after this many minutes without a request.",
    "rate_limit_per_minute": "Requests a client may make per minute before getting 429.",
    "log_level": "Python log level of the app's loggers.",
    "smtp_url": "`smtp://[user:pass@]host[:port]` or `smtps://…` for e-mail; "
    "unset writes mail to var/outbox and the log.",
    "mail_from": "Sender address of the app's e-mail.",
    "rp_id": "WebAuthn relying-party id: the site's host name (default: the origin's host).",
    "session_absolute_hours": "A session ends this many hours after sign-in, active or not.",
    "staff_idle_minutes": "Idle timeout for staff, supervisor and admin sessions.",
    "audit_retention_days": "Audit entries older than this are purged (at least 184).",
    "vapid_private_key": "Web Push (VAPID) private key, PEM or base64url; "
    "unset: generated once and kept in var/vapid_private.pem.",
    "vapid_subject": "Contact given to push services with every push: `mailto:…` or `https://…`.",
    "push_services": "Push-service hosts a subscription may point at (each also covers its "
    "subdomains; `http://host` allows plain http, for tests), comma-separated.",
    "signing_key_file": "PEM private key the office signs e-certificate PDFs with; unset "
    "(embedded only): made once, self-signed, in var/signing/.",
    "signing_cert_file": "PEM certificate of that key, then any chain up to its root.",
    "api_rate_limit_per_minute": "Calls one data-interface API key may make per minute "
    "before getting 429.",
    "demo_marks": "Demo trademarks with images that `iph setup` / `iph seed` draw and index for "
    "the image search (make run: 10,000; 0: none).",
    "mark_searches_per_minute": "Image searches of trademarks (/search/image and its API) one "
    "client address may make per minute before being asked to wait.",
    "review_contact_working_days": "Working days from a bad review to the return contact.",
    "review_resolve_working_days": "Working days from a bad review to it being put right and "
    "answered (a supervisor may give a new date, with a reason the reviewer sees).",
    "review_follow_up_days": "Days after a review in which its reviewer may add a follow-up.",
    "reviews_per_hour": "Ratings one client address, and one account, may send per hour before "
    "getting 429.",
    "metrics_token": "Bearer token /metrics asks for (`Authorization: Bearer …`); unset: "
    "/metrics answers only clients on the loopback address.",
    "business_register": "Adapter that looks up enterprises' credit codes in the business "
    "register: `own` reads our own copy (seeded with demo entities, `litestar iph import "
    "business-entities`).",
}
# The push services of Chrome/Edge-on-Android/Opera/Samsung (FCM), Firefox, Edge on Windows and
# Safari. Subscriptions elsewhere are refused: the server would otherwise POST wherever a
# signed-in person told it to.
DEFAULT_PUSH_SERVICES = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,notify.windows.com,push.apple.com"
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    origin: str = "http://localhost:8000"
    var_dir: str = str(PROJECT_ROOT / "var")
    database_url: str = ""
    redis_url: str = ""
    store_namespace: str = "iph"
    secret_key: str = ""
    session_idle_minutes: int = 30
    rate_limit_per_minute: int = 600
    log_level: str = "INFO"
    smtp_url: str = ""
    mail_from: str = "IP Handheld <no-reply@localhost>"
    rp_id: str = ""
    session_absolute_hours: int = 12
    staff_idle_minutes: int = 15
    audit_retention_days: int = 184
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:admin@localhost"
    push_services: str = DEFAULT_PUSH_SERVICES
    signing_key_file: str = ""
    signing_cert_file: str = ""
    api_rate_limit_per_minute: int = 60
    mark_searches_per_minute: int = 10
    demo_marks: int = 10_000
    review_contact_working_days: int = 1
    review_resolve_working_days: int = 15
    review_follow_up_days: int = 15
    reviews_per_hour: int = 30
    business_register: str = "own"
    metrics_token: str = ""

    def __post_init__(self) -> None:
        if self.audit_retention_days < 184:
            raise ValueError("audit_retention_days must be at least 184 (six months)")
        if not self.vapid_subject.startswith(("mailto:", "https://")):
            raise ValueError("vapid_subject must be a mailto: or https:// URL (RFC 8292)")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read IPH_<FIELD> variables; msgspec converts and validates their types."""
        environ = dict(os.environ if environ is None else environ)
        raw = {
            name: environ[f"IPH_{name.upper()}"]
            for name in cls.__struct_fields__
            if f"IPH_{name.upper()}" in environ
        }
        return msgspec.convert(raw, cls, strict=False)

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir)

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.var_path / "iph.sqlite3"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def relying_party_id(self) -> str:
        return self.rp_id or (urlsplit(self.origin).hostname or "localhost")

    @property
    def outbox_path(self) -> Path:
        return self.var_path / "outbox"

    @property
    def vapid_key_path(self) -> Path:
        return self.var_path / "vapid_private.pem"

    @property
    def push_service_list(self) -> tuple[str, ...]:
        return tuple(entry.strip() for entry in self.push_services.split(",") if entry.strip())

    @property
    def cookies_secure(self) -> bool:
        """Secure cookies everywhere except plain http:// on this machine."""
        return self.origin.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one made at first start and kept under var/."""
        if self.secret_key:
            return self.secret_key
        key_file = self.var_path / "secret_key"
        if not key_file.exists():
            self.var_path.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()
