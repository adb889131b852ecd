"""The office's review pages over HTTP: the cases of an outlet, each step with its reason, the
reviewer told in their inbox; staff never see who rated them, a supervisor does for the return
contact; another outlet's case is not found; an applicant is not authorised; visit and desk
codes."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from backend.auth.tables import Account
from backend.notifications.tables import InboxEntry
from backend.outlets.tables import OutletStaff
from backend.reviews import service
from backend.reviews.tables import RectificationCase, Review
from tests.conftest import serve
from tests.people import Person
from tests.reviews.people import an_outlet
from tests.reviews.test_pages import account_id_of, rate

pytestmark = pytest.mark.profiles


class Desk:
    outlet: int
    staff: Person
    other_staff: Person
    supervisor: Person
    reviewer: Person


@pytest.fixture
async def desk(app, mailbox) -> AsyncIterator[Desk]:
    place = Desk()
    place.outlet, other = await an_outlet(), await an_outlet()
    async with AsyncExitStack() as stack:
        for name, role, outlet in (
            ("staff", "staff", place.outlet),
            ("other_staff", "staff", other),
            ("supervisor", "supervisor", None),
            ("reviewer", "applicant", None),
        ):
            person = Person(await stack.enter_async_context(serve(app)), mailbox)
            await person.sign_up(f"评价人{secrets.token_hex(2)}" if name == "reviewer" else name)
            await Account.update({Account.role: role}).where(Account.email == person.email)
            if outlet is not None:
                await OutletStaff(account=await account_id_of(person), outlet=outlet).save()
            setattr(place, name, person)
        yield place


async def a_bad_review(place: Desk) -> int:
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(
        reference,
        "trademark-renewal",
        place.outlet,
        await account_id_of(place.reviewer),
        "completed",
    )
    await rate(place.reviewer, reference, level="1", comment="窗口排队两小时")
    [review] = await Review.select(Review.id).where(Review.event.token == reference)
    case = await RectificationCase.select().where(RectificationCase.review == review["id"]).first()
    return case["id"]


async def test_staff_work_their_outlets_case_without_seeing_who_rated(desk: Desk) -> None:
    case_id = await a_bad_review(desk)
    name_row = (
        await Account.select(Account.display_name)
        .where(Account.email == desk.reviewer.email)
        .first()
    )

    listed = await desk.staff.client.get("/staff/reviews")
    page = await desk.staff.client.get(f"/staff/reviews/cases/{case_id}")
    supervisor_page = await desk.supervisor.client.get(f"/staff/reviews/cases/{case_id}")

    assert f"/staff/reviews/cases/{case_id}" in listed.text
    assert page.status_code == 200 and "窗口排队两小时" in page.text
    for secret in (desk.reviewer.email, name_row["display_name"]):
        assert secret not in page.text and secret not in listed.text
        assert secret in supervisor_page.text
    other = await desk.other_staff.client.get(f"/staff/reviews/cases/{case_id}")
    assert other.status_code == 404
    assert (
        f"/staff/reviews/cases/{case_id}"
        not in (await desk.other_staff.client.get("/staff/reviews")).text
    )
    assert (await desk.reviewer.client.get("/staff/reviews")).status_code in (401, 403)


async def test_each_step_is_kept_and_the_reviewer_hears_of_it(desk: Desk) -> None:
    case_id = await a_bad_review(desk)
    base = f"/staff/reviews/cases/{case_id}/steps"
    staff_id = await account_id_of(desk.staff)

    refused = await desk.supervisor.post_form(f"{base}/contact", {"reason": " "})
    for person, step, fields in (
        (desk.supervisor, "contact", {"reason": "已电话回访，核实排队情况"}),
        (desk.supervisor, "verify_valid", {}),
        (desk.supervisor, "assign", {"assignee": str(staff_id)}),
        (desk.staff, "rectify", {"reason": "增开一个窗口"}),
        (desk.staff, "reply", {"reason": "已增开窗口，感谢您的反馈"}),
    ):
        response = await person.post_form(f"{base}/{step}", fields)
        assert response.status_code == 200, (step, response.status_code)

    assert refused.status_code == 400 and "评价人会看到" in refused.text
    case = await RectificationCase.select().where(RectificationCase.id == case_id).first()
    assert case["status"] == "replied" and case["assignee_id"] == staff_id
    inbox = await InboxEntry.select(InboxEntry.body).where(
        InboxEntry.account == await account_id_of(desk.reviewer)
    )
    bodies = " ".join(row["body"] for row in inbox)
    assert "已电话回访" in bodies and "已增开窗口，感谢您的反馈" in bodies
    mine = await desk.reviewer.client.get("/my/reviews")
    assert "增开一个窗口" in mine.text and f"/my/reviews/cases/{case_id}/confirm" in mine.text
    confirmed = await desk.reviewer.post_form(
        f"/my/reviews/cases/{case_id}/confirm", {"level": "4"}
    )
    assert confirmed.status_code == 200
    closed = await RectificationCase.select().where(RectificationCase.id == case_id).first()
    assert closed["status"] == "closed" and closed["satisfaction"] == 4


async def test_the_reviewers_steps_are_not_the_offices(desk: Desk) -> None:
    case_id = await a_bad_review(desk)
    for step in ("appeal", "confirm", "no-such-step"):
        response = await desk.supervisor.post_form(
            f"/staff/reviews/cases/{case_id}/steps/{step}", {"reason": "x"}
        )
        assert response.status_code == 404


async def test_an_appeal_is_decided_by_a_supervisor_with_a_reason(desk: Desk) -> None:
    case_id = await a_bad_review(desk)
    base = f"/staff/reviews/cases/{case_id}/appeal"

    no_grounds = await desk.staff.post_form(base, {"grounds": ""})
    filed = await desk.staff.post_form(base, {"grounds": "评价内容与本窗口无关"})
    by_staff = await desk.staff.post_form(f"{base}/decision", {"decision": "upheld", "reason": "x"})
    no_reason = await desk.supervisor.post_form(f"{base}/decision", {"decision": "upheld"})
    decided = await desk.supervisor.post_form(
        f"{base}/decision", {"decision": "upheld", "reason": "经核实系误评"}
    )

    assert no_grounds.status_code == 400 and filed.status_code == 200
    assert by_staff.status_code == 400 and no_reason.status_code == 400
    assert decided.status_code == 200 and "经核实系误评" in decided.text


async def test_a_visit_code_and_a_desk_code_lead_to_the_rating_page(desk: Desk) -> None:
    made = await desk.staff.post_form("/staff/reviews/visit-code", {"desk": "5号窗口"})
    [url] = re.findall(r"<figcaption>([^<]+)</figcaption>", made.text)
    token = url.rsplit("/", 1)[1]
    assert "<svg" in made.text
    assert (await desk.reviewer.client.get(f"/rate/{token}")).status_code == 200

    printed = await desk.staff.post_form("/staff/reviews/desks", {"desk": "综合窗口"})
    assert printed.status_code == 200 and "综合窗口" in printed.text and "<svg" in printed.text
    [desk_url] = re.findall(r"<figcaption>([^<]+)</figcaption>", printed.text)
    desk_path = "/" + desk_url.split("/", 3)[3]
    assert (await desk.reviewer.client.get(desk_path)).status_code == 200


async def test_an_overdue_case_is_escalated_to_every_supervisor_once(app, desk: Desk) -> None:
    import datetime as dt

    from backend.core.domains import JobContext
    from backend.reviews.domain import escalate_and_tell

    case_id = await a_bad_review(desk)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)  # past the 1-working-day contact
    context = JobContext(
        settings=app.state.settings, clock=lambda: later, notifier=app.state.notify
    )

    first = await escalate_and_tell(context)
    again = await escalate_and_tell(context)

    assert case_id in first and case_id not in again
    supervisor = await account_id_of(desk.supervisor)
    told = await InboxEntry.select(InboxEntry.link).where(InboxEntry.account == supervisor)
    assert [row["link"] for row in told].count("/staff/reviews") == 1
    listed = await desk.supervisor.client.get("/staff/reviews")
    assert "已上报监督人员" in listed.text
