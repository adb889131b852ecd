"""The review rules, pure: levels and grades, what a form may hold, the case's steps."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.auth.tables import Account
from backend.reviews import rules
from backend.reviews.rules import CASE_RULES, CaseStatus, CaseStep, Channel, InvalidReview

ROLES = list(Account.Role)


def test_the_grades_of_the_five_levels() -> None:
    assert [rules.grade_of(rules.Level(n)) for n in range(1, 6)] == [
        "bad",
        "bad",
        "neutral",
        "good",
        "good",
    ]


@given(
    status=st.sampled_from(list(CaseStatus)),
    step=st.sampled_from(list(CaseStep)),
    role=st.sampled_from(ROLES),
    is_reviewer=st.booleans(),
    reason=st.sampled_from(["", "  ", "已处理"]),
)
def test_a_step_happens_only_from_its_statuses_by_its_roles_with_its_reason(
    status, step, role, is_reviewer, reason
) -> None:
    rule = CASE_RULES[step]
    allowed = (
        status in rule.from_statuses
        and role in rule.roles
        and (step in rules.REVIEWER_STEPS) == is_reviewer
        and (not rule.reason_required or reason.strip() != "")
    )
    if allowed:
        assert rules.next_status(status, step, role, is_reviewer, reason) == rule.to_status
        assert step in rules.steps_open_to(status, role, is_reviewer)
    else:
        with pytest.raises(rules.StepRefused):
            rules.next_status(status, step, role, is_reviewer, reason)


@given(st.lists(st.tuples(st.sampled_from(list(CaseStep)), st.sampled_from(ROLES), st.booleans())))
def test_nothing_moves_a_closed_case_and_every_case_that_closes_went_through_contact(moves) -> None:
    status, seen = CaseStatus.opened, [CaseStatus.opened]
    for step, role, is_reviewer in moves:
        try:
            status = rules.next_status(status, step, role, is_reviewer, "理由")
        except rules.StepRefused:
            continue
        seen.append(status)
    if CaseStatus.closed in seen:
        assert seen[-1] == CaseStatus.closed and seen[1] == CaseStatus.contacted
    assert rules.steps_open_to(CaseStatus.closed, Account.Role.supervisor, False) == []


def test_a_form_keeps_only_the_dimensions_rated_and_tags_that_fit() -> None:
    form = rules.check_review(
        Channel.on_site, "2", {"staff_attitude": "1"}, ["long_wait"], " 慢 ", False, True
    )
    assert form.dimensions == {"staff_attitude": 1} and form.comment == "慢"
    with pytest.raises(InvalidReview) as praise_on_bad:
        rules.check_review(Channel.on_site, "1", {}, ["friendly"], "", False, True)
    assert praise_on_bad.value.field == "tags"
    for level in ("", "0", "6", "五"):
        with pytest.raises(InvalidReview):
            rules.check_review(Channel.online, level, {}, [], "", False, True)
    with pytest.raises(InvalidReview):
        rules.check_review(Channel.online, "5", {}, [], "字" * 501, False, True)
    with pytest.raises(InvalidReview):
        rules.check_review(Channel.online, "5", {}, [], "", True, False)


def test_a_follow_up_is_open_to_the_end_of_its_period() -> None:
    at = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    period = dt.timedelta(days=15)
    assert rules.follow_up_open(at, at + period, period)
    assert not rules.follow_up_open(at, at + period + dt.timedelta(seconds=1), period)
