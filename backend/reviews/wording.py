"""How review pages say things, in the person's language: the five levels, the dimensions, the
tags, a case's statuses and steps, and the figures' names. Every reviews template uses these
(template global `review_words`), so a level is called the same everywhere."""

from __future__ import annotations

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.reviews.rules import CaseStatus, CaseStep, Dimension, Grade, Level, Tag

LEVEL_NAMES = {
    Level.very_satisfied: N_("Very satisfied"),
    Level.satisfied: N_("Satisfied"),
    Level.basically_satisfied: N_("Basically satisfied"),
    Level.dissatisfied: N_("Dissatisfied"),
    Level.very_dissatisfied: N_("Very dissatisfied"),
}
GRADE_NAMES = {Grade.good: N_("Good"), Grade.neutral: N_("Neutral"), Grade.bad: N_("Bad")}
DIMENSION_NAMES = {
    Dimension.overall: N_("Overall"),
    Dimension.efficiency: N_("How quickly it was done"),
    Dimension.guide_accuracy: N_("How accurate the guide was"),
    Dimension.convenience: N_("How convenient it was"),
    Dimension.platform_usability: N_("How easy the app was to use"),
    Dimension.service_level: N_("How well it was handled"),
    Dimension.staff_attitude: N_("How the staff treated you"),
}
TAG_NAMES = {
    Tag.long_wait: N_("Long wait"),
    Tag.unclear_guide: N_("Unclear guide"),
    Tag.documents_twice: N_("Asked for documents twice"),
    Tag.unhelpful_staff: N_("Unhelpful staff"),
    Tag.system_trouble: N_("The system did not work"),
    Tag.friendly: N_("Friendly"),
    Tag.one_visit: N_("Done in one visit"),
    Tag.quick: N_("Quick"),
    Tag.clear_guide: N_("Clear guide"),
}
CASE_STATUS_NAMES = {
    CaseStatus.opened: N_("Waiting for the office to contact you"),
    CaseStatus.contacted: N_("Contacted; being checked"),
    CaseStatus.verified: N_("Confirmed; to be put right"),
    CaseStatus.not_valid: N_("Found not valid"),
    CaseStatus.appealed: N_("Appealed; being reconsidered"),
    CaseStatus.assigned: N_("Being put right"),
    CaseStatus.rectified: N_("Put right; reply on its way"),
    CaseStatus.replied: N_("Answered; waiting for your rating"),
    CaseStatus.closed: N_("Closed"),
}
STEP_NAMES = {
    CaseStep.contact: N_("Return contact"),
    CaseStep.verify_valid: N_("Found valid"),
    CaseStep.verify_not_valid: N_("Found not valid"),
    CaseStep.appeal: N_("Appeal"),
    CaseStep.uphold_appeal: N_("Appeal upheld"),
    CaseStep.dismiss_appeal: N_("Appeal dismissed"),
    CaseStep.assign: N_("Assigned"),
    CaseStep.rectify: N_("What was done"),
    CaseStep.postpone: N_("New date, with the reason"),
    CaseStep.reply: N_("Reply to you"),
    CaseStep.confirm: N_("Your rating of what was done"),
    CaseStep.close_unanswered: N_("Closed without your rating"),
}

ONLINE_SERVICE_NAMES = {
    "records": N_("Checking a patent or trademark"),
    "gi-check": N_("Checking a GI producer"),
    "guides": N_("Policy guides"),
}


def online_service_name(service: str) -> str:
    name = ONLINE_SERVICE_NAMES.get(service)
    return i18n.gettext(name) if name else service


def level_name(level: int) -> str:
    return i18n.gettext(LEVEL_NAMES[Level(level)])


def grade_name(grade: str) -> str:
    return i18n.gettext(GRADE_NAMES[Grade(grade)])


def dimension_name(dimension: str) -> str:
    return i18n.gettext(DIMENSION_NAMES[Dimension(dimension)])


def tag_name(tag: str) -> str:
    return i18n.gettext(TAG_NAMES[Tag(tag)])


def case_status_name(status: str) -> str:
    return i18n.gettext(CASE_STATUS_NAMES[CaseStatus(status)])


def step_name(step: str) -> str:
    return i18n.gettext(STEP_NAMES[CaseStep(step)])


class ReviewWords:
    """The template global `review_words`."""

    level = staticmethod(level_name)
    grade = staticmethod(grade_name)
    dimension = staticmethod(dimension_name)
    tag = staticmethod(tag_name)
    case_status = staticmethod(case_status_name)
    step = staticmethod(step_name)
    online_service = staticmethod(online_service_name)


REVIEW_WORDS = ReviewWords()
