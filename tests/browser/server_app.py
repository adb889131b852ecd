"""The app the browser tests serve (conftest.LiveServer runs `tests.browser.server_app:app`).

It is backend.app's own app with a clock a test may move (test_reviews.py's `moved_clock`: what
happens when days pass, such as a rectification case past its contact day) and a few doors under
/test-only/ for what happens away from the phone and would otherwise cost a `litestar iph …`
process of several seconds each: an enrolment link (`iph create-staff`), an outlet, a matter's
end, a run of a periodic job. Served as backend.app:app, the app has none of this. Every door
answers JSON and is left out of the schema and of CSRF (tests call them with httpx).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Request, post, put
from litestar.exceptions import NotFoundException

from backend.app import app
from backend.auth.tables import Account
from backend.cli import _enrolment_link
from backend.outlets.tables import Outlet
from backend.reviews import service as reviews

TEST_ONLY = {"exclude_from_csrf": True, "skip_rate_limit": True}


class MovableClock:
    """Real time plus an offset the test sets; never still, so steps keep their order."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


clock = MovableClock()


@put("/test-only/clock", opt=TEST_ONLY, include_in_schema=False)
async def move_clock(data: dict[str, Any]) -> dict[str, str]:
    """{"days": n}: the app's now is real time plus n days (0 puts it back)."""
    clock.offset = dt.timedelta(days=float(data["days"]))
    return {"now": clock().isoformat()}


@post("/test-only/jobs/{name:str}", opt=TEST_ONLY, include_in_schema=False, status_code=200)
async def run_job(request: Request, name: str) -> dict[str, Any]:
    """One run of a periodic job, as the scheduler would start it (by the app's clock)."""
    job = next((job for job in request.app.state.periodic_jobs if job.name == name), None)
    if job is None:
        raise NotFoundException(name)
    result = await job.run()
    return {"result": result if isinstance(result, list | int | None) else str(result)}


@post("/test-only/people", opt=TEST_ONLY, include_in_schema=False, status_code=200)
async def person(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """{"role", "outlet"}: an account and its one-time enrolment link (`iph create-staff`)."""
    email = f"{data['role']}-{secrets.token_hex(5)}@example.test"
    outlet = str(data.get("outlet") or "")
    link = await _enrolment_link(request.app, email, data["role"], outlet)
    account = await Account.select(Account.id).where(Account.email == email).first()
    return {"id": account["id"], "email": email, "enrolment": link}


@post("/test-only/outlets", opt=TEST_ONLY, include_in_schema=False, status_code=200)
async def outlet() -> dict[str, Any]:
    """A window of the test's own, so that its staff see only the test's cases."""
    name = f"测试受理窗口{secrets.token_hex(4)}"
    rows = await Outlet.insert(
        Outlet(name=name, type=Outlet.Type.acceptance_window, province_code="", source="test")
    ).returning(Outlet.id)
    return {"id": rows[0]["id"], "name": name}


@post("/test-only/matters-ended", opt=TEST_ONLY, include_in_schema=False, status_code=200)
async def matter_ended(request: Request, data: dict[str, Any]) -> dict[str, str]:
    """{"applicant", "outlet"}: a matter of theirs completed there, its rating open at
    /rate/{reference} (what matters.service does at a matter's last step)."""
    reference = secrets.token_hex(6).upper()
    await reviews.matter_ended(
        reference,
        str(data.get("matter_code") or "trademark-renewal"),
        int(data["outlet"]),
        int(data["applicant"]),
        "completed",
        request.app.state.auth.clock(),
    )
    return {"reference": reference}


app.state.auth.clock = clock  # requests, sign-ins and periodic jobs all read it from here
# Periodic jobs run only through the door above, when a test asks: a run of the scheduler's own
# (30 s after start, then hourly) inside a test's moved clock escalated the very case that test
# was about to see escalated by its own run (seen when test_reviews.py ran alone).
app.state.scheduler.forget_jobs()
for door in (move_clock, run_job, person, outlet, matter_ended):
    app.register(door)
