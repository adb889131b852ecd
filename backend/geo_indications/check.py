"""The authenticity check (/gi/check): is the producer with this credit code an authorised user
of a GI special mark? And a product's own authorised users for its page.

Only what the public register holds is shown: the producer's name, the GI, since when, the
announcement, and whether the entry is a demo one.
"""

from __future__ import annotations

from backend.geo_indications.credit_code import InvalidCreditCode, parse_credit_code, reason_message
from backend.geo_indications.schemas import AuthorisedUserEntry, CodeCheck, ProductUsers
from backend.geo_indications.tables import AuthorisedUser

MAX_TYPED = 60  # a code with separators and spaces; more is not a code
USERS_ON_A_PAGE = 20

_COLUMNS = (
    AuthorisedUser.product.id,
    AuthorisedUser.product.name,
    AuthorisedUser.producer,
    AuthorisedUser.approved_on,
    AuthorisedUser.announcement,
    AuthorisedUser.is_demo,
)


def _entry(row: dict) -> AuthorisedUserEntry:
    return AuthorisedUserEntry(
        product_id=row["product.id"],
        product_name=row["product.name"],
        producer=row["producer"],
        approved_on=row["approved_on"],
        announcement=row["announcement"],
        is_demo=row["is_demo"],
    )


async def check_code(typed: str) -> CodeCheck:
    """What the register says of the code typed; a mistyped code is explained, not looked up."""
    typed = typed[:MAX_TYPED]
    try:
        code = parse_credit_code(typed).canonical
    except InvalidCreditCode as error:
        return CodeCheck(typed=typed, error=reason_message(error))
    rows = (
        await AuthorisedUser.select(*_COLUMNS)
        .where(AuthorisedUser.credit_code == code)
        .order_by(AuthorisedUser.approved_on)
        .order_by(AuthorisedUser.id)
    )
    return CodeCheck(typed=typed, code=code, entries=[_entry(row) for row in rows])


async def users_of(product_id: int) -> ProductUsers:
    """The product's first USERS_ON_A_PAGE authorised users by name, and the counts."""
    rows = (
        await AuthorisedUser.select(*_COLUMNS)
        .where(AuthorisedUser.product == product_id)
        .order_by(AuthorisedUser.producer)
        .limit(USERS_ON_A_PAGE)
    )
    total = await AuthorisedUser.count().where(AuthorisedUser.product == product_id)
    demo = (
        await AuthorisedUser.count().where(
            (AuthorisedUser.product == product_id) & (AuthorisedUser.is_demo == True)  # noqa: E712
        )
        if total
        else 0
    )
    return ProductUsers(entries=[_entry(row) for row in rows], total=total, demo=demo)
