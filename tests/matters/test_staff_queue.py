"""The staff queue over HTTP (/staff/matters): staff see and work their own outlet's matters,
supervisors everyone's, an applicant is not authorised, a matter of another outlet does not
exist; a correction says what is missing, a rejection its grounds; each step reaches the
applicant's inbox."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from backend.auth.tables import Account
from backend.matters import service
from backend.matters.tables import Matter
from backend.matters.workflow import Action, Status
from backend.notifications.tables import InboxEntry
from backend.outlets.tables import Outlet, OutletStaff
from backend.working_days import service as working_days
from tests.conftest import serve
from tests.people import Person

pytestmark = pytest.mark.profiles

KIND = "bibliographic-change"
OTHER_KIND = "fee-reduction-request"


async def an_outlet() -> tuple[int, str]:
    province = "8" + "".join(secrets.choice("0123456789") for _ in range(5))
    outlet = Outlet(
        name=f"测试受理窗口{secrets.token_hex(4)}",
        type="acceptance_window",
        province_code=province,
        source="test",
    )
    await outlet.save()
    return outlet.id, province


async def account_id_of(person: Person) -> int:
    row = await Account.select(Account.id).where(Account.email == person.email).first()
    return row["id"]


class Office:
    """Two outlets, a staff member at each, a supervisor and an applicant, each signed in."""

    outlet: int
    province: str
    other_outlet: int
    other_province: str
    staff: Person
    other_staff: Person
    supervisor: Person
    applicant: Person

    async def draft(self, kind: str = KIND, province: str = "") -> str:
        matter = await service.start_matter(
            await account_id_of(self.applicant), kind, province_code=province or self.province
        )
        return matter.reference

    async def submitted(self, kind: str = KIND, province: str = "") -> str:
        reference = await self.draft(kind, province)
        applicant = await account_id_of(self.applicant)
        await service.submit_matter(reference, applicant, secrets.token_urlsafe(8), {})
        return reference


@pytest.fixture
async def office(app, mailbox) -> AsyncIterator[Office]:
    desk = Office()
    desk.outlet, desk.province = await an_outlet()
    desk.other_outlet, desk.other_province = await an_outlet()
    async with AsyncExitStack() as stack:
        for name, role, outlet in (
            ("staff", "staff", desk.outlet),
            ("other_staff", "staff", desk.other_outlet),
            ("supervisor", "supervisor", None),
            ("applicant", "applicant", None),
        ):
            person = Person(await stack.enter_async_context(serve(app)), mailbox)
            await person.sign_up()
            await Account.update({Account.role: role}).where(Account.email == person.email)
            if outlet is not None:
                await OutletStaff(account=await account_id_of(person), outlet=outlet).save()
            setattr(desk, name, person)
        yield desk


@pytest.fixture
def fixed_today(app) -> AsyncIterator[dt.date]:
    """The app's clock held still for the test: "today" cannot change under it at midnight."""
    real = app.state.auth.clock
    now = real()
    app.state.auth.clock = lambda: now
    yield now.date()
    app.state.auth.clock = real


async def due_on(reference: str, day: dt.date) -> None:
    await Matter.update({Matter.due_on: day}).where(Matter.reference == reference)


def listed(html: str, reference: str) -> bool:
    return f'href="/staff/matters/{reference}"' in html


def row_in(html: str, reference: str) -> str:
    return html.split(f'href="/staff/matters/{reference}"')[1].split("</li>")[0]


