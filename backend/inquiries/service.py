"""Records: look-up by any typed number, search, timelines, binding to accounts, deadlines.

The examination system is outside this project; its default adapter is our own database,
loaded by `litestar iph import records` and changed by staff in the console.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from typing import Any

import msgspec

from backend.auth.audit import RequestMeta
from backend.auth.service import check_limit
from backend.auth.tables import Account
from backend.core import i18n
from backend.core.database import read_by_key, write_transaction
from backend.inquiries import deadlines
from backend.inquiries.numbers import InvalidNumber, parse_number, typed_digits
from backend.inquiries.schemas import (
    DeadlineView,
    MyRecordRow,
    NumberPrefixPage,
    PublicRecord,
    RecordHit,
    RecordSearch,
    TimelineEntry,
)
from backend.inquiries.search import find_records
from backend.inquiries.stages import STAGES, stage_view
from backend.inquiries.tables import Record, RecordBinding, StatusEvent

SEARCH_LIMIT = 20
NUMBER_PREFIX_MIN_DIGITS = 6  # fewer would list a good part of a year's filings
NUMBER_PREFIX_COUNTED_UP_TO = 1000  # and no page past these: type more digits
LONGEST_NUMBER_DIGITS = 12  # before the dot of the current form; no number begins with more
BIND_ATTEMPTS = ("bind-account", 10, 3600)


class RecordNotFound(Exception):
    """No such record, or (for personal pages) not bound to this account: same answer."""


class BindingRefused(Exception):
    pass


def binding_code_hash(number: str, code: str) -> str:
    return hashlib.sha256(f"{number}:{code.strip().upper()}".encode()).hexdigest()


async def record_by_number(text: str) -> Record:
    """Raises InvalidNumber (with the reason) or RecordNotFound (valid, but not held here)."""
    number = parse_number(text).canonical
    record = await Record.objects().where(Record.number == number).first()
    if record is None:
        raise RecordNotFound(number)
    return record


async def search(query: str, limit: int = SEARCH_LIMIT) -> list[Record]:
    """A number in any typed form finds its record; other text is looked for in titles (or mark
    names) and applicants, as a case-insensitive substring, newest filing first (search.py)."""
    query = query.strip()[:100]
    if not query:
        return []
    try:
        return [await record_by_number(query)]
    except (InvalidNumber, RecordNotFound):
        pass
    return await find_records(query, limit)


async def search_records(query: str, page: int = 1) -> RecordSearch:
    """What /records shows: a number's record (typed in any form, as `search`); for the first
    digits of a number, the records whose number begins with them, a page at a time
    (`records_by_number_prefix`); for other text, or digits no number begins with, the records
    whose title or applicants hold it. With nothing found, why, when the query looks like a
    number; with too few digits, how numbers look."""
    query = query.strip()[:100]
    if not query:
        return RecordSearch(query="")
    try:
        return RecordSearch(query=query, results=[_hit(await record_by_number(query))])
    except (InvalidNumber, RecordNotFound):
        pass
    by_number = await records_by_number_prefix(query, page)
    if by_number is not None and by_number.records:
        return RecordSearch(query=query, by_number=by_number)
    results = [_hit(record) for record in await find_records(query, SEARCH_LIMIT)]
    too_short = by_number is not None and by_number.too_short
    return RecordSearch(
        query=query,
        results=results,
        by_number=by_number,
        problem=number_problem(query) if not results and looks_like_a_number(query) else "",
        hint=number_hint() if too_short else "",
    )


async def records_by_number_prefix(
    query: str, page: int = 1, per_page: int = SEARCH_LIMIT
) -> NumberPrefixPage | None:
    """The records whose number begins with the digits of `query`, highest number first, a page
    at a time; None when `query` is not only digits as the number parser forgives them (`CN`/`ZL`,
    spaces, hyphens, dots, full-width digits: `numbers.typed_digits`).

    Fewer than NUMBER_PREFIX_MIN_DIGITS digits: `too_short`, nothing read (`number_hint` says
    how numbers look). Otherwise one range of the unique index on `Record.number`, `number >=
    digits AND number < the digits with the last one raised` (read backwards: the highest number
    first, which within six digits or more is the latest filed of its year and kind, or the
    latest trademark), and, only when more than a page begins with them, a count of at most
    NUMBER_PREFIX_COUNTED_UP_TO + 1 index entries. `page` is kept within the pages those hold (a
    page past the last, from an old link or typed, shows the last).
    A full number's record is among them: the site search and /records send a whole number to
    its record first (`record_by_number`)."""
    digits = typed_digits(query.strip()[:100])
    if digits is None:
        return None
    if len(digits) < NUMBER_PREFIX_MIN_DIGITS:
        return NumberPrefixPage(digits=digits, too_short=True, min_digits=NUMBER_PREFIX_MIN_DIGITS)
    per_page = min(max(per_page, 1), 100)
    last_page = math.ceil(NUMBER_PREFIX_COUNTED_UP_TO / per_page)
    page = min(max(page, 1), last_page)
    shown = NumberPrefixPage(
        digits=digits,
        too_short=False,
        min_digits=NUMBER_PREFIX_MIN_DIGITS,
        page=page,
        per_page=per_page,
    )
    if len(digits) > LONGEST_NUMBER_DIGITS:
        return shown
    # The page's numbers from the index alone (an index-only scan past the pages before), then
    # their rows: OFFSET over the rows themselves would read every row it skips (page 50 of
    # six digits at 1,000,000 records: 17 ms on PostgreSQL, 215 ms at p99; bench/RECORDS.md).
    page_numbers = (
        Record.select(Record.number)
        .where(_numbers_beginning_with(digits))
        .order_by(Record.number, ascending=False)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = await (
        Record.select(*_HIT_COLUMNS)
        .where(Record.number.is_in(page_numbers))
        .order_by(Record.number, ascending=False)
    )
    # The range holds exactly these numbers wherever digits sort as digits (both engines, any
    # collation): checked all the same.
    hits = [RecordHit(**row) for row in rows if row["number"].startswith(digits)]
    more = len(hits) > per_page
    if page == 1 and not more:
        total = len(hits)
    else:
        total = await _count_beginning_with(digits, NUMBER_PREFIX_COUNTED_UP_TO + 1)
        held_pages = math.ceil(min(total, NUMBER_PREFIX_COUNTED_UP_TO) / per_page)
        if not hits and 0 < held_pages < page:
            return await records_by_number_prefix(query, held_pages, per_page)
    return msgspec.structs.replace(
        shown,
        records=hits[:per_page],
        total=min(total, NUMBER_PREFIX_COUNTED_UP_TO),
        total_is_lower_bound=total > NUMBER_PREFIX_COUNTED_UP_TO,
        has_next=more and page < last_page,
    )


_HIT_COLUMNS = (
    Record.number,
    Record.kind,
    Record.title,
    Record.applicants,
    Record.stage,
    Record.filing_date,
)


def number_prefix_range(digits: str) -> tuple[str, str]:
    """The numbers that begin with `digits` are those from `digits` up to (not including) the
    digits with the last one below 9 raised ("2017199" → "20172"); for nines only, up to "A",
    which sorts after every digit and before the `G` of Madrid marks."""
    kept = digits.rstrip("9")
    return digits, f"{kept[:-1]}{int(kept[-1]) + 1}" if kept else "A"


def _numbers_beginning_with(digits: str) -> Any:
    lower, upper = number_prefix_range(digits)
    return (Record.number >= lower) & (Record.number < upper)


async def _count_beginning_with(digits: str, at_most: int) -> int:
    """How many numbers begin with `digits`, counting no further than `at_most` index entries.
    Standard SQL, the same on both engines."""
    rows = await Record.raw(
        "SELECT count(*) AS held FROM (SELECT 1 FROM record WHERE number >= {} AND number < {}"
        " LIMIT {}) AS beginning",
        *number_prefix_range(digits),
        at_most,
    )
    return rows[0]["held"]


def _hit(record: Record) -> RecordHit:
    return RecordHit(
        number=record.number,
        kind=record.kind,
        title=record.title,
        applicants=record.applicants,
        stage=record.stage,
        filing_date=record.filing_date,
    )


def number_hint() -> str:
    """For a query of fewer digits than a number's first digits can list."""
    return i18n.gettext(
        "An application number has 12 digits and a check character, e.g. 201710601862.3; a "
        "trademark number 7 or 8 digits, e.g. 17593425. Type at least %(digits)d digits to list "
        "the numbers that begin with them."
    ) % {"digits": NUMBER_PREFIX_MIN_DIGITS}


