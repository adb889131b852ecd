"""The holder looked up in the business register when the credit-code screen is kept.

What the register says is kept on the matter as it said it then (answers.RegisterCheck under
answers.REGISTER_CHECK), so the review, the person's matter page and staff read the same facts
later, whatever the register holds by then. An unknown code, a deregistered entity or a
register that cannot answer are not errors: the filing asks for the licence (or the commitment)
as it always did, and says why. What a match changes is answers.py's (pure).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from backend.business_register.service import BusinessRegister, RegisterUnavailable
from backend.matters import answers as rules
from backend.matters.catalogue import Matter

log = logging.getLogger(__name__)


async def check(register: BusinessRegister, credit_code: str) -> rules.RegisterCheck:
    try:
        entity = await register.look_up(credit_code)
    except RegisterUnavailable:
        log.warning("business register unavailable: %s not checked", credit_code)
        return rules.RegisterCheck(credit_code=credit_code, outcome="unavailable")
    if entity is None:
        return rules.RegisterCheck(credit_code=credit_code, outcome="not_held")
    return rules.RegisterCheck(
        credit_code=credit_code,
        outcome="matched" if entity.active else "inactive",
        name=entity.name,
        address=entity.address if entity.active else "",
        is_demo=entity.is_demo,
    )


async def with_register_check(
    kind: Matter,
    before: Mapping[str, Any],
    after: dict[str, Any],
    saved: Mapping[str, Any],
    register: BusinessRegister,
) -> dict[str, Any]:
    """`after` (the merged answers) with the register asked about the credit code, when the
    screen just `saved` holds it; unchanged otherwise."""
    field = kind.register_field
    if field is None or field.key not in saved:
        return after
    code = after.get(field.key)
    found = await check(register, code) if code and rules.asked(field.only_if, after) else None
    return rules.with_register_check(kind, before, after, found)
