"""A holder's e-certificates and share links: in their data export, and with their account gone.

A certificate outlives its holder's account (README, Design decisions): it states public facts
of a granted right, issued by the office, and whoever was given its code still verifies it.
Deleting the account unties it (Certificate.holder, ON DELETE SET NULL) and removes its share
links, which were the person's: a shared link then answers as unknown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from backend.certificates.tables import Certificate, ShareLink


async def certificates_data_of(account_id: int) -> list[dict[str, Any]]:
    certificates = await Certificate.select(
        Certificate.id,
        Certificate.code,
        Certificate.status,
        Certificate.kind,
        Certificate.number,
        Certificate.title,
        Certificate.holder_name,
        Certificate.granted_on,
        Certificate.issued_at,
        Certificate.sha256,
        Certificate.revoked_at,
        Certificate.revoked_reason,
    ).where(Certificate.holder == account_id)
    exported = []
    for certificate in certificates:
        links = await ShareLink.select(
            ShareLink.created_at, ShareLink.expires_at, ShareLink.withdrawn_at
        ).where(ShareLink.certificate == certificate.pop("id"))
        exported.append({**certificate, "share_links": links})
    return msgspec.to_builtins(exported)


async def erase_share_links(account_id: int, var_path: Path) -> None:
    """Before the account goes: its share links with it; the certificates stay."""
    await ShareLink.delete().where(
        ShareLink.certificate.is_in(
            Certificate.select(Certificate.id).where(Certificate.holder == account_id)
        )
    )