# The public page of a record in one statement: the record's row once per timeline event (or
# once, with no event). Standard SQL on both engines; the ORM's two queries cost three times as
# much as this one, a third of an uncached page (bench/).
PUBLIC_RECORD_SQL = """
SELECT record.number, record.kind, record.title, record.mark_image, record.nice_classes,
       record.filing_date, record.granted_on, record.applicants, record.agent, record.stage,
       record.official_status,
       status_event.occurred_on, status_event.stage AS event_stage,
       status_event.official_status AS event_status, status_event.note, status_event.document
FROM record LEFT JOIN status_event ON status_event.record = record.id
WHERE record.number = {}
ORDER BY status_event.occurred_on, status_event.id
"""


async def public_record(record: Record) -> PublicRecord:
    """What anyone may see of `record` (re-read with its timeline in one statement)."""
    return await public_record_by_number(record.number)


async def public_record_by_number(text: str) -> PublicRecord:
    """What anyone may see of a record, by its number in any typed form. Raises InvalidNumber
    (with the reason) or RecordNotFound (valid, but not held here)."""
    number = parse_number(text).canonical
    rows = await read_by_key(Record, PUBLIC_RECORD_SQL, number)
    if not rows:
        raise RecordNotFound(number)
    timeline = [
        TimelineEntry(
            occurred_on=row["occurred_on"],
            stage=row["event_stage"],
            stage_name=stage_view(row["event_stage"]).name,
            official_status=row["event_status"],
            note=row["note"],
            document=row["document"],
        )
        for row in rows
        if row["occurred_on"] is not None
    ]
    return _public_view(rows[0], timeline)


