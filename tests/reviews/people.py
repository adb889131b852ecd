"""Accounts and outlets for review tests, made in the database as setup would."""

from __future__ import annotations

import secrets

from backend.auth.service import new_user_handle
from backend.auth.tables import Account
from backend.outlets.tables import Outlet, OutletStaff


async def an_outlet() -> int:
    outlet = Outlet(
        name=f"测试受理窗口{secrets.token_hex(4)}",
        type="acceptance_window",
        province_code="8" + "".join(secrets.choice("0123456789") for _ in range(5)),
        source="test",
    )
    await outlet.save()
    return outlet.id


async def an_account(role: str = "applicant", outlet_id: int | None = None) -> int:
    account = Account(
        email=f"review-{secrets.token_hex(5)}@example.test",
        display_name=f"测试{role}",
        role=role,
        user_handle=new_user_handle(),
    )
    await account.save()
    if outlet_id is not None:
        await OutletStaff(account=account.id, outlet=outlet_id).save()
    return account.id
