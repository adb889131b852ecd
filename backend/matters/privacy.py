"""A person's matters in their data export, and their files removed with their account.

The rows go with the account (ON DELETE CASCADE); the attached files on disk are removed here,
before the account is deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from backend.matters import service
from backend.matters.attachments import remove_attachment
from backend.matters.tables import Matter, MatterAttachment


async def matters_data_of(account_id: int) -> list[dict[str, Any]]:
    """Every matter of the person, drafts too: what they answered, its history, its files."""
    exported = []
    for matter in await service.matters_of(account_id):
        files = await MatterAttachment.select(
            MatterAttachment.document_code,
            MatterAttachment.display_name,
            MatterAttachment.media_type,
            MatterAttachment.size,
            MatterAttachment.sha256,
            MatterAttachment.uploaded_at,
        ).where(MatterAttachment.matter == matter.id)
        exported.append(
            {
                **msgspec.to_builtins(matter),
                "attachments": msgspec.to_builtins(files),
            }
        )
    return exported


async def erase_matter_files(account_id: int, var_path: Path) -> None:
    tokens = await MatterAttachment.select(MatterAttachment.token).where(
        MatterAttachment.matter.is_in(
            Matter.select(Matter.id).where(Matter.applicant == account_id)
        )
    )
    root = var_path / "attachments"
    for row in tokens:
        remove_attachment(row["token"], root=root)
