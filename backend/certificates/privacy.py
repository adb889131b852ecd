"""A holder's e-certificates and share links in their data export (the facts as issued)."""

from __future__ import annotations

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
    ).where(Certificate.holder == account_id)
    exported = []
    for certificate in certificates:
        links = await ShareLink.select(
            ShareLink.created_at, ShareLink.expires_at, ShareLink.withdrawn_at
        ).where(ShareLink.certificate == certificate.pop("id"))
        exported.append({**certificate, "share_links": links})
    return msgspec.to_builtins(exported)