def _public_view(fields: dict[str, Any], timeline: list[TimelineEntry]) -> PublicRecord:
    stage = stage_view(fields["stage"])
    return PublicRecord(
        number=fields["number"],
        kind=fields["kind"],
        title=fields["title"],
        mark_image=fields["mark_image"],
        nice_classes=[c for c in fields["nice_classes"].split(",") if c],
        filing_date=fields["filing_date"],
        granted_on=fields["granted_on"],
        applicants=[a for a in fields["applicants"].split("; ") if a],
        agent=fields["agent"],
        stage=fields["stage"],
        stage_name=stage.name,
        stage_meaning=stage.meaning,
        next_step=stage.next_step,
        official_status=fields["official_status"],
        timeline=timeline,
    )


def next_deadline(record: Record, today: dt.date) -> DeadlineView | None:
    """The annual fee of a patent in force, or the renewal of a registered mark."""
    if record.kind == Record.Kind.trademark:
        if record.stage != "tm_registered" or record.granted_on is None:
            return None
        window = deadlines.trademark_renewal(record.granted_on, today)
        return DeadlineView(
            kind="renewal",
            due_date=window.expiry,
            days_left=window.days_until_expiry,
            state=window.state,
            grace_end=window.grace_end,
        )
    if record.stage not in {"in_force", "grant_formalities"} or record.granted_on is None:
        return None
    due = deadlines.annual_fee_due(
        record.kind,
        record.filing_date,
        record.granted_on,
        today,
        paid_through=record.fees_paid_year or None,
    )
    if due is None:
        return None
    return DeadlineView(
        kind="annual-fee",
        due_date=due.due_date,
        days_left=due.days_until_due,
        state=due.state,
        amount_yuan=due.amount_yuan,
        surcharge_yuan=due.surcharge_yuan,
        grace_end=due.grace_end,
        patent_year=due.patent_year,
    )


