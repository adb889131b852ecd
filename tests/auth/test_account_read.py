"""The signed-in account read by key (every signed-in request: CurrentAccountMiddleware) is the
Account Piccolo's objects() makes, field for field and type for type, on both profiles."""

from __future__ import annotations

import pytest

from backend.auth import service
from backend.auth.tables import Account

pytestmark = pytest.mark.profiles


async def test_the_account_by_id_is_the_one_piccolo_reads(client) -> None:
    await service.ensure_account("read-by-key@example.test", "读", Account.Role.staff)
    piccolos = await Account.objects().where(Account.email == "read-by-key@example.test").first()
    read = await service.account_by_id(piccolos.id)
    assert isinstance(read, Account) and read._exists_in_db
    assert read.to_dict() == piccolos.to_dict()
    types = {name: type(value) for name, value in piccolos.to_dict().items()}
    assert {name: type(value) for name, value in read.to_dict().items()} == types


async def test_no_account_by_an_unknown_id(client) -> None:
    assert await service.account_by_id(10**9) is None
