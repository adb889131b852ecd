"""Who works where: a person as the office's workflows see them (matters, reviews)."""

from __future__ import annotations

import msgspec

from backend.auth.tables import Account
from backend.core.database import read_by_key

_ROLE_AND_POST = (
    "SELECT account.role AS role, outlet_staff.outlet AS outlet FROM account"
    " LEFT JOIN outlet_staff ON outlet_staff.account = account.id WHERE account.id = {}"
)


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in person acting; `outlet_id` is the outlet a staff member works at."""

    account_id: int
    role: Account.Role
    outlet_id: int | None = None


async def actor_of(account_id: int) -> Actor:
    """The person's role and, for staff, their outlet: one read by key (an account has at most
    one post, OutletStaff.account is unique). LookupError when there is no such account."""
    rows = await read_by_key(Account, _ROLE_AND_POST, account_id)
    if not rows:
        raise LookupError(account_id)
    return Actor(
        account_id=account_id, role=Account.Role(rows[0]["role"]), outlet_id=rows[0]["outlet"]
    )


async def actor_for(account: Account) -> Actor:
    """`actor_of` the account already read (the signed-in person's): only staff work at an
    outlet, so anyone else's actor takes no read (a matter's send was a round trip less)."""
    if account.role == Account.Role.staff:
        return await actor_of(account.id)
    return Actor(account_id=account.id, role=Account.Role(account.role))
