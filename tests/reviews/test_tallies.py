"""The running tallies equal a count from the raw tables after any sequence of what happens to
reviews (events of every kind in two months and two outlets, ratings, appeals, the steps of
their cases, interleaved as hypothesis draws them), for every grouping, over the months and
over all months; and `tallies.rebuild` writes the same tallies again. On both profiles."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.reviews import figures, service, tallies
from backend.reviews.figures import Filters, GroupBy
from backend.reviews.rules import CaseStep, Clocks, Level, ReviewForm
from backend.reviews.tables import ReviewAppeal, ReviewTally
from tests.reviews.people import an_account, an_outlet

pytestmark = pytest.mark.profiles

# Two months per example, after those of test_figures.py, far from every other test's events.
_months = iter(f"{year}-{month:02d}" for year in range(2100, 2200) for month in range(1, 12, 2))

an_event = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["matter", "visit", "desk"]),
        "month": st.integers(0, 1),
        "outlet": st.integers(0, 1),
        "level": st.none() | st.integers(1, 5),
        "appeal": st.sampled_from([None, "filed", "upheld", "dismissed"]),
        "steps": st.integers(0, 6),  # how far the case of a bad rating goes
        "late": st.booleans(),
        "satisfaction": st.integers(1, 5),
    }
)


class Office:
    def __init__(self, outlets: list[int], staff: list[int], supervisor: int) -> None:
        self.outlets, self.staff, self.supervisor = outlets, staff, supervisor


async def _life(event: dict, office: Office, start: dt.datetime) -> AsyncIterator[None]:
    """What happens to one event, a step at a time (each `yield` lets another event move)."""
    outlet, staff = office.outlets[event["outlet"]], office.staff[event["outlet"]]
    applicant = await an_account()
    if event["kind"] == "matter":
        token = secrets.token_hex(6).upper()
        await service.matter_ended(token, "trademark-renewal", outlet, applicant, "done", start)
    elif event["kind"] == "visit":
        token = await service.issue_visit_code(staff, now=start)
    else:
        token = await service.desk_code_for(outlet, "1")
    yield
    if event["level"] is None:
        return
    level = Level(event["level"])
    form = ReviewForm(level=level)
    review_id, _ = await service.submit_review(
        token, applicant, form, secrets.token_hex(8), Clocks(), start
    )
    yield
    if event["appeal"]:
        await service.file_appeal(review_id, staff, "与办理无关")
        yield
        if event["appeal"] != "filed":
            decision = ReviewAppeal.Decision(event["appeal"])
            await service.decide_appeal(review_id, office.supervisor, decision, "经核实", start)
            yield
    if level > 2:
        return
    [case] = [r.case for r in await service.reviews_of(applicant) if r.id == review_id]
    replied = start + dt.timedelta(days=40 if event["late"] else 0)
    sup = office.supervisor
    steps = [
        lambda: service.take_step(case.id, sup, CaseStep.contact, "记录", now=start),
        lambda: service.take_step(case.id, sup, CaseStep.verify_valid, "记录", now=start),
        lambda: service.take_step(case.id, sup, CaseStep.assign, assignee_id=staff, now=start),
        lambda: service.take_step(case.id, staff, CaseStep.rectify, "已整改", now=start),
        lambda: service.take_step(case.id, staff, CaseStep.reply, "答复", now=replied),
        lambda: service.take_step(
            case.id,
            applicant,
            CaseStep.confirm,
            satisfaction=Level(event["satisfaction"]),
            now=replied,
        ),
    ]
    for step in steps[: event["steps"]]:
        await step()
        yield


async def _tally_rows(outlets: list[int]) -> list[dict]:
    return (
        await ReviewTally.select()
        .where(ReviewTally.outlet_id.is_in(outlets))
        .order_by(ReviewTally.key)
    )


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(an_event, min_size=1, max_size=10), order=st.randoms(use_true_random=False))
async def test_the_tallies_are_a_recount_of_the_raw_tables(
    events: list[dict], order: random.Random
) -> None:
    first = next(_months)
    months = [first, f"{first[:5]}{int(first[5:]) + 1:02d}"]
    outlets = [await an_outlet(), await an_outlet()]
    staff = [await an_account("staff", outlet) for outlet in outlets]
    office = Office(outlets, staff, await an_account("supervisor"))
    lives = [
        _life(event, office, dt.datetime.fromisoformat(f"{months[event['month']]}-10T02:00:00Z"))
        for event in events
    ]
    while lives:
        life = order.choice(lives)
        try:
            await anext(life)
        except StopAsyncIteration:
            lives.remove(life)

    for outlet in outlets:
        over_months = Filters(first_month=months[0], last_month=months[1], outlet_id=outlet)
        over_all = Filters(outlet_id=outlet)
        for filters in (over_months, over_all):
            for group in GroupBy:
                assert await figures.figures_by(group, filters) == await figures.recounted_by(
                    group, filters
                )
            [recounted] = await figures.recounted_by(GroupBy.outlet, filters) or [None]
            if recounted is not None:
                total = await figures.totals(filters)
                assert total == figures.Figures(
                    **{name: getattr(recounted, name) for name in figures.FIELDS}, key=None
                )
    kept = await _tally_rows(outlets)
    await tallies.rebuild()
    assert [_counts(row) for row in await _tally_rows(outlets)] == [_counts(row) for row in kept]


def _counts(row: dict) -> dict:
    return {name: value for name, value in row.items() if name != "id"}


async def test_the_retally_command_counts_a_database_from_before_the_tallies() -> None:
    outlet, applicant = await an_outlet(), await an_account()
    at = dt.datetime.fromisoformat("2099-12-10T02:00:00Z")
    for level in (None, Level.dissatisfied, Level.satisfied):
        token = secrets.token_hex(6).upper()
        await service.matter_ended(token, "trademark-renewal", outlet, applicant, "done", at)
        if level is not None:
            form = ReviewForm(level=level)
            await service.submit_review(token, applicant, form, secrets.token_hex(8), Clocks(), at)
    await ReviewTally.delete().where(ReviewTally.outlet_id == outlet)  # as before the tallies
    assert await figures.figures_by(GroupBy.outlet, Filters(outlet_id=outlet)) == []

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "litestar", "--app", "backend.app:app", "iph", "reviews-retally",
        cwd=Path(__file__).resolve().parents[2],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert re.search(r"review figures: \d+ tally row", out.decode()), out.decode()

    for filters in (Filters(outlet_id=outlet), Filters(first_month="2099-12", outlet_id=outlet)):
        [counted] = await figures.figures_by(GroupBy.outlet, filters)
        assert counted == (await figures.recounted_by(GroupBy.outlet, filters))[0]
        assert (counted.events, counted.unrated, counted.bad, counted.good) == (3, 1, 1, 1)