# A person's own records.


async def bind_record(
    account: Account, number_text: str, code: str, meta: RequestMeta, now: int
) -> Record:
    """Bind with the office-issued code. Wrong code, unknown number: the same refusal."""
    await check_limit(*BIND_ATTEMPTS, subject=str(account.id), now=now)
    record = await _record_to_bind(number_text)
    expected = record.binding_code_hash
    if not expected or not hmac.compare_digest(expected, binding_code_hash(record.number, code)):
        raise BindingRefused
    await _bind(account, record, RecordBinding.Status.bound)
    return record


async def request_binding_approval(account: Account, number_text: str) -> Record:
    """No code at hand: staff check the person's entitlement and approve."""
    record = await _record_to_bind(number_text)
    await _bind(account, record, RecordBinding.Status.pending)
    return record


async def _record_to_bind(number_text: str) -> Record:
    """Unknown numbers are refused like wrong codes, so a refusal says nothing about holdings."""
    try:
        return await record_by_number(number_text)
    except RecordNotFound as error:
        raise BindingRefused from error


async def _bind(account: Account, record: Record, status: str) -> None:
    existing = (
        await RecordBinding.objects()
        .where((RecordBinding.account == account.id) & (RecordBinding.record == record.id))
        .first()
    )
    if existing is None:
        await RecordBinding(account=account.id, record=record.id, status=status).save()
    elif existing.status != RecordBinding.Status.bound:
        await RecordBinding.update({RecordBinding.status: status}).where(
            RecordBinding.id == existing.id
        )


async def my_records(
    account: Account, today: dt.date, kind: str = "", needs_action: bool = False
) -> list[MyRecordRow]:
    """Bound records, the ones with the nearest deadline first."""
    query = Record.objects().where(
        Record.id.is_in(
            RecordBinding.select(RecordBinding.record).where(
                (RecordBinding.account == account.id)
                & (RecordBinding.status == RecordBinding.Status.bound)
            )
        )
    )
    if kind in {"patent", "trademark"}:
        query = query.where(
            (Record.kind == "trademark") if kind == "trademark" else (Record.kind != "trademark")
        )
    rows = [_row(record, today) for record in await query]
    if needs_action:
        rows = [row for row in rows if _needs_action(row)]
    far = dt.date.max
    return sorted(
        rows, key=lambda row: (row.deadline.due_date if row.deadline else far, row.number)
    )


def _needs_action(row: MyRecordRow) -> bool:
    deadline = row.deadline
    return row.needs_action or (
        deadline is not None
        and (deadline.state in {"grace", "lapsed", "open"} or 0 <= deadline.days_left <= 30)
    )


def _row(record: Record, today: dt.date) -> MyRecordRow:
    stage = stage_view(record.stage)
    return MyRecordRow(
        number=record.number,
        kind=record.kind,
        title=record.title,
        stage=record.stage,
        stage_name=stage.name,
        needs_action=stage.needs_action,
        deadline=next_deadline(record, today),
    )


async def my_record(account: Account, number_text: str) -> Record:
    """The record, if bound to this account; otherwise RecordNotFound (not 'forbidden')."""
    try:
        record = await record_by_number(number_text)
    except InvalidNumber as error:
        raise RecordNotFound from error
    bound = await RecordBinding.exists().where(
        (RecordBinding.account == account.id)
        & (RecordBinding.record == record.id)
        & (RecordBinding.status == RecordBinding.Status.bound)
    )
    if not bound:
        raise RecordNotFound(record.number)
    return record


async def bound_account_ids(record: Record) -> list[int]:
    rows = await RecordBinding.select(RecordBinding.account).where(
        (RecordBinding.record == record.id) & (RecordBinding.status == RecordBinding.Status.bound)
    )
    return [row["account"] for row in rows]


