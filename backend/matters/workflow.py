"""The life of a matter, from draft to completed, as one table of transitions (issue 12).

Pure: no database, no HTTP. A route loads the matter's history, asks `apply` whether an action
may happen, stores the `Transition` it gets (or shows the sentence for the `Refusal`), and builds
its buttons from `next_actions`::

                                     ┌──────── request_correction ────────┐
                                     │                                    ▼
  draft ─submit─▶ submitted ─accept─▶ [accepted | resubmitted] ◀─resubmit─ correction_requested
                                     │
                                     ├─approve─▶ approved ─┐
                                     │                     ├─complete─▶ completed
                                     └─reject──▶ rejected ─┘

  draft, submitted, accepted, correction_requested, resubmitted ─withdraw─▶ withdrawn

`accept` leads to accepted and `resubmit` to resubmitted, and the two are handled alike: staff
may ask for a correction again (as often as needed), approve or reject. Approved and rejected are
decisions, not the end: `complete` closes the matter once the decision has reached the applicant,
whichever it was. Completed and withdrawn are final; nothing applies to them. The reasons are in
docs/decisions/matters-workflow.md.

Who may act: the applicant is the matter's owner, staff work at the matter's outlet, a
supervisor acts on every outlet's matters. An admin account runs the app and handles no matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

import msgspec

from backend.auth.tables import Account
from backend.outlets.staff import Actor

Role = Account.Role


class Status(StrEnum):
    """Where a matter is; a future `Matter.Status` is this enum."""

    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    correction_requested = "correction_requested"
    resubmitted = "resubmitted"
    approved = "approved"
    rejected = "rejected"
    completed = "completed"
    withdrawn = "withdrawn"


class Action(StrEnum):
    """What someone does to a matter; the order is the order of the buttons."""

    submit = "submit"
    accept = "accept"
    request_correction = "request_correction"
    resubmit = "resubmit"
    approve = "approve"
    reject = "reject"
    complete = "complete"
    withdraw = "withdraw"


class Refusal(StrEnum):
    """Why an action was refused; the route shows the sentence for it in the person's language."""

    not_allowed_in_state = "not_allowed_in_state"
    """No one may do this to a matter in its present state (a completed matter, say)."""
    role_not_allowed = "role_not_allowed"
    """Someone may, but not a person with this role (an applicant approving)."""
    not_your_matter = "not_your_matter"
    """An applicant acting on another person's matter."""
    not_your_outlet = "not_your_outlet"
    """Staff acting on a matter of another outlet."""
    reason_required = "reason_required"
    """The action needs a reason and none (or not the right kind) was given."""


class ReasonRule(StrEnum):
    """What reason an action needs."""

    optional = "optional"
    """A note may be given, or none."""
    what_is_missing = "what_is_missing"
    """At least one missing item or a text: everything the applicant must put right, at once."""
    grounds = "grounds"
    """A text: the grounds of the decision."""


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """Why someone acted: a text, and for a correction the items the applicant must supply."""

    text: str = ""
    missing: tuple[str, ...] = ()

    def cleaned(self) -> Reason | None:
        """Without surrounding spaces and blank items; None when nothing is left."""
        text = self.text.strip()
        missing = tuple(item.strip() for item in self.missing if item.strip())
        return Reason(text=text, missing=missing) if text or missing else None


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a matter's history, as stored: who moved it from where to where, and why."""

    from_status: Status
    to_status: Status
    action: Action
    actor_id: int
    actor_role: Role
    reason: Reason | None
    at: datetime


class Rule(msgspec.Struct, frozen=True):
    to: Status
    by: frozenset[Role]


APPLICANT = frozenset({Role.applicant})
OFFICE = frozenset({Role.staff, Role.supervisor})  # staff of the matter's outlet, or a supervisor

S, A = Status, Action
# fmt: off
TRANSITIONS: Mapping[tuple[Status, Action], Rule] = MappingProxyType({
    # (from,                 action):               Rule(to,                     by)
    (S.draft,                A.submit):              Rule(S.submitted,            APPLICANT),
    (S.submitted,            A.accept):              Rule(S.accepted,             OFFICE),
    (S.accepted,             A.request_correction):  Rule(S.correction_requested, OFFICE),
    (S.accepted,             A.approve):             Rule(S.approved,             OFFICE),
    (S.accepted,             A.reject):              Rule(S.rejected,             OFFICE),
    (S.correction_requested, A.resubmit):            Rule(S.resubmitted,          APPLICANT),
    (S.resubmitted,          A.request_correction):  Rule(S.correction_requested, OFFICE),
    (S.resubmitted,          A.approve):             Rule(S.approved,             OFFICE),
    (S.resubmitted,          A.reject):              Rule(S.rejected,             OFFICE),
    (S.approved,             A.complete):            Rule(S.completed,            OFFICE),
    (S.rejected,             A.complete):            Rule(S.completed,            OFFICE),
    (S.draft,                A.withdraw):            Rule(S.withdrawn,            APPLICANT),
    (S.submitted,            A.withdraw):            Rule(S.withdrawn,            APPLICANT),
    (S.accepted,             A.withdraw):            Rule(S.withdrawn,            APPLICANT),
    (S.correction_requested, A.withdraw):            Rule(S.withdrawn,            APPLICANT),
    (S.resubmitted,          A.withdraw):            Rule(S.withdrawn,            APPLICANT),
})
# fmt: on
del S, A

