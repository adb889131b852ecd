"""Reviews at the service level, on SQLite and PostgreSQL: one review per event or code, codes
used or expired, follow-ups within their period, the whole rectification of a bad review, and
appeals."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import pytest

from backend.idempotency import service as idempotency
from backend.reviews import rules, service
from backend.reviews.rules import CaseStatus, CaseStep, Clocks, Level, StepRefused
from backend.reviews.tables import RectificationCase, RectificationStep, Review, ReviewAppeal
from tests.reviews.people import an_account, an_outlet

pytestmark = pytest.mark.profiles

NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)  # a Thursday, 10:00 in Beijing
CLOCKS = Clocks()


def a_form(level: int, **extra) -> rules.ReviewForm:
    return rules.ReviewForm(level=Level(level), **extra)


async def a_matter_event(applicant: int, outlet: int) -> str:
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(
        reference, "bibliographic-change", outlet, applicant, "completed", NOW
    )
    return reference


async def reviews_of_event(token: str) -> int:
    return await Review.count().where(Review.event.token == token)


async def test_an_event_takes_one_review_and_a_repeat_of_its_key_gets_the_first_answer() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    token = await a_matter_event(applicant, outlet)
    key = secrets.token_urlsafe(12)

    first = await service.submit_review(token, applicant, a_form(5), key, CLOCKS, NOW)
    again = await service.submit_review(token, applicant, a_form(5), key, CLOCKS, NOW)

    assert first[0] == again[0] and (first[1], again[1]) == (False, True)
    with pytest.raises(service.AlreadyRated):
        await service.submit_review(token, applicant, a_form(1), "another-key", CLOCKS, NOW)
    with pytest.raises(idempotency.KeyReused):
        await service.submit_review(token, applicant, a_form(4), key, CLOCKS, NOW)
    assert await reviews_of_event(token) == 1


async def test_two_tabs_sending_within_100_ms_store_one_review() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    token = await a_matter_event(applicant, outlet)

    async def tab(key: str, delay: float):
        await asyncio.sleep(delay)
        return await service.submit_review(token, applicant, a_form(2), key, CLOCKS, NOW)

    results = await asyncio.gather(tab("tab-one", 0), tab("tab-two", 0.05), return_exceptions=True)

    assert sum(isinstance(r, tuple) for r in results) == 1
    assert sum(isinstance(r, service.AlreadyRated) for r in results) == 1
    assert await reviews_of_event(token) == 1
    assert await RectificationCase.count().where(RectificationCase.review.event.token == token) == 1


async def test_a_matter_is_rated_by_its_applicant_only() -> None:
    applicant, stranger, outlet = await an_account(), await an_account(), await an_outlet()
    token = await a_matter_event(applicant, outlet)
    with pytest.raises(service.NotYours):
        await service.submit_review(token, stranger, a_form(1), "k1", CLOCKS, NOW)
    with pytest.raises(service.NotYours):
        await service.submit_review(token, None, a_form(1), "k2", CLOCKS, NOW)
    assert await reviews_of_event(token) == 0


async def test_a_visit_code_is_used_once_and_refused_after_it_expires() -> None:
    outlet = await an_outlet()
    staff = await an_account("staff", outlet)
    used = await service.issue_visit_code(staff, "3号窗口", NOW)
    late = await service.issue_visit_code(staff, "3号窗口", NOW)

    await service.submit_review(used, None, a_form(4, anonymous=True), "v1", CLOCKS, NOW)

    with pytest.raises(service.AlreadyRated):
        await service.target_of(used, None, NOW)
    after = NOW + service.VISIT_CODE_LIFETIME + dt.timedelta(seconds=1)
    with pytest.raises(service.TokenExpired):
        await service.submit_review(late, None, a_form(4), "v2", CLOCKS, after)
    with pytest.raises(service.TokenUnknown):
        await service.target_of("no-such-code", None, NOW)
    assert await reviews_of_event(late) == 0


async def test_a_desk_code_takes_one_review_a_visit_and_keeps_working() -> None:
    outlet = await an_outlet()
    desk = await service.desk_code_for(outlet, "1号窗口")
    assert await service.desk_code_for(outlet, "1号窗口") == desk

    for key in ("d1", "d2"):
        await service.submit_review(desk, None, a_form(5, anonymous=True), key, CLOCKS, NOW)

    assert await Review.count().where(Review.outlet_id == outlet) == 2


async def test_a_follow_up_is_taken_within_its_period_once_and_not_after() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    period = dt.timedelta(days=15)
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(3), "f1", CLOCKS, NOW
    )
    late_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(3), "f2", CLOCKS, NOW
    )

    await service.add_follow_up(review_id, applicant, Level(4), "后来办好了", period, NOW + period)

    with pytest.raises(service.FollowUpClosed):
        await service.add_follow_up(review_id, applicant, Level(5), "", period, NOW + period)
    with pytest.raises(service.FollowUpClosed):
        later = NOW + period + dt.timedelta(seconds=1)
        await service.add_follow_up(late_id, applicant, Level(4), "", period, later)
    with pytest.raises(service.NotYours):
        await service.add_follow_up(late_id, await an_account(), Level(4), "", period, NOW)
    [mine] = [r for r in await service.reviews_of(applicant) if r.id == review_id]
    assert (mine.follow_up_level, mine.follow_up_comment) == (4, "后来办好了")


async def test_a_bad_review_is_put_right_step_by_step_and_the_reviewer_sees_each_step() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    staff, supervisor = await an_account("staff", outlet), await an_account("supervisor")
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(1), "b1", CLOCKS, NOW
    )
    [case] = [r.case for r in await service.reviews_of(applicant) if r.id == review_id]
    assert case.status == CaseStatus.opened
    assert case.contact_due == dt.date(2026, 12, 4)  # 1 working day after Thursday
    assert case.resolve_due == dt.date(2026, 12, 24)  # 15 working days

    with pytest.raises(StepRefused):  # the person rated does not contact the reviewer
        await service.take_step(case.id, staff, CaseStep.contact, "电话回访", now=NOW)
    await service.take_step(case.id, supervisor, CaseStep.contact, "已电话联系", now=NOW)
    await service.take_step(case.id, supervisor, CaseStep.verify_valid, now=NOW)
    with pytest.raises(StepRefused):  # assigned to someone who works there
        await service.take_step(
            case.id, supervisor, CaseStep.assign, assignee_id=await an_account(), now=NOW
        )
    await service.take_step(case.id, supervisor, CaseStep.assign, assignee_id=staff, now=NOW)
    await service.take_step(case.id, staff, CaseStep.rectify, "补充了办事指南", now=NOW)
    await service.take_step(case.id, staff, CaseStep.reply, "已改正，谢谢指出", now=NOW)
    with pytest.raises(StepRefused):  # only the reviewer rates the rectification
        await service.take_step(case.id, staff, CaseStep.confirm, satisfaction=Level(5), now=NOW)
    done = await service.take_step(
        case.id, applicant, CaseStep.confirm, satisfaction=Level(4), now=NOW
    )

    assert done.status == CaseStatus.closed and done.satisfaction == 4
    assert [s.step for s in done.steps] == [
        "contact",
        "verify_valid",
        "assign",
        "rectify",
        "reply",
        "confirm",
    ]
    row = await RectificationCase.select().where(RectificationCase.id == case.id).first()
    assert row["replied_in_time"] is True
    with pytest.raises(StepRefused):
        await service.take_step(case.id, supervisor, CaseStep.close_unanswered, now=NOW)


async def test_not_valid_has_a_reason_the_reviewer_sees_and_can_appeal() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    supervisor = await an_account("supervisor")
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(2), "n1", CLOCKS, NOW
    )
    [case] = [r.case for r in await service.reviews_of(applicant) if r.id == review_id]
    await service.take_step(case.id, supervisor, CaseStep.contact, "已联系", now=NOW)
    with pytest.raises(StepRefused):
        await service.take_step(case.id, supervisor, CaseStep.verify_not_valid, "  ", now=NOW)
    await service.take_step(
        case.id, supervisor, CaseStep.verify_not_valid, "所述窗口当日未开放", now=NOW
    )
    appealed = await service.take_step(case.id, applicant, CaseStep.appeal, "我当天去过", now=NOW)
    upheld = await service.take_step(
        case.id, supervisor, CaseStep.uphold_appeal, "核实属实", now=NOW
    )

    assert appealed.status == CaseStatus.appealed and upheld.status == CaseStatus.verified
    texts = [s.text for s in upheld.steps]
    assert "所述窗口当日未开放" in texts and "我当天去过" in texts


async def test_staff_see_the_cases_of_their_outlet_without_the_reviewer() -> None:
    applicant, outlet, other = await an_account(), await an_outlet(), await an_outlet()
    staff, other_staff = await an_account("staff", outlet), await an_account("staff", other)
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet),
        applicant,
        a_form(1, comment="太慢"),
        "s1",
        CLOCKS,
        NOW,
    )

    [listed] = [
        c for c in await service.office_cases(staff, NOW.date()) if c.review_id == review_id
    ]
    seen = await service.review_for_office(review_id, await service.actor_of(staff))

    assert "reviewer" not in listed.__struct_fields__
    assert not any("reviewer" in name for name in seen.__struct_fields__)
    assert review_id not in [
        c.review_id for c in await service.office_cases(other_staff, NOW.date())
    ]
    with pytest.raises(LookupError):
        await service.review_for_office(review_id, await service.actor_of(other_staff))
    with pytest.raises(service.CaseNotFound):
        await service.take_step(listed.id, other_staff, CaseStep.rectify, "x", now=NOW)


async def test_an_overdue_case_is_escalated_once() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(1), "o1", CLOCKS, NOW
    )

    assert review_id not in await _escalated(dt.date(2026, 12, 4))
    first = await _escalated(dt.date(2026, 12, 7))  # the contact day has passed
    again = await _escalated(dt.date(2026, 12, 8))

    case = await RectificationCase.select().where(RectificationCase.review == review_id).first()
    assert case["id"] in first and case["id"] not in again


async def _escalated(day: dt.date) -> list[int]:
    return await service.escalate_overdue(day, NOW)


async def test_an_appeal_against_a_review_needs_grounds_and_a_supervisors_reasoned_decision() -> (
    None
):
    applicant, outlet = await an_account(), await an_outlet()
    staff, supervisor = await an_account("staff", outlet), await an_account("supervisor")
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(1), "a1", CLOCKS, NOW
    )

    with pytest.raises(service.AppealRefused):
        await service.file_appeal(review_id, staff, " ")
    await service.file_appeal(review_id, staff, "评价内容与办理事项无关，含辱骂")
    with pytest.raises(service.AppealRefused):
        await service.decide_appeal(review_id, staff, ReviewAppeal.Decision.upheld, "自己批准")
    with pytest.raises(service.AppealRefused):
        await service.decide_appeal(review_id, supervisor, ReviewAppeal.Decision.upheld, "")
    await service.decide_appeal(review_id, supervisor, ReviewAppeal.Decision.upheld, "经核实属恶意")

    row = await ReviewAppeal.select().where(ReviewAppeal.review == review_id).first()
    assert row["decision"] == "upheld" and row["decision_reason"] == "经核实属恶意"
    assert await Review.count().where(Review.id == review_id) == 1  # still there, never deleted


async def test_steps_are_kept_with_their_time_and_actor() -> None:
    applicant, outlet = await an_account(), await an_outlet()
    supervisor = await an_account("supervisor")
    review_id, _ = await service.submit_review(
        await a_matter_event(applicant, outlet), applicant, a_form(2), "t1", CLOCKS, NOW
    )
    [case] = [r.case for r in await service.reviews_of(applicant) if r.id == review_id]
    at = NOW + dt.timedelta(hours=3)
    await service.take_step(case.id, supervisor, CaseStep.contact, "已联系", now=at)
    [step] = await RectificationStep.select().where(RectificationStep.case == case.id)
    assert (step["actor_id"], step["actor_role"], step["at"]) == (supervisor, "supervisor", at)
