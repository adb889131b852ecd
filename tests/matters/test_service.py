"""Matters in the database (backend/matters/service.py): a draft submitted once whatever the
repeats, worked by the staff of its outlet to its end, its history kept; nobody else reads or
changes it. On SQLite and on PostgreSQL, with real accounts, outlets and calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import pytest

from backend.auth.tables import Account
from backend.idempotency.service import KeyReused
from backend.matters import service
from backend.matters.tables import Matter, MatterEvent
from backend.matters.workflow import Action, Reason, Refusal, Status
from backend.outlets.tables import Outlet, OutletStaff

pytestmark = pytest.mark.profiles

KIND = "bibliographic-change"
# A Monday: ten working days later is Monday 2026-03-16 (no holiday in between).
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


async def an_account(role: str = "applicant", outlet: int | None = None) -> int:
    account = Account(
        email=f"m-{secrets.token_hex(5)}@example.test",
        display_name="测试",
        role=role,
        user_handle=secrets.token_urlsafe(32),
    )
    await account.save()
    if outlet is not None:
        await OutletStaff(account=account.id, outlet=outlet).save()
    return account.id


async def an_outlet(province: str) -> int:
    outlet = Outlet(
        name=f"测试受理窗口{secrets.token_hex(4)}",
        type="acceptance_window",
        province_code=province,
        source="test",
    )
    await outlet.save()
    return outlet.id


@pytest.fixture
async def desk() -> dict[str, int]:
    """A province of its own with one acceptance window, its staff, an applicant, strangers."""
    province = "9" + "".join(secrets.choice("0123456789") for _ in range(5))
    outlet = await an_outlet(province)
    other_outlet = await an_outlet("9" + "".join(secrets.choice("0123456789") for _ in range(5)))
    return {
        "province": province,
        "outlet": outlet,
        "applicant": await an_account(),
        "stranger": await an_account(),
        "staff": await an_account("staff", outlet),
        "other_staff": await an_account("staff", other_outlet),
        "supervisor": await an_account("supervisor"),
    }


async def a_draft(desk: dict) -> str:
    draft = await service.start_matter(desk["applicant"], KIND, province_code=desk["province"])
    assert draft.status == Status.draft and draft.outlet_id == desk["outlet"]
    return draft.reference


async def events_of(reference: str) -> int:
    row = await Matter.select(Matter.id).where(Matter.reference == reference).first()
    return await MatterEvent.count().where(MatterEvent.matter == row["id"])


async def test_a_submission_is_due_in_working_days_and_a_repeat_makes_nothing_new(desk) -> None:
    reference, key = await a_draft(desk), secrets.token_urlsafe(16)
    answers = {"new_address": "杭州市临平区"}
    first = await service.submit_matter(reference, desk["applicant"], key, answers, now=MONDAY)
    again = await service.submit_matter(reference, desk["applicant"], key, answers, now=MONDAY)
    assert first == (reference, False) and again == (reference, True)
    assert await events_of(reference) == 1
    matter = await service.matter_for(reference, await service.actor_of(desk["applicant"]))
    assert matter.status == Status.submitted and matter.answers == answers
    promised = service.matter_type(KIND).promised.working_days
    assert promised == 10, "the dates below assume the catalogue's ten working days"
    assert matter.due_on == dt.date(2026, 3, 16) and not matter.due_provisional
    with pytest.raises(KeyReused):
        await service.submit_matter(reference, desk["applicant"], key, {"new_address": "别处"})


async def test_twenty_concurrent_submissions_with_one_key_make_one_submission(desk) -> None:
    reference, key = await a_draft(desk), secrets.token_urlsafe(16)
    results = await asyncio.gather(
        *(service.submit_matter(reference, desk["applicant"], key, {"a": "1"}) for _ in range(20))
    )
    assert {result for result, _ in results} == {reference}
    assert sorted(repeated for _, repeated in results) == [False] + [True] * 19
    assert await events_of(reference) == 1


async def test_the_office_works_a_matter_to_its_end_and_the_applicant_sees_each_step(desk) -> None:
    reference = await a_draft(desk)
    await service.submit_matter(reference, desk["applicant"], secrets.token_urlsafe(8), {})
    await service.act(reference, desk["staff"], Action.accept)
    missing = Reason(missing=("营业执照副本",))
    await service.act(reference, desk["staff"], Action.request_correction, missing)
    await service.save_answers(reference, desk["applicant"], {"licence": "已补"})
    await service.act(reference, desk["applicant"], Action.resubmit)
    await service.act(reference, desk["staff"], Action.approve)
    done = await service.act(reference, desk["supervisor"], Action.complete)
    assert done.status == Status.completed
    assert [step.action for step in done.history] == [
        Action.submit,
        Action.accept,
        Action.request_correction,
        Action.resubmit,
        Action.approve,
        Action.complete,
    ]
    assert done.history[2].reason == missing
    seen = await service.matter_for(reference, await service.actor_of(desk["applicant"]))
    assert seen.history == done.history and seen.answers == {"licence": "已补"}
    with pytest.raises(service.ActionRefused) as refused:
        await service.act(reference, desk["staff"], Action.reject, Reason(text="迟了"))
    assert refused.value.refusal == Refusal.not_allowed_in_state


async def test_nobody_else_reads_or_changes_a_matter(desk) -> None:
    reference = await a_draft(desk)
    for outsider in ("stranger", "other_staff"):
        with pytest.raises(service.MatterNotFound):
            await service.matter_for(reference, await service.actor_of(desk[outsider]))
        with pytest.raises(service.MatterNotFound):
            await service.act(reference, desk[outsider], Action.withdraw)
    with pytest.raises(service.MatterNotFound):
        await service.save_answers(reference, desk["stranger"], {"a": "b"})
    with pytest.raises(service.MatterNotFound):
        await service.submit_matter(reference, desk["stranger"], secrets.token_urlsafe(8), {})
    with pytest.raises(service.ActionRefused) as refused:  # an applicant cannot act as staff
        await service.act(reference, desk["applicant"], Action.accept)
    assert refused.value.refusal == Refusal.not_allowed_in_state  # a draft: nothing to accept
    await service.submit_matter(reference, desk["applicant"], secrets.token_urlsafe(8), {})
    with pytest.raises(service.ActionRefused) as refused:
        await service.act(reference, desk["applicant"], Action.accept)
    assert refused.value.refusal == Refusal.role_not_allowed
    assert (await service.matter_for(reference, await service.actor_of(desk["staff"]))).status == (
        Status.submitted
    )


async def test_the_queue_shows_a_staff_member_their_outlets_open_matters_by_due_date(desk) -> None:
    late, soon = await a_draft(desk), await a_draft(desk)
    await service.submit_matter(late, desk["applicant"], secrets.token_urlsafe(8), {}, now=MONDAY)
    await service.submit_matter(soon, desk["applicant"], secrets.token_urlsafe(8), {})
    staff = await service.actor_of(desk["staff"])
    queue = (await service.queue_for(staff, today=dt.date(2026, 3, 17))).entries
    assert [entry.matter.reference for entry in queue][:1] == [late]
    assert queue[0].due_status == "overdue"
    assert {entry.matter.outlet_id for entry in queue} == {desk["outlet"]}
    overdue = (
        await service.queue_for(staff, overdue_only=True, today=dt.date(2026, 3, 17))
    ).entries
    assert [entry.matter.reference for entry in overdue] == [late]
    others = (await service.queue_for(await service.actor_of(desk["other_staff"]))).entries
    assert all(entry.matter.outlet_id != desk["outlet"] for entry in others)
    supervisor = await service.actor_of(desk["supervisor"])
    everywhere = (await service.queue_for(supervisor, outlet_id=desk["outlet"])).entries
    assert {late, soon} <= {entry.matter.reference for entry in everywhere}
    with pytest.raises(service.ActionRefused):
        await service.queue_for(await service.actor_of(desk["applicant"]))


async def test_a_supervisor_chooses_among_the_outlets_with_open_matters(desk) -> None:
    def listed() -> set[int]:
        return {outlet_id for outlet_id, _ in chosen}

    reference = await a_draft(desk)  # a draft is not open
    chosen = await service.queue_outlets()
    assert desk["outlet"] not in listed()
    await service.submit_matter(reference, desk["applicant"], secrets.token_urlsafe(8), {})
    chosen = await service.queue_outlets()
    assert desk["outlet"] in listed()
    assert [name for _, name in chosen] == sorted(name for _, name in chosen)
    await service.act(reference, desk["applicant"], Action.withdraw)  # closed
    chosen = await service.queue_outlets()
    assert desk["outlet"] not in listed()


async def test_the_queue_is_read_a_page_at_a_time_each_matter_once_in_due_order(desk) -> None:
    for day in range(service.QUEUE_PAGE + 5):
        reference = await a_draft(desk)
        sent_on = MONDAY + dt.timedelta(days=day % 9)
        await service.submit_matter(
            reference, desk["applicant"], secrets.token_urlsafe(8), {}, now=sent_on
        )
    staff = await service.actor_of(desk["staff"])
    first = await service.queue_for(staff)
    assert len(first.entries) == service.QUEUE_PAGE and first.next_after is not None
    second = await service.queue_for(staff, after=first.next_after)
    assert len(second.entries) == 5 and second.next_after is None
    walked = [entry.matter for entry in first.entries + second.entries]
    assert len({matter.reference for matter in walked}) == service.QUEUE_PAGE + 5
    positions = [(matter.due_on, matter.id) for matter in walked]
    assert positions == sorted(positions)
