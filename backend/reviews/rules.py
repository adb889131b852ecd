"""The rules of service reviews (政务服务"好差评"): levels, dimensions, tags, the follow-up period,
and the life of a rectification case. Pure: no database, no HTTP.

Five levels, each a word as well as a number (the State Council General Office's 2019 opinion on
the good/bad review system; GB/T 39734-2020): 5 非常满意 and 4 满意 are good, 3 基本满意 is
neutral, 2 不满意 and 1 非常不满意 are bad. A bad review opens a rectification case:

  opened ─contact─▶ contacted ─verify valid─▶ verified ─assign─▶ assigned ─rectify─▶ rectified
                              └verify not valid─▶ not_valid ─appeal─▶ appealed ─uphold─▶ verified
                                                                              └dismiss─▶ closed
  rectified ─reply─▶ replied ─confirm (the reviewer's rating of the rectification)─▶ closed
  not_valid, replied: closed by the clock too (the reviewer had their period and said nothing)

Every step has a role allowed to take it; nothing goes back, and a closed case takes no step.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from types import MappingProxyType

import msgspec

from backend.auth.tables import Account

Role = Account.Role


class Level(IntEnum):
    very_dissatisfied = 1
    dissatisfied = 2
    basically_satisfied = 3
    satisfied = 4
    very_satisfied = 5


class Grade(StrEnum):
    good = "good"
    neutral = "neutral"
    bad = "bad"


def grade_of(level: Level) -> Grade:
    if level >= Level.satisfied:
        return Grade.good
    if level == Level.basically_satisfied:
        return Grade.neutral
    return Grade.bad


class Channel(StrEnum):
    """Where the service was given: online (the app, the website) or on site (a window)."""

    online = "online"
    on_site = "on_site"


class Dimension(StrEnum):
    overall = "overall"
    efficiency = "efficiency"
    guide_accuracy = "guide_accuracy"
    convenience = "convenience"
    platform_usability = "platform_usability"
    service_level = "service_level"
    staff_attitude = "staff_attitude"


# The dimensions asked (DOMAIN.md; GB/T 39734-2020): "overall" is the level itself.
DIMENSIONS: MappingProxyType[Channel, tuple[Dimension, ...]] = MappingProxyType(
    {
        Channel.online: (
            Dimension.efficiency,
            Dimension.guide_accuracy,
            Dimension.convenience,
            Dimension.platform_usability,
        ),
        Channel.on_site: (
            Dimension.efficiency,
            Dimension.service_level,
            Dimension.staff_attitude,
        ),
    }
)


class Tag(StrEnum):
    long_wait = "long_wait"
    unclear_guide = "unclear_guide"
    documents_twice = "documents_twice"
    unhelpful_staff = "unhelpful_staff"
    system_trouble = "system_trouble"
    friendly = "friendly"
    one_visit = "one_visit"
    quick = "quick"
    clear_guide = "clear_guide"


# Which tags fit which grade: praise for good, complaints for bad, both for neutral.
_PRAISE = (Tag.friendly, Tag.one_visit, Tag.quick, Tag.clear_guide)
_COMPLAINT = (
    Tag.long_wait,
    Tag.unclear_guide,
    Tag.documents_twice,
    Tag.unhelpful_staff,
    Tag.system_trouble,
)
TAGS: MappingProxyType[Grade, tuple[Tag, ...]] = MappingProxyType(
    {Grade.good: _PRAISE, Grade.neutral: _COMPLAINT + _PRAISE, Grade.bad: _COMPLAINT}
)
COMMENT_MAX_LENGTH = 500


class InvalidReview(ValueError):
    """A form that is not a review: the field and what to tell the person."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class ReviewForm(msgspec.Struct, frozen=True, kw_only=True):
    """What a person sent, checked: the level, the dimensions' levels, tags, comment."""

    level: Level
    dimensions: dict[str, int] = {}
    tags: tuple[str, ...] = ()
    comment: str = ""
    anonymous: bool = False


def check_review(
    channel: Channel,
    level: str,
    dimensions: dict[str, str],
    tags: list[str],
    comment: str,
    anonymous: bool,
    anonymous_allowed: bool,
) -> ReviewForm:
    """The review as kept, or InvalidReview naming the field. Dimensions not rated are left out
    (never filled in with the overall level); tags that do not fit the level are refused."""
    try:
        chosen = Level(int(level))
    except ValueError:
        raise InvalidReview("level", "choose") from None
    rated: dict[str, int] = {}
    for dimension in DIMENSIONS[channel]:
        typed = dimensions.get(dimension.value, "").strip()
        if not typed:
            continue
        try:
            rated[dimension.value] = int(Level(int(typed)))
        except ValueError:
            raise InvalidReview(dimension.value, "choose") from None
    fitting = {tag.value for tag in TAGS[grade_of(chosen)]}
    if any(tag not in fitting for tag in tags):
        raise InvalidReview("tags", "unfitting")
    text = comment.strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise InvalidReview("comment", "too_long")
    if anonymous and not anonymous_allowed:
        raise InvalidReview("anonymous", "not_allowed")
    return ReviewForm(
        level=chosen,
        dimensions=rated,
        tags=tuple(dict.fromkeys(tags)),
        comment=text,
        anonymous=anonymous,
    )


