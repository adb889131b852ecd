"""Service reviews in the database: the events that may be rated, the reviews, the follow-ups,
the rectification of bad ones and the appeals against malicious ones.

A review is never changed or deleted: the service has no such function, and the tables carry no
foreign key that could cascade or null one out (the reviewer is an id, like an audit entry's
actor). What changes is around it: a case's status and steps, an appeal's decision.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.reviews.rules import CaseStatus


class ServiceEvent(
    Table,
    help_text="One service given that may be rated once: a matter ended, a visit to a window, "
    "an online service used. An event with no review is counted as unrated.",
):
    class Kind(StrEnum):
        matter = "matter"  # a matter completed, rejected or withdrawn (一事一评)
        visit = "visit"  # a visit a window's staff issued a one-time code for (一次一评)
        desk = "desk"  # a visit rated from a desk's printed code
        online = "online"  # an online service used, done or given up

    token = Varchar(length=32, unique=True, help_text="The /rate/{token} address: random.")
    kind = Varchar(length=10, choices=Kind)
    channel = Varchar(length=10, help_text="rules.Channel: online or on_site.")
    outcome = Varchar(length=20, default="", help_text="completed, rejected, withdrawn, gave_up…")
    subject = Varchar(length=60, default="", help_text="A matter's reference, a service's name.")
    matter_code = Varchar(length=60, default="", index=True, help_text="A matter type, if any.")
    outlet_id = Integer(null=True, default=None, index=True, help_text="No FK: figures outlive.")
    desk = Varchar(length=40, default="")
    account_id = Integer(null=True, default=None, index=True, help_text="The person served.")
    staff_id = Integer(null=True, default=None, help_text="Who served; never shown with ratings.")
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    month = Varchar(length=7, index=True, help_text="YYYY-MM in Beijing time: the figures' period.")
    expires_at = Timestamptz(null=True, default=None, help_text="A one-time code's end.")


class DeskCode(Table, help_text="The printed QR code of one desk of an outlet."):
    token = Varchar(length=32, unique=True)
    outlet_id = Integer(index=True)
    desk = Varchar(length=40, help_text="The desk's name or number, as printed.")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Review(Table, help_text="A rating of one service event: kept as given, for good."):
    event = ForeignKey(references=ServiceEvent, unique=True, help_text="One review per event.")
    level = Integer(help_text="rules.Level, 1 to 5.")
    grade = Varchar(length=10, index=True, help_text="good, neutral or bad (from the level).")
    channel = Varchar(length=10)
    kind = Varchar(length=10, help_text="The event's kind, kept for the figures.")
    outlet_id = Integer(null=True, default=None, index=True)
    matter_code = Varchar(length=60, default="", index=True)
    dimensions = Text(default="{}", help_text="The levels of the dimensions rated, JSON.")
    tags = Text(default="[]", help_text="JSON list of rules.Tag values.")
    comment = Text(default="")
    anonymous = Boolean(default=False)
    reviewer_id = Integer(null=True, default=None, index=True, help_text="None when anonymous.")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class FollowUp(Table, help_text="A follow-up rating (追评), within the period after a review."):
    review = ForeignKey(references=Review, unique=True)
    level = Integer()
    comment = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class RectificationCase(Table, help_text="The putting right of one bad review."):
    review = ForeignKey(references=Review, unique=True)
    status = Varchar(length=20, choices=CaseStatus, default=CaseStatus.opened, index=True)
    contact_due = Date(help_text="The return contact's last day, in working days.")
    resolve_due = Date(help_text="Fixed and answered by; moved only by a postponement.")
    due_provisional = Boolean(default=False, help_text="Counted in a year with no calendar.")
    assignee_id = Integer(null=True, default=None, index=True)
    satisfaction = Integer(null=True, default=None, help_text="The reviewer's level, 1 to 5.")
    escalated_at = Timestamptz(null=True, default=None, help_text="Overdue: told the supervisor.")
    opened_at = Timestamptz(default=TimestamptzNow())
    contacted_at = Timestamptz(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    replied_in_time = Boolean(null=True, default=None, help_text="Replied by resolve_due.")
    closed_at = Timestamptz(null=True, default=None)


class RectificationStep(Table, help_text="One step of a rectification, as the reviewer sees it."):
    case = ForeignKey(references=RectificationCase, index=True)
    step = Varchar(length=20)
    from_status = Varchar(length=20)
    to_status = Varchar(length=20)
    actor_id = Integer()
    actor_role = Varchar(length=20)
    text = Text(default="")
    new_due = Date(null=True, default=None, help_text="A postponement's new date.")
    at = Timestamptz()


class ReviewAppeal(
    Table,
    help_text="The office's appeal against a mistaken or malicious review: only an upheld "
    "decision, with its reason, takes the review out of the figures.",
):
    class Decision(StrEnum):
        upheld = "upheld"
        dismissed = "dismissed"

    review = ForeignKey(references=Review, unique=True)
    grounds = Text()
    filed_by = Integer()
    filed_at = Timestamptz(default=TimestamptzNow())
    decision = Varchar(length=10, choices=Decision, null=True, default=None, index=True)
    decision_reason = Text(default="")
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class ReviewTally(
    Table,
    help_text="Running counts of the figures (figures.py) for one month, outlet, channel and "
    "matter type, and under month '*' for all months: kept in the transaction of every write "
    "that moves a figure (tallies.py), rebuilt from the raw tables by `litestar iph "
    "reviews-retally`.",
):
    key = Varchar(length=100, unique=True, help_text="month|outlet|channel|matter_code")
    month = Varchar(length=7, index=True, help_text="YYYY-MM, or '*' for all months.")
    outlet_id = Integer(null=True, default=None)
    channel = Varchar(length=10)
    matter_code = Varchar(length=60, default="")
    events = Integer(default=0)
    unrated = Integer(default=0)
    counted = Integer(default=0)
    good = Integer(default=0)
    neutral = Integer(default=0)
    bad = Integer(default=0)
    appeals_upheld = Integer(default=0)
    appeals_decided = Integer(default=0)
    replied = Integer(default=0)
    replied_in_time = Integer(default=0)
    rectifications_rated = Integer(default=0)
    rectifications_satisfied = Integer(default=0)
