"""The records' group in the site-wide search, and its answer to a query that is a number.

A full application or registration number, typed in any form the parser forgives, is an
address: its record's page. Digits that are the first of held numbers (6 or more) list those
records, highest number first, as /records does; a valid trademark-length number we do not
hold is such a start too when other numbers begin with it. Otherwise a query that is a number
gets its own answer above the groups: why it is mistyped, that it is valid but not held, or (for
fewer than six digits) how numbers look.
"""

from __future__ import annotations

from urllib.parse import urlencode

from backend.core import i18n
from backend.core.site_search import (
    SearchAnswer,
    SearchGroup,
    SearchHit,
    SearchSource,
    relevance_of,
)
from backend.inquiries import service
from backend.inquiries.numbers import InvalidNumber, typed_digits
from backend.inquiries.routes import record_page_path
from backend.inquiries.schemas import RecordHit
from backend.inquiries.tables import Record

TEXT_COUNTED_UP_TO = 50  # counting further would read more of the index than the page shows


async def _numbers_begin_with(query: str) -> bool:
    found = await service.records_by_number_prefix(query, per_page=1)
    return bool(found and found.records)


async def answer_number(query: str) -> SearchAnswer | None:
    digits = typed_digits(query)
    if digits is not None and len(digits) < service.NUMBER_PREFIX_MIN_DIGITS:
        return SearchAnswer(message=service.number_hint())
    if not service.looks_like_a_number(query):
        return None
    try:
        record = await service.record_by_number(query)
    except InvalidNumber as error:
        if error.reason_code == "wrong-length" and await _numbers_begin_with(query):
            return None
        return SearchAnswer(message=service.invalid_number_message(error))
    except service.RecordNotFound:
        if await _numbers_begin_with(query):
            return None
        return SearchAnswer(message=service.number_problem(query))
    return SearchAnswer(href=record_page_path(record.number))


def _hit(query: str, record: Record | RecordHit) -> SearchHit:
    return SearchHit(
        title=record.title,
        href=record_page_path(record.number),
        detail=f"{record.number} · {record.applicants}",
        relevance=relevance_of(query, record.title),
    )


def _group(query: str, hits: list[SearchHit], count: int, more: bool) -> SearchGroup:
    return SearchGroup(
        key="records",
        heading=i18n.gettext("Patents and trademarks"),
        count=count,
        count_is_lower_bound=more,
        hits=hits,
        all_results_href=f"/records?{urlencode({'q': query})}",
    )


async def find_records(query: str, limit: int) -> SearchGroup | None:
    by_number = await service.records_by_number_prefix(query, per_page=limit)
    if by_number is not None and by_number.records:
        hits = [_hit(query, record) for record in by_number.records]
        return _group(query, hits, by_number.total, by_number.total_is_lower_bound)
    found = await service.search(query, limit=TEXT_COUNTED_UP_TO + 1)
    if not found:
        return None
    hits = [_hit(query, record) for record in found[:limit]]
    count = min(len(found), TEXT_COUNTED_UP_TO)
    return _group(query, hits, count, len(found) > TEXT_COUNTED_UP_TO)


RECORDS = SearchSource(key="records", find=find_records, answer=answer_number)