async def change_status(
    record: Record, stage: str, official_status: str, note: str, document: str, on: dt.date
) -> StatusEvent:
    """Staff move a record on: a timeline event and the record's current stage, together."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    async with write_transaction(Record._meta.db):
        event = StatusEvent(
            record=record.id,
            occurred_on=on,
            stage=stage,
            official_status=official_status[:60],
            note=note[:500],
            document=document[:200],
        )
        await event.save()
        await Record.update(
            {
                Record.stage: stage,
                Record.official_status: official_status[:60],
                Record.updated_at: dt.datetime.now(dt.UTC),
            }
        ).where(Record.id == record.id)
    return event


def invalid_number_message(error: InvalidNumber) -> str:
    _ = i18n.gettext
    messages = {
        "empty": _("Enter an application number, for example 2017 1 0601862.3."),
        "not-a-number": _("An application number has only digits, a dot and perhaps X or CN/ZL."),
        "wrong-length": _(
            "This number has the wrong length: patents have 8 or 12 digits and a check "
            "character, trademarks 7 or 8 digits."
        ),
        "unknown-year": _(
            "The year at the start of this number is not possible: old numbers start with "
            "85–99 or 00–03, current ones with 2003 or later."
        ),
        "unknown-type": _(
            "The digit after the year should be 1, 2, 3, 8 or 9 (the kind of patent)."
        ),
        "check-digit": _(
            "This number is not valid: with these digits the check character should be "
            "%(expected)s. Check the number on your notice."
        )
        % {"expected": error.expected_check},
    }
    return messages.get(error.reason_code, messages["not-a-number"])


def looks_like_a_number(text: str) -> bool:
    """Mostly digits, and enough of them to be meant as a number rather than words."""
    digits = sum(char.isdigit() for char in text)
    return digits >= 6 and digits >= len(text.replace(" ", "")) // 2


def number_problem(text: str) -> str:
    """Why `text`, typed as a number, finds no record: mistyped (how), or valid but not held."""
    try:
        number = parse_number(text).canonical
    except InvalidNumber as error:
        digits = typed_digits(text)
        if error.reason_code == "wrong-length" and digits is not None and len(digits) <= 12:
            # The first digits of a number (six or more: looks_like_a_number) that none has.
            return i18n.gettext("We hold no record whose number begins with %(digits)s.") % {
                "digits": digits
            }
        return invalid_number_message(error)
    return i18n.gettext(
        "%(number)s is a valid number, but we hold no record of it. Records appear here a few "
        "days after filing."
    ) % {"number": number}


async def pending_bindings(limit: int = 50) -> list[dict]:
    """Binding requests waiting for staff, oldest first, with who asked and for what."""
    return (
        await RecordBinding.select(
            RecordBinding.id,
            RecordBinding.created_at,
            RecordBinding.record.number.as_alias("number"),
            RecordBinding.record.title.as_alias("title"),
            RecordBinding.record.applicants.as_alias("applicants"),
            RecordBinding.account.display_name.as_alias("display_name"),
            RecordBinding.account.email.as_alias("email"),
        )
        .where(RecordBinding.status == RecordBinding.Status.pending)
        .order_by(RecordBinding.created_at)
        .limit(limit)
    )


async def decide_binding(binding_id: int, approve: bool) -> None:
    """Staff approve (the record joins the person's list) or refuse (the request goes)."""
    query = RecordBinding.status == RecordBinding.Status.pending
    if approve:
        await RecordBinding.update({RecordBinding.status: RecordBinding.Status.bound}).where(
            (RecordBinding.id == binding_id) & query
        )
    else:
        await RecordBinding.delete().where((RecordBinding.id == binding_id) & query)


async def bindings_of(account_id: int) -> list[dict]:
    """The records bound to an account and how (for the person's data export)."""
    return await (
        RecordBinding.select(
            RecordBinding.record.number.as_alias("number"),
            RecordBinding.status,
            RecordBinding.created_at,
        )
        .where(RecordBinding.account == account_id)
        .order_by(RecordBinding.id)
        .output(load_json=False)
    )
