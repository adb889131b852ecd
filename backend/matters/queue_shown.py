"""The staff queue kept rendered (core/view_cache.py), forgotten when a matter of it moves.

A staff member's queue is their outlet's: the same for all its staff in one language on one day,
so it is kept under the outlet; a supervisor's shows any outlet (and which outlets have open
matters), so it is kept under ALL. Every transition of a matter and every claim says so in its
transaction (`queue_changed`); once that commits, the app forgets the outlet's parts and ALL's
(`forgetting`, wired by create_app on its engine).
"""

from __future__ import annotations

from backend.auth.tables import Account
from backend.core import database
from backend.core.view_cache import KeptViews
from backend.matters.tables import Matter
from backend.outlets.staff import Actor

SHOWN = "matters.queue"  # the change: a matter entered, left or moved in an outlet's queue
ALL = "matters-queue|all"


def subject_of(actor: Actor) -> str:
    """Whose queue `actor` sees: ALL for a supervisor, else their outlet's."""
    return ALL if actor.role == Account.Role.supervisor else _outlet_subject(actor.outlet_id)


def _outlet_subject(outlet_id: int | None) -> str:
    return f"matters-queue|{outlet_id}"


async def queue_changed(outlet_id: int) -> None:
    await database.changed(Matter._meta.db, SHOWN, str(outlet_id))


def forgetting(kept: KeptViews) -> database.Action:
    """The app's action when SHOWN is committed: those outlets' queues and the supervisors'."""

    async def forget(outlet_ids: frozenset[str]) -> None:
        await kept.forget([ALL, *(_outlet_subject(int(outlet)) for outlet in outlet_ids)])

    return forget
