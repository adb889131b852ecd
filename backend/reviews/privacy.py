"""A person's reviews in their data export; at account deletion their reviews stay, detached.

A rating is the office's record of the service and is counted in the published figures, so it
is not deleted with the account; what ties it to the person (the reviewer and the event's
person) is cleared, so that no later account that happens to get the same id sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from backend.reviews import service
from backend.reviews.tables import Review, ServiceEvent


async def reviews_data_of(account_id: int) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(review) for review in await service.reviews_of(account_id)]


async def detach_reviews(account_id: int, _var_path: Path) -> None:
    await Review.update({Review.reviewer_id: None}).where(Review.reviewer_id == account_id)
    await ServiceEvent.update({ServiceEvent.account_id: None}).where(
        ServiceEvent.account_id == account_id
    )
