"""Reviews seeded through the service for the figures' pages, and the figures they must give,
counted here independently from what happened.

A scenario's outlets and matter types are its own (fresh outlets, matter codes nobody else
uses), so the rows of those keys hold nothing but what it seeded. No test fixture is imported
here: the browser tests seed a live server's database with it
(tests/browser/seed_review_figures.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict

import msgspec

from backend.auth.tables import Account
from backend.reviews import service
from backend.reviews.rules import CaseStep, Clocks, Level, ReviewForm
from backend.reviews.tables import ReviewAppeal
from tests.reviews.people import an_account

MARCH = dt.datetime(2031, 3, 4, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
APRIL = dt.datetime(2031, 4, 8, 2, 0, tzinfo=dt.UTC)
REVIEWER_NAME = "欧阳明月"
REVIEWER_EMAIL_PREFIX = "ouyang.mingyue"
COMMENT = "窗口人员态度很差，我的电话是13912345678"

# Which fraction each figure is, as the pages promise (said here again, not imported).
FRACTIONS = {
    "unrated": ("unrated", "events"),
    "good": ("good", "counted"),
    "neutral": ("neutral", "counted"),
    "bad": ("bad", "counted"),
    "replied": ("replied", "bad"),
    "in_time": ("replied_in_time", "replied"),
    "satisfied": ("satisfied", "rated_fix"),
    "appeals_upheld": ("upheld", "decided"),
}


class Event(msgspec.Struct, frozen=True, kw_only=True):
    outlet: str  # "a" or "b"
    matter: str = ""  # "m1", "m2" or "" (a visit)
    level: int | None = None  # None: never rated
    appeal: str = ""  # the office's appeal: "upheld" or "dismissed"
    reply: str = ""  # a bad review's answer: "in_time" or "late"
    satisfaction: int | None = None
    at: dt.datetime = MARCH


SCENARIO = (
    Event(outlet="a", matter="m1", level=5),
    Event(outlet="a", matter="m1", level=4, at=APRIL),
    Event(outlet="a", matter="m1", level=3),
    Event(outlet="a", matter="m1", level=1, reply="in_time", satisfaction=5),
    Event(outlet="a", matter="m1", level=2, appeal="upheld"),
    Event(outlet="a", matter="m1"),
    Event(outlet="a", matter="m2", level=2, reply="late", satisfaction=2, at=APRIL),
    Event(outlet="a", matter="m2", at=APRIL),
    Event(outlet="a", matter="m2", level=5, appeal="dismissed"),
    Event(outlet="a"),  # a visit nobody rated
    Event(outlet="a", level=5),  # a visit rated
    Event(outlet="b", matter="m2", level=1),  # bad, not answered yet
    Event(outlet="b", matter="m1", level=4),
)


def expected(events: list[Event]) -> dict[str, int]:
    """The counts, from what happened."""
    counts: dict[str, int] = defaultdict(int)
    for event in events:
        counts["events"] += 1
        if event.level is None:
            counts["unrated"] += 1
            continue
        counts["decided"] += bool(event.appeal)
        upheld = event.appeal == "upheld"
        counts["upheld"] += upheld
        grade = "good" if event.level >= 4 else "neutral" if event.level == 3 else "bad"
        if not upheld:
            counts["counted"] += 1
            counts[grade] += 1
            if event.reply:
                counts["replied"] += 1
                counts["replied_in_time"] += event.reply == "in_time"
        if event.satisfaction is not None:
            counts["rated_fix"] += 1
            counts["satisfied"] += event.satisfaction >= 4
    return counts


def expected_cells(events: list[Event]) -> dict[str, tuple[int, int]]:
    counts = expected(events)
    cells = {figure: (counts[part], counts[whole]) for figure, (part, whole) in FRACTIONS.items()}
    cells["events"] = (counts["events"], 0)
    cells["counted"] = (counts["counted"], 0)
    return cells


class Seeded(msgspec.Struct, kw_only=True):
    outlets: dict[str, int]  # "a", "b" → outlet id
    matters: dict[str, str]  # "m1", "m2" → matter code
    reviewer_name: str
    reviewer_email: str
    staff_names: list[str]


async def seed(
    outlets: dict[str, int], staff: dict[str, int], supervisor: int, matters: dict[str, str]
) -> Seeded:
    """Every event of SCENARIO, rated (or not) and put right as it says, by one reviewer with a
    name and e-mail address that must never reach the public."""
    reviewer = await an_account()
    email = f"{REVIEWER_EMAIL_PREFIX}.{secrets.token_hex(3)}@example.test"
    await Account.update({Account.display_name: REVIEWER_NAME, Account.email: email}).where(
        Account.id == reviewer
    )
    for event in SCENARIO:
        await _happen(event, outlets, staff, supervisor, matters, reviewer, email)
    names = [
        row["display_name"]
        for row in await Account.select(Account.display_name).where(
            Account.id.is_in([*staff.values(), supervisor])
        )
    ]
    return Seeded(
        outlets=outlets,
        matters=matters,
        reviewer_name=REVIEWER_NAME,
        reviewer_email=email,
        staff_names=names,
    )


async def _happen(event, outlets, staff, supervisor, matters, reviewer, email) -> None:
    outlet, at = outlets[event.outlet], event.at
    if event.matter:
        token = secrets.token_hex(6).upper()
        await service.matter_ended(token, matters[event.matter], outlet, reviewer, "completed", at)
    else:
        token = await service.issue_visit_code(staff[event.outlet], "1号窗口", at)
    if event.level is None:
        return
    form = ReviewForm(level=Level(event.level), comment=COMMENT)
    review_id, _ = await service.submit_review(
        token, reviewer, form, secrets.token_hex(8), Clocks(), at
    )
    if event.appeal:
        await service.file_appeal(review_id, staff[event.outlet], "与办理无关的恶意评价")
        decision = ReviewAppeal.Decision(event.appeal)
        await service.decide_appeal(review_id, supervisor, decision, "经核实", at)
    if event.reply:
        await _put_right(review_id, event, reviewer, email, staff[event.outlet], supervisor)


async def _put_right(review_id, event, reviewer, email, staff, supervisor) -> None:
    [case] = [found.case for found in await service.reviews_of(reviewer) if found.id == review_id]
    at = event.at
    await service.take_step(case.id, supervisor, CaseStep.contact, "已电话回访", now=at)
    await service.take_step(case.id, supervisor, CaseStep.verify_valid, now=at)
    await service.take_step(case.id, supervisor, CaseStep.assign, assignee_id=staff, now=at)
    await service.take_step(case.id, staff, CaseStep.rectify, "增设取号提醒，缩短等候", now=at)
    replied = at if event.reply == "in_time" else at + dt.timedelta(days=40)
    reply = f"{REVIEWER_NAME}您好：已整改。如有疑问请回复 {email} 或拨打 13812345678。"
    await service.take_step(case.id, staff, CaseStep.reply, reply, now=replied)
    if event.satisfaction is not None:
        await service.take_step(
            case.id,
            reviewer,
            CaseStep.confirm,
            satisfaction=Level(event.satisfaction),
            now=replied,
        )


def events_where(**wanted: str) -> list[Event]:
    return [
        event
        for event in SCENARIO
        if all(getattr(event, name) == value for name, value in wanted.items())
    ]
