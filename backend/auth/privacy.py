"""A person's own data (PIPL): export all of it as JSON, or delete the account.

Audit entries outlive the account (kept for the retention period the law asks for), and
records the office holds about rights stay with the office: the deletion page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from backend.auth import audit
from backend.auth.audit import RequestMeta
from backend.auth.schemas import AccountExport
from backend.auth.service import unused_recovery_codes
from backend.auth.tables import Account, AuditEvent, Passkey
from backend.core.database import write_transaction
from backend.core.domains import PrivacyPart


def _iso(value) -> str | None:
    return value.isoformat() if value else None


async def export_account(
    account: Account, meta: RequestMeta, parts: Sequence[PrivacyPart]
) -> dict[str, Any]:
    """The account's own data, then each domain's part (core/domains.py) under its key."""
    passkeys = await Passkey.objects().where(Passkey.account == account.id)
    events = await audit.events_of(account.id, limit=10_000)
    await audit.record(
        "account-exported", "success", meta, actor_id=account.id, actor_role=account.role
    )
    own = AccountExport(
        account={
            "email": account.email,
            "display_name": account.display_name,
            "role": account.role,
            "chosen_locale": account.chosen_locale,
            "created_at": _iso(account.created_at),
        },
        passkeys=[
            {
                "name": passkey.name,
                "created_at": _iso(passkey.created_at),
                "last_used_at": _iso(passkey.last_used_at),
                "synced": passkey.backed_up,
            }
            for passkey in passkeys
        ],
        recovery_codes_left=await unused_recovery_codes(account.id),
        audit_events=[_event(event) for event in events],
    )
    return {**msgspec.to_builtins(own), **{p.key: await p.export(account.id) for p in parts}}


def _event(event: AuditEvent) -> dict:
    return {
        "occurred_at": _iso(event.occurred_at),
        "event": event.event,
        "outcome": event.outcome,
        "client_ip": event.client_ip,
        "user_agent": event.user_agent,
    }


async def delete_account(
    account: Account, meta: RequestMeta, parts: Sequence[PrivacyPart], var_path: Path
) -> None:
    """Passkeys, recovery codes, enrolment links and every domain's rows that refer to the
    account go with it (ON DELETE CASCADE); each domain's `erase` removes the rest first."""
    for part in parts:
        if part.erase is not None:
            await part.erase(account.id, var_path)
    async with write_transaction(Account._meta.db):
        await audit.record(
            "account-deleted", "success", meta, actor_id=account.id, actor_role=account.role
        )
        await Account.delete().where(Account.id == account.id)
