"""The records' group in the site-wide search, and its claim on a query that is a number.

A full application or registration number, typed in any form the parser forgives, is an
address: its record's page, or the number's own answer (mistyped: why; valid: that we hold no
record of it). A number too short to be whole is left to the group, which lists the records
whose number begins with it; so is a valid trademark-length number we do not hold, when other
numbers begin with it.
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
from backend.inquiries.numbers import InvalidNumber
from backend.inquiries.routes import record_page_path
from backend.inquiries.tables import Record

COUNTED_UP_TO = 50  # more would read more of the index than the page shows


def _hit(query: str, record: Record) -> SearchHit:
    return SearchHit(
        title=record.title,
        href=record_page_path(record.number),
        detail=f"{record.number} · {record.applicants}",
        relevance=relevance_of(query, record.title),
    )


async def answer_number(query: str) -> SearchAnswer | None:
    if not service.looks_like_a_number(query):
        return None
    try:
        record = await service.record_by_number(query)
    except InvalidNumber as error:
        if error.reason_code == "wrong-length":
            return None  # perhaps the first digits of a number: the group lists them
        return SearchAnswer(message=service.invalid_number_message(error))
    except service.RecordNotFound:
        if await service.search(query, limit=1):
            return None
        return SearchAnswer(message=service.number_problem(query))
    return SearchAnswer(href=record_page_path(record.number))


async def find_records(query: str, limit: int) -> SearchGroup | None:
    found = await service.search(query, limit=COUNTED_UP_TO + 1)
    if not found:
        return None
    return SearchGroup(
        key="records",
        heading=i18n.gettext("Patents and trademarks"),
        count=min(len(found), COUNTED_UP_TO),
        count_is_lower_bound=len(found) > COUNTED_UP_TO,
        hits=[_hit(query, record) for record in found[:limit]],
        all_results_href=f"/records?{urlencode({'q': query})}",
    )


RECORDS = SearchSource(key="records", find=find_records, answer=answer_number)