REASONS: Mapping[Action, ReasonRule] = MappingProxyType(
    {Action.request_correction: ReasonRule.what_is_missing, Action.reject: ReasonRule.grounds}
)
"""The reason each action needs, wherever it starts; every other action: `optional`."""

DECIDED = frozenset({Status.approved, Status.rejected})
CLOSED = frozenset({Status.completed, Status.withdrawn})
"""Final: no action applies to a matter in one of these."""


class MatterState(msgspec.Struct, frozen=True, kw_only=True):
    """What the workflow needs of a matter: whose it is, which outlet handles it, its history.

    The status is the last entry's `to_status` (draft before the first), so the two cannot
    disagree. A history that the table could not have produced, or whose times go backwards, is
    refused when the state is made (ValueError; a msgspec ValidationError when decoded).
    """

    applicant_id: int
    outlet_id: int
    history: tuple[Transition, ...] = ()

    def __post_init__(self) -> None:
        status, last_at = Status.draft, None
        for entry in self.history:
            rule = TRANSITIONS.get((entry.from_status, entry.action))
            if entry.from_status != status or rule is None or rule.to != entry.to_status:
                raise ValueError(f"{entry.action} cannot lead from {status} to {entry.to_status}")
            if last_at is not None and entry.at < last_at:
                raise ValueError(f"history goes back in time at {entry.at.isoformat()}")
            status, last_at = entry.to_status, entry.at

    @property
    def status(self) -> Status:
        return self.history[-1].to_status if self.history else Status.draft

    @property
    def last_changed_at(self) -> datetime | None:
        return self.history[-1].at if self.history else None

    def after(self, transition: Transition) -> MatterState:
        """This matter with `transition` (from `apply` on this state) appended to its history."""
        return msgspec.structs.replace(self, history=(*self.history, transition))


def apply(
    matter: MatterState, action: Action, actor: Actor, reason: Reason | None, at: datetime
) -> Transition | Refusal:
    """The transition `actor` makes by `action` at `at`, or why it is refused.

    Checked in this order, so the first thing wrong is the one reported: the state, the role,
    ownership or outlet, the reason. `at` must carry a time zone; one earlier than the matter's
    last change (another worker's clock) is recorded at that change's time instead, so a
    person's action is never refused for the clock and the history never runs backwards.
    """
    if at.utcoffset() is None:
        raise ValueError("`at` must be an aware datetime")
    rule = TRANSITIONS.get((matter.status, action))
    if rule is None:
        return Refusal.not_allowed_in_state
    refusal = _refusal_for(matter, rule, actor)
    if refusal is not None:
        return refusal
    given = reason.cleaned() if reason is not None else None
    if not _suffices(given, reason_rule(action)):
        return Refusal.reason_required
    last = matter.last_changed_at
    return Transition(
        from_status=matter.status,
        to_status=rule.to,
        action=action,
        actor_id=actor.account_id,
        actor_role=actor.role,
        reason=given,
        at=at if last is None or at >= last else last,
    )


def next_actions(matter: MatterState, actor: Actor) -> tuple[Action, ...]:
    """The actions `actor` may take on `matter` now (given the reason each needs), in order."""
    return tuple(
        action
        for action in Action
        if (rule := TRANSITIONS.get((matter.status, action))) is not None
        and _refusal_for(matter, rule, actor) is None
    )


def reason_rule(action: Action) -> ReasonRule:
    """What reason `action` needs, for the form that asks for it."""
    return REASONS.get(action, ReasonRule.optional)


def _refusal_for(matter: MatterState, rule: Rule, actor: Actor) -> Refusal | None:
    if actor.role not in rule.by:
        return Refusal.role_not_allowed
    if actor.role == Role.applicant and actor.account_id != matter.applicant_id:
        return Refusal.not_your_matter
    if actor.role == Role.staff and actor.outlet_id != matter.outlet_id:
        return Refusal.not_your_outlet
    return None


def _suffices(reason: Reason | None, rule: ReasonRule) -> bool:
    match rule:
        case ReasonRule.what_is_missing:
            return reason is not None
        case ReasonRule.grounds:
            return reason is not None and reason.text != ""
        case ReasonRule.optional:
            return True
