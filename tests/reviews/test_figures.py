"""The figures equal counts made here, independently, over reviews seeded in a month of their
own: unrated events, an upheld and a dismissed appeal, rectifications answered in time, late,
rated and not (hypothesis draws the mix), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.reviews import figures, service
from backend.reviews.figures import Filters, GroupBy
from backend.reviews.rules import CaseStep, Clocks, Level, ReviewForm
from backend.reviews.tables import ReviewAppeal
from tests.reviews.people import an_account, an_outlet

pytestmark = pytest.mark.profiles

# One seeded month per example, far from every other test's events.
_months = iter(f"{year}-{month:02d}" for year in range(2040, 2100) for month in range(1, 13))

an_event = st.fixed_dictionaries(
    {
        "level": st.none() | st.integers(1, 5),  # None: never rated
        "appeal": st.sampled_from([None, "upheld", "dismissed"]),
        "reply": st.sampled_from([None, "in_time", "late"]),
        "satisfaction": st.none() | st.integers(1, 5),
    }
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(an_event, min_size=1, max_size=12))
async def test_the_figures_are_the_counts_of_what_happened(events: list[dict]) -> None:
    month = next(_months)
    start = dt.datetime.fromisoformat(f"{month}-02T02:00:00+00:00")
    outlet = await an_outlet()
    staff, supervisor = await an_account("staff", outlet), await an_account("supervisor")
    expected = {name: 0 for name in figures.Figures.__struct_fields__ if name != "key"}
    for event in events:
        await _happen(event, outlet, staff, supervisor, start, expected)

    [by_outlet] = await figures.figures_by(
        GroupBy.outlet, Filters(first_month=month, last_month=month)
    )
    total = await figures.totals(Filters(first_month=month, last_month=month, outlet_id=outlet))

    for found in (by_outlet, total):
        assert {name: getattr(found, name) for name in expected} == expected
    assert by_outlet.key == outlet


async def _happen(event, outlet, staff, supervisor, start, expected) -> None:
    applicant = await an_account()
    reference = secrets.token_hex(6).upper()
    await service.matter_ended(
        reference, "trademark-renewal", outlet, applicant, "completed", start
    )
    expected["events"] += 1
    if event["level"] is None:
        expected["unrated"] += 1
        return
    level = Level(event["level"])
    review_id, _ = await service.submit_review(
        reference, applicant, ReviewForm(level=level), secrets.token_hex(8), Clocks(), start
    )
    upheld = event["appeal"] == "upheld"
    if event["appeal"]:
        await service.file_appeal(review_id, staff, "与办理无关")
        decision = ReviewAppeal.Decision(event["appeal"])
        await service.decide_appeal(review_id, supervisor, decision, "经核实", start)
        expected["appeals_decided"] += 1
        expected["appeals_upheld"] += upheld
    if not upheld:
        expected["counted"] += 1
        grade = "good" if level >= 4 else "neutral" if level == 3 else "bad"
        expected[grade] += 1
    if level > 2 or event["reply"] is None:
        return
    await _rectify(review_id, applicant, staff, supervisor, start, event, upheld, expected)


async def _rectify(review_id, applicant, staff, supervisor, start, event, upheld, expected):
    [case] = [r.case for r in await service.reviews_of(applicant) if r.id == review_id]
    for step, who in (
        (CaseStep.contact, supervisor),
        (CaseStep.verify_valid, supervisor),
    ):
        await service.take_step(case.id, who, step, "记录", now=start)
    await service.take_step(case.id, supervisor, CaseStep.assign, assignee_id=staff, now=start)
    await service.take_step(case.id, staff, CaseStep.rectify, "已整改", now=start)
    replied_at = start if event["reply"] == "in_time" else start + dt.timedelta(days=40)
    await service.take_step(case.id, staff, CaseStep.reply, "答复", now=replied_at)
    if not upheld:
        expected["replied"] += 1
        expected["replied_in_time"] += event["reply"] == "in_time"
    if event["satisfaction"] is not None:
        await service.take_step(
            case.id,
            applicant,
            CaseStep.confirm,
            satisfaction=Level(event["satisfaction"]),
            now=replied_at,
        )
        expected["rectifications_rated"] += 1
        expected["rectifications_satisfied"] += event["satisfaction"] >= 4


async def test_a_rate_of_nothing_is_no_rate_not_a_hundred_per_cent() -> None:
    assert figures.rate(0, 0) is None
    assert figures.rate(1, 4) == 0.25
