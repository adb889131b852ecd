"""`python -m tests.browser.seed_review_figures`: the reviews of tests/reviews/scenario.py in the
database of the server whose IPH_* environment it runs in (a LiveServer's), at two new outlets
with a staff member each, decided by the demo supervisor. Prints the outlets' ids."""

from __future__ import annotations

import asyncio

from backend.app import create_app
from backend.auth.tables import Account
from backend.core import database
from backend.settings import Settings
from tests.reviews.people import an_account, an_outlet
from tests.reviews.scenario import seed

DEMO_SUPERVISOR = "supervisor@demo.iph.example"


async def main() -> None:
    app = create_app(Settings.from_env())
    await database.open_engine(app.state.engine)
    try:
        outlets = {"a": await an_outlet(), "b": await an_outlet()}
        staff = {key: await an_account("staff", outlet) for key, outlet in outlets.items()}
        supervisor = await Account.select(Account.id).where(Account.email == DEMO_SUPERVISOR)
        matters = {"m1": "trademark-renewal", "m2": "bibliographic-change"}
        await seed(outlets, staff, supervisor[0]["id"], matters)
        print(outlets["a"], outlets["b"])
    finally:
        await database.close_engine(app.state.engine)


if __name__ == "__main__":
    asyncio.run(main())
