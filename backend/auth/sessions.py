"""Session rules: what a signed-in session holds and when it has ended.

Idle timeout (30 minutes, staff 15) and absolute lifetime (12 hours) are checked against the
app's clock on every request; "sign out of all devices" raises the account's epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backend.auth.tables import Account


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    staff_idle: timedelta
    absolute: timedelta

    def idle_limit(self, role: str) -> timedelta:
        return self.idle if role == Account.Role.applicant else self.staff_idle


def signed_in_session(account: Account, now: int) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "epoch": account.session_epoch,
        "signed_in_at": now,
        "last_seen": now,
        "locale": account.chosen_locale,  # None: the browser's language decides
    }


def session_end_reason(
    session: dict[str, Any], account: Account | None, now: int, policy: SessionPolicy
) -> str | None:
    """Why this session no longer signs anyone in, or None while it does."""
    if account is None:
        return "account gone"
    if session.get("epoch") != account.session_epoch:
        return "signed out everywhere"
    if now - session.get("signed_in_at", 0) > policy.absolute.total_seconds():
        return "absolute lifetime"
    if now - session.get("last_seen", 0) > policy.idle_limit(account.role).total_seconds():
        return "idle"
    return None
