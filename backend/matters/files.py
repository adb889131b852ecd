"""The files attached to a matter: recorded by token, listed and opened only for who may see it.

attachments.py checks and stores the bytes; this module ties a stored file to a matter and a
document, and answers every read through `service.matter_for`, so a token or a reference that
belongs to someone else is "not found", the same answer as one that never existed.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from backend.core.database import read_by_key
from backend.matters import service
from backend.matters.attachments import AttachmentFile, StoredAttachment, open_attachment
from backend.matters.tables import MatterAttachment
from backend.matters.workflow import Refusal, Status

_ATTACHMENTS_OF_MATTER = (
    "SELECT token, document_code, media_type, size, display_name"
    f" FROM {MatterAttachment._meta.tablename} WHERE matter = {{}} ORDER BY id"
)


class AttachmentRow(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    document_code: str
    media_type: str
    size: int
    display_name: str


async def attach(
    reference: str, account_id: int, document_code: str, stored: StoredAttachment
) -> AttachmentRow:
    """Record a stored file as the matter's `document_code` (the latest one of a document is the
    one that counts). Only the applicant, only while the answers may change."""
    matter = await service.matter_for(reference, await service.actor_of(account_id))
    if matter.applicant_id != account_id:
        raise service.ActionRefused(Refusal.not_your_matter)
    if matter.status not in (Status.draft, Status.correction_requested):
        raise service.ActionRefused(Refusal.not_allowed_in_state)
    await MatterAttachment.insert(
        MatterAttachment(
            matter=matter.id,
            document_code=document_code,
            token=stored.token,
            media_type=stored.media_type,
            size=stored.size,
            sha256=stored.sha256,
            display_name=stored.display_name,
        )
    )
    return AttachmentRow(
        token=stored.token,
        document_code=document_code,
        media_type=stored.media_type,
        size=stored.size,
        display_name=stored.display_name,
    )


async def attachments_of(reference: str, account_id: int) -> list[AttachmentRow]:
    """The matter's files, the latest of each document only, in upload order."""
    matter = await service.matter_for(reference, await service.actor_of(account_id))
    return await attachments_of_matter(matter)


async def attachments_of_matter(matter: service.MatterView) -> list[AttachmentRow]:
    """As attachments_of, for a matter its caller was given by service.matter_for. A read
    bounded by the matter's index (a few files), so on SQLite at once on the event loop: 394
    µs of a send through a read connection's thread, 14 µs so (bench/matters_parts.py)."""
    rows = await read_by_key(MatterAttachment, _ATTACHMENTS_OF_MATTER, matter.id)
    latest = {row["document_code"]: row for row in rows}
    return [
        AttachmentRow(
            token=row["token"],
            document_code=row["document_code"],
            media_type=row["media_type"],
            size=row["size"],
            display_name=row["display_name"],
        )
        for row in latest.values()
    ]


async def open_for(
    reference: str, token: str, account_id: int, root: Path
) -> tuple[AttachmentRow, AttachmentFile]:
    """The file, if it is this matter's and the person may see the matter; else MatterNotFound."""
    found = {row.token: row for row in await attachments_of(reference, account_id)}
    if token not in found:
        raise service.MatterNotFound(reference)
    return found[token], open_attachment(token, root=root)