async def test_staff_see_their_outlets_matters_filtered_and_the_clock_in_words(
    office: Office, fixed_today: dt.date
) -> None:
    late, soon, later = [await office.submitted() for _ in range(3)]
    other_kind = await office.submitted(OTHER_KIND)
    elsewhere = await office.submitted(province=office.other_province)
    calendar = await working_days.load_calendar()
    await due_on(late, fixed_today - dt.timedelta(days=3))
    await due_on(soon, working_days.add_working_days(fixed_today, 1, calendar).date)
    await due_on(later, fixed_today + dt.timedelta(days=60))

    page = (await office.staff.client.get("/staff/matters")).text
    assert all(listed(page, ref) for ref in (late, soon, later, other_kind))
    assert not listed(page, elsewhere)
    assert 'id="outlet"' not in page, "staff do not choose the outlet"
    row_of = {
        ref: page.split(f'href="/staff/matters/{ref}"')[1].split("</li>")[0]
        for ref in (late, soon, later)
    }
    assert "已超期" in row_of[late]
    assert "2 个工作日内到期" in row_of[soon]
    assert "已超期" not in row_of[later] and "2 个工作日内到期" not in row_of[later]

    overdue = (await office.staff.client.get("/staff/matters?overdue=1")).text
    assert listed(overdue, late) and not listed(overdue, soon) and not listed(overdue, later)
    by_type = (await office.staff.client.get(f"/staff/matters?type={OTHER_KIND}")).text
    assert listed(by_type, other_kind) and not listed(by_type, late)
    await service.act(late, await account_id_of(office.staff), Action.accept)
    accepted = (await office.staff.client.get("/staff/matters?status=accepted")).text
    assert listed(accepted, late) and not listed(accepted, soon)
    chosen = f"/staff/matters?outlet={office.other_outlet}&status=nonsense&type=nonsense"
    ignored = (await office.staff.client.get(chosen)).text
    assert listed(ignored, soon) and not listed(ignored, elsewhere), "staff keep their outlet"


async def test_htmx_gets_the_list_alone(office: Office) -> None:
    reference = await office.submitted()
    response = await office.staff.client.get(
        "/staff/matters", headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )
    assert listed(response.text, reference) and "<html" not in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_supervisors_see_every_outlet_or_the_one_they_choose(office: Office) -> None:
    here, there = await office.submitted(), await office.submitted(province=office.other_province)
    everything = (await office.supervisor.client.get("/staff/matters")).text
    assert 'id="outlet"' in everything
    one = (await office.supervisor.client.get(f"/staff/matters?outlet={office.outlet}")).text
    assert listed(one, here) and not listed(one, there)
    response = await office.supervisor.client.get(f"/staff/matters/{there}")
    assert response.status_code == 200


async def test_staff_of_another_outlet_find_no_such_matter_to_see_claim_or_act_on(
    office: Office,
) -> None:
    reference = await office.submitted()
    outsider = office.other_staff
    assert (await outsider.client.get(f"/staff/matters/{reference}")).status_code == 404
    for path in ("claim", "actions/accept", "actions/reject"):
        response = await outsider.post_form(f"/staff/matters/{reference}/{path}", {"reason": "x"})
        assert response.status_code == 404, path
    matter = await Matter.select().where(Matter.reference == reference).first()
    assert matter["status"] == Status.submitted and matter["claimed_by"] is None


async def test_an_applicant_is_not_authorised_for_the_queue_or_its_actions(
    office: Office,
) -> None:
    reference = await office.submitted()
    applicant = office.applicant
    assert (await applicant.client.get("/staff/matters")).status_code == 403
    assert (await applicant.client.get(f"/staff/matters/{reference}")).status_code == 403
    response = await applicant.post_form(f"/staff/matters/{reference}/actions/accept", {})
    assert response.status_code == 403
    assert (await Matter.select(Matter.status).where(Matter.reference == reference).first())[
        "status"
    ] == Status.submitted


async def test_a_correction_needs_what_is_missing_and_a_rejection_its_grounds(
    office: Office,
) -> None:
    reference = await office.submitted()
    staff = office.staff
    await staff.post_form(f"/staff/matters/{reference}/actions/accept", {})
    asked = await staff.post_form(
        f"/staff/matters/{reference}/actions/request_correction",
        {"missing": " \n ", "reason": "请补"},
    )
    assert asked.status_code == 400
    assert "请写明缺少什么，一行一项。" in asked.text and "请补" in asked.text
    rejected = await staff.post_form(f"/staff/matters/{reference}/actions/reject", {"reason": " "})
    assert rejected.status_code == 400 and "请写明决定的理由。" in rejected.text
    status = (await Matter.select(Matter.status).where(Matter.reference == reference).first())[
        "status"
    ]
    assert status == Status.accepted
    unknown = await staff.post_form(f"/staff/matters/{reference}/actions/submit", {})
    assert unknown.status_code == 404, "only the office's actions have an address here"