def follow_up_open(reviewed_at: dt.datetime, now: dt.datetime, period: dt.timedelta) -> bool:
    """A follow-up rating (追评) may be added within the period after the review."""
    return now <= reviewed_at + period


class CaseStatus(StrEnum):
    opened = "opened"
    contacted = "contacted"
    verified = "verified"
    not_valid = "not_valid"
    appealed = "appealed"
    assigned = "assigned"
    rectified = "rectified"
    replied = "replied"
    closed = "closed"


class CaseStep(StrEnum):
    contact = "contact"  # the return contact with the reviewer (回访)
    verify_valid = "verify_valid"
    verify_not_valid = "verify_not_valid"
    appeal = "appeal"  # the reviewer contests "not valid"
    uphold_appeal = "uphold_appeal"  # the review stands: rectify after all
    dismiss_appeal = "dismiss_appeal"
    assign = "assign"
    rectify = "rectify"  # what was done
    postpone = "postpone"  # cannot be put right in time: the reason and a new date, told
    reply = "reply"  # the reply to the reviewer
    confirm = "confirm"  # the reviewer's rating of the rectification
    close_unanswered = "close_unanswered"  # the reviewer's period passed without an answer


class CaseRule(msgspec.Struct, frozen=True):
    from_statuses: frozenset[CaseStatus]
    to_status: CaseStatus
    roles: frozenset[Role]
    reason_required: bool


_OFFICE = frozenset({Role.staff, Role.supervisor})
_SUPERVISOR = frozenset({Role.supervisor})
_REVIEWER = frozenset({Role.applicant, Role.staff, Role.supervisor, Role.admin})


def _rule(
    sources: set[CaseStatus], to: CaseStatus, roles: frozenset[Role], reason: bool
) -> CaseRule:
    return CaseRule(frozenset(sources), to, roles, reason)


S = CaseStatus
CASE_RULES: MappingProxyType[CaseStep, CaseRule] = MappingProxyType(
    {
        CaseStep.contact: _rule({S.opened}, S.contacted, _SUPERVISOR, True),
        CaseStep.verify_valid: _rule({S.contacted}, S.verified, _SUPERVISOR, False),
        CaseStep.verify_not_valid: _rule({S.contacted}, S.not_valid, _SUPERVISOR, True),
        CaseStep.appeal: _rule({S.not_valid}, S.appealed, _REVIEWER, True),
        CaseStep.uphold_appeal: _rule({S.appealed}, S.verified, _SUPERVISOR, True),
        CaseStep.dismiss_appeal: _rule({S.appealed}, S.closed, _SUPERVISOR, True),
        CaseStep.assign: _rule({S.verified}, S.assigned, _SUPERVISOR, False),
        CaseStep.rectify: _rule({S.assigned}, S.rectified, _OFFICE, True),
        CaseStep.postpone: _rule({S.assigned}, S.assigned, _SUPERVISOR, True),
        CaseStep.reply: _rule({S.rectified}, S.replied, _OFFICE, True),
        CaseStep.confirm: _rule({S.replied}, S.closed, _REVIEWER, False),
        CaseStep.close_unanswered: _rule({S.replied, S.not_valid}, S.closed, _SUPERVISOR, False),
    }
)
# Steps only the reviewer takes (their own case); the others are the office's.
REVIEWER_STEPS = frozenset({CaseStep.appeal, CaseStep.confirm})


class StepRefused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "not_now", "not_your_role", "reason_required"


def next_status(
    status: CaseStatus, step: CaseStep, role: Role, is_reviewer: bool, reason: str
) -> CaseStatus:
    """The case's status after the step, or StepRefused."""
    rule = CASE_RULES[step]
    if status not in rule.from_statuses:
        raise StepRefused("not_now")
    if (step in REVIEWER_STEPS) != is_reviewer or role not in rule.roles:
        raise StepRefused("not_your_role")
    if rule.reason_required and not reason.strip():
        raise StepRefused("reason_required")
    return rule.to_status


def steps_open_to(status: CaseStatus, role: Role, is_reviewer: bool) -> list[CaseStep]:
    return [
        step
        for step, rule in CASE_RULES.items()
        if status in rule.from_statuses
        and role in rule.roles
        and (step in REVIEWER_STEPS) == is_reviewer
    ]


class Clocks(msgspec.Struct, frozen=True, kw_only=True):
    """The rectification clocks, in working days from the review (configuration; DOMAIN.md:
    provinces differ — Zhejiang: contact within 1, fixed and answered within 15)."""

    contact_days: int = 1
    resolve_days: int = 15


def clock_of(status: CaseStatus) -> str | None:
    """Which clock a case in this status runs against: "contact" until the reviewer has been
    contacted, then "resolve" until the reply (its date may be moved by a `postpone` with a
    reason the reviewer sees); none once replied or closed."""
    if status == CaseStatus.opened:
        return "contact"
    if status in _RESOLVING:
        return "resolve"
    return None


_RESOLVING = frozenset(
    {
        CaseStatus.contacted,
        CaseStatus.verified,
        CaseStatus.appealed,
        CaseStatus.assigned,
        CaseStatus.rectified,
    }
)
