"""The audit log: written by the services, read by the person and by admins, never edited.

Entries hold time, actor, role, event, outcome, target, client IP, user agent and request id;
never session ids, codes or credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.auth.tables import AuditEvent


@dataclass(frozen=True)
class RequestMeta:
    """Who is asking, as far as the audit log needs to know."""

    client_ip: str
    user_agent: str
    request_id: str


async def record(
    event: str,
    outcome: str,
    meta: RequestMeta,
    *,
    actor_id: int | None = None,
    actor_role: str = "",
    target: str = "",
) -> None:
    await AuditEvent(
        event=event,
        outcome=outcome,
        actor_id=actor_id,
        actor_role=actor_role,
        target=target[:200],
        client_ip=meta.client_ip[:64],
        user_agent=meta.user_agent[:300],
        request_id=meta.request_id[:32],
    ).save()


async def events_of(account_id: int, limit: int = 100) -> list[AuditEvent]:
    return (
        await AuditEvent.objects()
        .where(AuditEvent.actor_id == account_id)
        .order_by(AuditEvent.occurred_at, ascending=False)
        .limit(limit)
    )


async def all_events(limit: int = 200) -> list[AuditEvent]:
    return await AuditEvent.objects().order_by(AuditEvent.occurred_at, ascending=False).limit(limit)


async def purge_older_than(days: int, now: datetime) -> int:
    """The retention job: the only deletion of audit entries there is."""
    cutoff = now - timedelta(days=days)
    deleted = (
        await AuditEvent.delete().where(AuditEvent.occurred_at < cutoff).returning(AuditEvent.id)
    )
    return len(deleted)
