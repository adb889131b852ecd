from __future__ import annotations

import datetime as dt

import msgspec


class DeadlineView(msgspec.Struct, frozen=True):
    """The next thing that falls due on a record, ready to show."""

    kind: str  # "annual-fee" | "renewal"
    due_date: dt.date
    days_left: int
    state: str  # upcoming | open | grace | lapsed | expired | not-yet
    amount_yuan: int | None = None
    surcharge_yuan: int | None = None
    grace_end: dt.date | None = None
    patent_year: int | None = None


class TimelineEntry(msgspec.Struct, frozen=True):
    occurred_on: dt.date
    stage: str
    stage_name: str
    official_status: str
    note: str
    document: str


class PublicRecord(msgspec.Struct, frozen=True):
    """What anyone may see of a record (GET /api/v1/records/{number})."""

    number: str
    kind: str
    title: str
    mark_image: str  # the mark's image address, "" when it has none
    nice_classes: list[str]
    filing_date: dt.date
    granted_on: dt.date | None
    applicants: list[str]
    agent: str
    stage: str
    stage_name: str
    stage_meaning: str
    next_step: str
    official_status: str
    timeline: list[TimelineEntry]


class MyRecordRow(msgspec.Struct, frozen=True):
    number: str
    kind: str
    title: str
    stage: str
    stage_name: str
    needs_action: bool
    deadline: DeadlineView | None


class BindForm(msgspec.Struct):
    number: str = ""
    code: str = ""


class StatusChangeForm(msgspec.Struct):
    stage: str = ""
    official_status: str = ""
    note: str = ""
    document: str = ""


class BindingDecision(msgspec.Struct):
    decision: str = ""