async def test_an_action_not_allowed_now_is_said_in_words_and_extra_fields_are_ignored(
    office: Office,
) -> None:
    reference = await office.submitted()
    response = await office.staff.post_form(
        f"/staff/matters/{reference}/actions/approve",
        {"status": "completed", "outlet": str(office.other_outlet), "applicant": "1"},
    )
    assert response.status_code == 409
    assert "此事项目前的状态不能进行这项操作。" in response.text
    accepted = await office.staff.post_form(
        f"/staff/matters/{reference}/actions/accept",
        {"status": "completed", "outlet": str(office.other_outlet), "applicant": "1"},
    )
    assert accepted.status_code == 200
    row = await Matter.select().where(Matter.reference == reference).first()
    assert row["status"] == Status.accepted and row["outlet"] == office.outlet
    assert row["applicant"] == await account_id_of(office.applicant)


async def test_claiming_shows_who_took_the_matter_on(office: Office) -> None:
    reference = await office.submitted()
    claimed = await office.staff.post_form(f"/staff/matters/{reference}/claim", {})
    assert claimed.status_code == 200 and "测试用户" in claimed.text
    queue = (await office.staff.client.get("/staff/matters")).text
    row = queue.split(f'href="/staff/matters/{reference}"')[1].split("</li>")[0]
    assert "由 测试用户 负责" in row


async def test_a_matter_worked_to_its_end_tells_the_applicant_each_step(office: Office) -> None:
    reference = await office.submitted()
    staff, applicant = office.staff, office.applicant
    base = f"/staff/matters/{reference}/actions"
    assert (await staff.post_form(f"{base}/accept", {})).status_code == 200
    page = await staff.post_form(
        f"{base}/request_correction", {"missing": "营业执照副本\n\n变更证明"}
    )
    assert page.status_code == 200 and "营业执照副本" in page.text and "变更证明" in page.text
    applicant_id = await account_id_of(applicant)
    await service.save_answers(reference, applicant_id, {"licence": "已补"})
    await service.act(reference, applicant_id, Action.resubmit)
    assert (await staff.post_form(f"{base}/approve", {"reason": "材料齐全"})).status_code == 200
    done = await staff.post_form(f"{base}/complete", {})
    assert done.status_code == 200 and "已办结" in done.text
    matter = await service.matter_for(reference, await service.actor_of(applicant_id))
    assert matter.status == Status.completed
    entries = (
        await InboxEntry.select(InboxEntry.title, InboxEntry.body, InboxEntry.link)
        .where((InboxEntry.account == applicant_id) & (InboxEntry.kind == "status"))
        .order_by(InboxEntry.id)
    )
    mine = [entry for entry in entries if reference in entry["title"]]
    assert len(mine) == 4, mine  # accept, correction, approve, complete (not the service's own)
    assert all(entry["link"] == f"/my/matters/{reference}" for entry in mine)
    assert "营业执照副本" in mine[1]["body"] and "变更证明" in mine[1]["body"]
    assert "材料齐全" in mine[2]["body"]


async def test_create_staff_with_an_outlet_puts_them_there_by_name_or_id(app) -> None:
    from backend.cli import _enrolment_link

    outlet, _ = await an_outlet()
    name = (await Outlet.select(Outlet.name).where(Outlet.id == outlet).first())["name"]
    email = f"window-{secrets.token_hex(4)}@example.test"
    for chosen in (name, str(outlet)):
        assert "/enrol/" in await _enrolment_link(app, email, "staff", chosen)
    account = await Account.select(Account.id).where(Account.email == email).first()
    posts = await OutletStaff.select(OutletStaff.outlet).where(OutletStaff.account == account["id"])
    assert posts == [{"outlet": outlet}]
    with pytest.raises(Exception, match="no outlet with the name or id 'nowhere'"):
        await _enrolment_link(app, "other@example.test", "staff", "nowhere")
    assert not await Account.exists().where(Account.email == "other@example.test")


