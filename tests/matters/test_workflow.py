"""The matter workflow: the table as issue 12 states it, every refusal, and its lifelong promises.

The cross product of state × action × role is enumerated whole: each combination the table
allows succeeds for an actor who may act, every other one is refused with the reason the order
of checks gives (the state first, then the role). Hypothesis then drives one matter through
arbitrary actions by arbitrary people at arbitrary (even backwards) times.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from backend.matters.workflow import (
    CLOSED,
    DECIDED,
    REASONS,
    TRANSITIONS,
    Action,
    Actor,
    MatterState,
    Reason,
    ReasonRule,
    Refusal,
    Role,
    Status,
    Transition,
    apply,
    next_actions,
    reason_rule,
)

OWNER_ID, OUTLET_ID, OTHER_OUTLET_ID = 1, 10, 11
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

OWNER = Actor(account_id=OWNER_ID, role=Role.applicant)
OTHER_APPLICANT = Actor(account_id=2, role=Role.applicant)
STAFF = Actor(account_id=3, role=Role.staff, outlet_id=OUTLET_ID)
OTHER_STAFF = Actor(account_id=4, role=Role.staff, outlet_id=OTHER_OUTLET_ID)
STAFF_WITHOUT_OUTLET = Actor(account_id=5, role=Role.staff)
SUPERVISOR = Actor(account_id=6, role=Role.supervisor, outlet_id=OTHER_OUTLET_ID)
ADMIN = Actor(account_id=7, role=Role.admin)
CAST = (OWNER, OTHER_APPLICANT, STAFF, OTHER_STAFF, STAFF_WITHOUT_OUTLET, SUPERVISOR, ADMIN)
# The one actor of each role who passes the ownership and outlet checks.
ENTITLED = {
    Role.applicant: OWNER,
    Role.staff: STAFF,
    Role.supervisor: SUPERVISOR,
    Role.admin: ADMIN,
}

MISSING = Reason(missing=("身份证复印件", "产品检测报告"))
GROUNDS = Reason(text="产地不在保护范围内")
GOOD_REASON = {Action.request_correction: MISSING, Action.reject: GROUNDS}

# Issue 12, written out by hand: (from, action) → (to, roles). The module's table must say this.
APPLICANT_ONLY = {Role.applicant}
OFFICE = {Role.staff, Role.supervisor}
ISSUE_12 = {
    (Status.draft, Action.submit): (Status.submitted, APPLICANT_ONLY),
    (Status.submitted, Action.accept): (Status.accepted, OFFICE),
    (Status.accepted, Action.request_correction): (Status.correction_requested, OFFICE),
    (Status.accepted, Action.approve): (Status.approved, OFFICE),
    (Status.accepted, Action.reject): (Status.rejected, OFFICE),
    (Status.correction_requested, Action.resubmit): (Status.resubmitted, APPLICANT_ONLY),
    (Status.resubmitted, Action.request_correction): (Status.correction_requested, OFFICE),
    (Status.resubmitted, Action.approve): (Status.approved, OFFICE),
    (Status.resubmitted, Action.reject): (Status.rejected, OFFICE),
    (Status.approved, Action.complete): (Status.completed, OFFICE),
    (Status.rejected, Action.complete): (Status.completed, OFFICE),
    **{
        (before, Action.withdraw): (Status.withdrawn, APPLICANT_ONLY)
        for before in (
            Status.draft,
            Status.submitted,
            Status.accepted,
            Status.correction_requested,
            Status.resubmitted,
        )
    },
}

# The actions that bring a new matter to each state, each by someone who may take it.
ROUTE_TO = {
    Status.draft: (),
    Status.submitted: (Action.submit,),
    Status.accepted: (Action.submit, Action.accept),
    Status.correction_requested: (Action.submit, Action.accept, Action.request_correction),
    Status.resubmitted: (
        Action.submit,
        Action.accept,
        Action.request_correction,
        Action.resubmit,
    ),
    Status.approved: (Action.submit, Action.accept, Action.approve),
    Status.rejected: (Action.submit, Action.accept, Action.reject),
    Status.completed: (Action.submit, Action.accept, Action.approve, Action.complete),
    Status.withdrawn: (Action.withdraw,),
}


def who_may(action: Action) -> Actor:
    return OWNER if action in {Action.submit, Action.resubmit, Action.withdraw} else STAFF


def matter_in(status: Status) -> MatterState:
    matter = MatterState(applicant_id=OWNER_ID, outlet_id=OUTLET_ID)
    for hour, action in enumerate(ROUTE_TO[status]):
        at = START + timedelta(hours=hour)
        transition = apply(matter, action, who_may(action), GOOD_REASON.get(action), at)
        assert isinstance(transition, Transition), transition
        matter = matter.after(transition)
    assert matter.status == status
    return matter


LATER = START + timedelta(days=3)
ALLOWED = sorted(
    (before, action, role) for (before, action), (_, roles) in ISSUE_12.items() for role in roles
)
REFUSED = sorted(set(itertools.product(Status, Action, Role)) - set(ALLOWED))


def test_the_table_is_the_one_issue_12_describes() -> None:
    assert {key: (rule.to, set(rule.by)) for key, rule in TRANSITIONS.items()} == ISSUE_12


def test_the_cross_product_is_enumerated_whole() -> None:
    assert len(ALLOWED) == 25
    assert len(ALLOWED) + len(REFUSED) == len(Status) * len(Action) * len(Role) == 288


@pytest.mark.parametrize(("before", "action", "role"), ALLOWED)
def test_every_allowed_transition_succeeds_for_each_allowed_role(
    before: Status, action: Action, role: Role
) -> None:
    matter = matter_in(before)
    actor = ENTITLED[role]
    transition = apply(matter, action, actor, GOOD_REASON.get(action), LATER)
    assert transition == Transition(
        from_status=before,
        to_status=TRANSITIONS[before, action].to,
        action=action,
        actor_id=actor.account_id,
        actor_role=role,
        reason=GOOD_REASON.get(action),
        at=LATER,
    )
    assert matter.after(transition).status == TRANSITIONS[before, action].to
    assert action in next_actions(matter, actor)


@pytest.mark.parametrize(("before", "action", "role"), REFUSED)
def test_every_other_combination_is_refused_with_the_right_reason(
    before: Status, action: Action, role: Role
) -> None:
    expected = (
        Refusal.not_allowed_in_state
        if (before, action) not in TRANSITIONS
        else Refusal.role_not_allowed
    )
    matter = matter_in(before)
    actor = ENTITLED[role]
    assert apply(matter, action, actor, GOOD_REASON.get(action), LATER) is expected
    assert action not in next_actions(matter, actor)


def test_an_admin_handles_no_matter_and_a_closed_matter_refuses_everyone() -> None:
    assert not any(Role.admin in rule.by for rule in TRANSITIONS.values())
    for status, actor in itertools.product(CLOSED, CAST):
        assert next_actions(matter_in(status), actor) == ()


def test_completed_is_reached_only_from_a_decision_and_nothing_leaves_a_closed_state() -> None:
    assert {before for (before, _), rule in TRANSITIONS.items() if rule.to is Status.completed} == (
        DECIDED
    )
    assert not any(before in CLOSED for before, _ in TRANSITIONS)


def test_a_withdrawal_is_possible_exactly_until_the_decision() -> None:
    withdrawable = {before for before, action in TRANSITIONS if action is Action.withdraw}
    assert withdrawable == set(Status) - DECIDED - CLOSED


@pytest.mark.parametrize("action", [Action.submit, Action.withdraw])
def test_an_applicant_cannot_act_on_another_persons_draft(action: Action) -> None:
    assert apply(matter_in(Status.draft), action, OTHER_APPLICANT, None, LATER) is (
        Refusal.not_your_matter
    )


def test_an_applicant_cannot_resubmit_another_persons_matter() -> None:
    matter = matter_in(Status.correction_requested)
    assert apply(matter, Action.resubmit, OTHER_APPLICANT, None, LATER) is Refusal.not_your_matter
    assert next_actions(matter, OTHER_APPLICANT) == ()


@pytest.mark.parametrize(
    ("before", "action"),
    [(before, action) for (before, action), rule in TRANSITIONS.items() if rule.by == OFFICE],
)
@pytest.mark.parametrize("actor", [OTHER_STAFF, STAFF_WITHOUT_OUTLET], ids=["other", "none"])
def test_staff_act_only_on_their_outlets_matters(
    before: Status, action: Action, actor: Actor
) -> None:
    matter = matter_in(before)
    assert apply(matter, action, actor, GOOD_REASON.get(action), LATER) is Refusal.not_your_outlet
    assert next_actions(matter, actor) == ()


def test_a_supervisor_acts_on_any_outlets_matters() -> None:
    assert SUPERVISOR.outlet_id != OUTLET_ID
    matter = matter_in(Status.accepted)
    transition = apply(matter, Action.approve, SUPERVISOR, None, LATER)
    assert isinstance(transition, Transition)
    assert (transition.actor_id, transition.actor_role) == (6, Role.supervisor)


def test_the_outlet_is_checked_before_the_reason() -> None:
    matter = matter_in(Status.accepted)
    assert apply(matter, Action.reject, OTHER_STAFF, None, LATER) is Refusal.not_your_outlet


def test_the_reason_rules_are_those_of_issue_12() -> None:
    assert dict(REASONS) == {
        Action.request_correction: ReasonRule.what_is_missing,
        Action.reject: ReasonRule.grounds,
    }
    assert reason_rule(Action.withdraw) is ReasonRule.optional


@pytest.mark.parametrize(
    "reason",
    [None, Reason(), Reason(text="  \n"), Reason(missing=("", "  "))],
    ids=["none", "empty", "blank-text", "blank-items"],
)
@pytest.mark.parametrize("before", [Status.accepted, Status.resubmitted])
def test_a_correction_request_must_say_what_is_missing(
    before: Status, reason: Reason | None
) -> None:
    matter = matter_in(before)
    assert apply(matter, Action.request_correction, STAFF, reason, LATER) is (
        Refusal.reason_required
    )


@pytest.mark.parametrize(
    "reason",
    [Reason(missing=("身份证复印件",)), Reason(text="请补交加盖公章的申请表")],
    ids=["items", "text"],
)
def test_a_correction_request_may_list_items_or_say_it_in_words(reason: Reason) -> None:
    transition = apply(matter_in(Status.accepted), Action.request_correction, STAFF, reason, LATER)
    assert isinstance(transition, Transition)
    assert transition.reason == reason


def test_a_reason_is_recorded_without_surrounding_spaces_or_blank_items() -> None:
    reason = Reason(text="  见清单 ", missing=(" 身份证复印件 ", "", "  "))
    transition = apply(matter_in(Status.accepted), Action.request_correction, STAFF, reason, LATER)
    assert transition.reason == Reason(text="见清单", missing=("身份证复印件",))


@pytest.mark.parametrize(
    "reason",
    [None, Reason(text=" "), Reason(missing=("产品检测报告",))],
    ids=["none", "blank", "items-only"],
)
def test_a_rejection_needs_its_grounds_in_words(reason: Reason | None) -> None:
    matter = matter_in(Status.accepted)
    assert apply(matter, Action.reject, STAFF, reason, LATER) is Refusal.reason_required


def test_a_withdrawal_may_give_a_reason_or_none() -> None:
    matter = matter_in(Status.submitted)
    without = apply(matter, Action.withdraw, OWNER, None, LATER)
    with_one = apply(matter, Action.withdraw, OWNER, Reason(text="已另行委托代理机构"), LATER)
    assert without.reason is None
    assert with_one.reason == Reason(text="已另行委托代理机构")


@pytest.mark.parametrize(
    ("status", "actor", "expected"),
    [
        (Status.draft, OWNER, (Action.submit, Action.withdraw)),
        (Status.draft, STAFF, ()),
        (Status.submitted, STAFF, (Action.accept,)),
        (Status.submitted, OWNER, (Action.withdraw,)),
        (Status.accepted, STAFF, (Action.request_correction, Action.approve, Action.reject)),
        (Status.correction_requested, OWNER, (Action.resubmit, Action.withdraw)),
        (Status.correction_requested, STAFF, ()),
        (
            Status.resubmitted,
            SUPERVISOR,
            (Action.request_correction, Action.approve, Action.reject),
        ),
        (Status.approved, STAFF, (Action.complete,)),
        (Status.approved, OWNER, ()),
        (Status.rejected, SUPERVISOR, (Action.complete,)),
        (Status.accepted, ADMIN, ()),
    ],
)
def test_next_actions_are_the_buttons_to_show(
    status: Status, actor: Actor, expected: tuple[Action, ...]
) -> None:
    assert next_actions(matter_in(status), actor) == expected


@pytest.mark.parametrize("status", list(Status))
def test_next_actions_are_exactly_what_apply_allows_with_a_good_reason(status: Status) -> None:
    matter = matter_in(status)
    for actor in CAST:
        allowed = tuple(
            action
            for action in Action
            if isinstance(apply(matter, action, actor, GOOD_REASON.get(action), LATER), Transition)
        )
        assert next_actions(matter, actor) == allowed


def test_a_time_without_a_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        apply(matter_in(Status.draft), Action.submit, OWNER, None, datetime(2026, 3, 2, 9, 0))


def test_a_clock_behind_the_last_change_is_recorded_at_that_change() -> None:
    matter = matter_in(Status.accepted)
    earlier = matter.last_changed_at - timedelta(minutes=5)
    transition = apply(matter, Action.approve, STAFF, None, earlier)
    assert transition.at == matter.last_changed_at


def test_a_history_the_table_could_not_make_is_refused() -> None:
    skipped = Transition(
        from_status=Status.draft,
        to_status=Status.approved,
        action=Action.approve,
        actor_id=STAFF.account_id,
        actor_role=Role.staff,
        reason=None,
        at=START,
    )
    with pytest.raises(ValueError, match="cannot lead from draft to approved"):
        MatterState(applicant_id=OWNER_ID, outlet_id=OUTLET_ID, history=(skipped,))
    with pytest.raises(ValueError, match="cannot lead"):
        matter_in(Status.accepted).after(skipped)


def test_a_history_whose_times_go_backwards_is_refused_also_when_decoded() -> None:
    matter = matter_in(Status.submitted)
    accept = apply(matter, Action.accept, STAFF, None, LATER)
    backwards = msgspec.structs.replace(accept, at=START - timedelta(days=1))
    with pytest.raises(ValueError, match="back in time"):
        matter.after(backwards)
    stored = msgspec.to_builtins(matter.after(accept))
    assert msgspec.json.decode(msgspec.json.encode(stored), type=MatterState) == matter.after(
        accept
    )
    stored["history"][-1]["at"] = backwards.at.isoformat()
    with pytest.raises(msgspec.ValidationError, match="back in time"):
        msgspec.json.decode(msgspec.json.encode(stored), type=MatterState)


REASON_CHOICES = st.one_of(
    st.none(),
    st.sampled_from(list(GOOD_REASON.values())),
    st.builds(
        Reason,
        text=st.sampled_from(["", " ", "不符合要求"]),
        missing=st.lists(st.sampled_from(["", " ", "身份证复印件"]), max_size=2).map(tuple),
    ),
)
# Seconds between two actions; negative: the next worker's clock is behind.
CLOCK_STEPS = st.integers(min_value=-7200, max_value=30 * 86400)


class MatterLife(RuleBasedStateMachine):
    """One matter, acted on by anyone in any order, at any time, even a clock running behind."""

    def __init__(self) -> None:
        super().__init__()
        self.matter = MatterState(applicant_id=OWNER_ID, outlet_id=OUTLET_ID)
        self.clock = START

    def act(self, actor: Actor, action: Action, reason: Reason | None, step: int):
        before = self.matter
        self.clock += timedelta(seconds=step)
        result = apply(before, action, actor, reason, self.clock)
        if before.status in CLOSED:
            assert result is Refusal.not_allowed_in_state
        if isinstance(result, Transition):
            self.matter = before.after(result)
            assert self.matter.history[:-1] == before.history  # appended, nothing rewritten
            assert result.at >= (before.last_changed_at or result.at)
        else:
            assert isinstance(result, Refusal)
        return result

    @rule(
        actor=st.sampled_from(CAST),
        action=st.sampled_from(Action),
        reason=REASON_CHOICES,
        step=CLOCK_STEPS,
    )
    def anyone_tries_anything(self, actor: Actor, action: Action, reason, step: int) -> None:
        self.act(actor, action, reason, step)

    @rule(actor=st.sampled_from(CAST), data=st.data(), step=CLOCK_STEPS)
    def someone_moves_the_matter_on(self, actor: Actor, data, step: int) -> None:
        """A button the actor sees, but not withdraw (tried above), so runs get to a decision."""
        buttons = next_actions(self.matter, actor)
        offered = [action for action in buttons if action is not Action.withdraw]
        if offered:
            action = data.draw(st.sampled_from(offered))
            assert isinstance(self.act(actor, action, GOOD_REASON.get(action), step), Transition)

    @invariant()
    def completed_only_after_approved_or_rejected(self) -> None:
        statuses = [Status.draft, *(entry.to_status for entry in self.matter.history)]
        if Status.completed in statuses:
            assert statuses[statuses.index(Status.completed) - 1] in DECIDED

    @invariant()
    def nothing_follows_completion_or_withdrawal(self) -> None:
        statuses = [entry.to_status for entry in self.matter.history]
        for index, status in enumerate(statuses):
            if status in CLOSED:
                assert index == len(statuses) - 1

    @invariant()
    def the_history_is_a_chain_whose_times_never_go_backwards(self) -> None:
        history = self.matter.history
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(history))
        assert all(a.at <= b.at for a, b in itertools.pairwise(history))


MatterLife.TestCase.settings = settings(max_examples=300, stateful_step_count=25, deadline=None)
test_a_matter_keeps_its_promises_whatever_anyone_does = MatterLife.TestCase
