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


class RecordHit(msgspec.Struct, frozen=True):
    """A record in a list of results: what the list shows of it and where it links."""

    number: str
    kind: str
    title: str
    applicants: str
    stage: str
    filing_date: dt.date


class NumberPrefixPage(msgspec.Struct, frozen=True):
    """The records whose number begins with the digits typed, a page of them, highest number
    first (`service.records_by_number_prefix`)."""

    digits: str  # as cleaned: "ZL 2017 10" → "201710"
    too_short: bool  # fewer than `min_digits`: nothing was looked up (`service.number_hint`)
    min_digits: int
    records: list[RecordHit] = []
    page: int = 1  # the page shown: the one asked for, kept within 1..last page
    per_page: int = 20
    total: int = 0  # counted up to `counted_up_to`
    total_is_lower_bound: bool = False  # more than `total` records: show "1,000+"
    has_next: bool = False  # another page can be shown (none past `counted_up_to` records)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class RecordSearch(msgspec.Struct, frozen=True):
    """What /records shows for a query (`service.search_records`)."""

    query: str
    results: list[RecordHit] = []  # the number's record, or titles and applicants holding the text
    by_number: NumberPrefixPage | None = None  # the query is only digits
    problem: str = ""  # why nothing was found, when the query looks like a number
    hint: str = ""  # too few digits: how numbers look