async def test_a_long_queue_is_shown_a_page_at_a_time_with_a_link_to_the_next(
    office: Office,
) -> None:
    sent = {await office.submitted(OTHER_KIND) for _ in range(service.QUEUE_PAGE + 2)}
    first = (await office.staff.client.get(f"/staff/matters?type={OTHER_KIND}")).text
    on_first = {reference for reference in sent if listed(first, reference)}
    assert len(on_first) == service.QUEUE_PAGE
    link = first.split('href="/staff/matters?')[1].split('"')[0].replace("&amp;", "&")
    assert f"type={OTHER_KIND}" in link and "after=" in link  # the filter goes with it
    second = (await office.staff.client.get(f"/staff/matters?{link}")).text
    on_second = {reference for reference in sent if listed(second, reference)}
    assert on_second == sent - on_first
    assert 'href="/staff/matters?' not in second
    unreadable = (await office.staff.client.get(f"/staff/matters?type={OTHER_KIND}&after=x.y")).text
    assert {reference for reference in sent if listed(unreadable, reference)} == on_first


async def test_the_queue_is_kept_for_its_outlet_and_shows_each_step_at_once_to_all_its_staff(
    office: Office,
) -> None:
    """A queue page is rendered once for the outlet's staff and the supervisors (core/
    view_cache.py) and forgotten by every transition and claim: a change made behind the app's
    back (the database written directly) is not shown until one of those comes."""
    first = await office.submitted()
    staff_id = await account_id_of(office.staff)
    outlets_queue = f"/staff/matters?outlet={office.outlet}"  # a supervisor's: all outlets'
    assert listed((await office.staff.client.get("/staff/matters")).text, first)
    assert listed((await office.supervisor.client.get(outlets_queue)).text, first)
    await Matter.update({Matter.status: Status.approved}).where(Matter.reference == first)

    behind_the_back = (await office.staff.client.get("/staff/matters")).text
    assert "已批准" not in row_in(behind_the_back, first), "the kept page"
    second = await office.submitted()
    for person, queue in ((office.staff, "/staff/matters"), (office.supervisor, outlets_queue)):
        page = (await person.client.get(queue)).text
        assert listed(page, second) and "已批准" in row_in(page, first)

    await Matter.update({Matter.status: Status.submitted}).where(Matter.reference == first)
    await service.claim(second, staff_id)
    row = row_in((await office.staff.client.get("/staff/matters")).text, second)
    assert "由 测试用户 负责" in row
    await service.act(first, await account_id_of(office.applicant), Action.withdraw)
    assert not listed((await office.supervisor.client.get(outlets_queue)).text, first)
    assert not listed((await office.staff.client.get("/staff/matters")).text, first)


async def test_the_kept_queue_is_the_persons_language_and_the_page_or_its_list(
    office: Office,
) -> None:
    reference = await office.submitted()
    staff = office.staff.client
    assert "尚无人负责" in (await staff.get("/staff/matters")).text
    english = (await staff.get("/staff/matters", headers={"Accept-Language": "en"})).text
    assert "Not taken on yet" in english and "尚无人负责" not in english
    fragment = await staff.get(
        "/staff/matters", headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )
    assert listed(fragment.text, reference) and 'id="type"' not in fragment.text
    page = (await staff.get("/staff/matters")).text
    assert listed(page, reference) and 'id="type"' in page and "<html" in page


async def test_staff_of_another_outlet_are_not_shown_a_queue_kept_for_this_one(
    office: Office,
) -> None:
    here = await office.submitted()
    assert listed((await office.staff.client.get("/staff/matters")).text, here)
    assert not listed((await office.other_staff.client.get("/staff/matters")).text, here)
