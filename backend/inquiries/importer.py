"""Bulk import of records (CSV or JSON Lines), used by `litestar iph import records FILE`.

Every row is checked before anything is written: a file with a malformed row is refused whole,
with each problem reported by line. Valid files are written in batches, each batch in one
transaction, and rows are upserted by number, so importing the same file again changes nothing.
The format is documented in docs/import-records.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from backend.core.database import write_transaction
from backend.inquiries import search
from backend.inquiries.marks import keep_mark_image, mark_image_problem
from backend.inquiries.numbers import InvalidNumber, parse_number
from backend.inquiries.service import binding_code_hash
from backend.inquiries.stages import stage_order
from backend.inquiries.tables import Record, StatusEvent

BATCH_SIZE = 500
MARK_KINDS = ("", "word", "figurative", "combined")
VIENNA_CODE = re.compile(r"\d{2}(\.\d{2}){0,2}")


class EventRow(msgspec.Struct, frozen=True):
    date: dt.date
    stage: str
    official_status: str
    note: str = ""
    document: str = ""


class RecordRow(msgspec.Struct, frozen=True):
    number: str
    kind: Record.Kind
    title: str
    filing_date: dt.date
    applicants: str
    stage: str
    official_status: str
    agent: str = ""
    granted_on: dt.date | None = None
    fees_paid_year: int = 0
    nice_classes: str = ""
    mark_image: str = ""
    mark_kind: str = ""  # word, figurative or combined
    vienna_codes: str = ""
    mark_words: str = ""
    binding_code: str = ""
    events: list[EventRow] = []


class RowProblem(msgspec.Struct, frozen=True):
    line: int
    message: str


class ImportResult(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = []
    updated_numbers: list[str] = []  # whose public pages must be forgotten
    trademark_ids: list[int] = []  # trademarks created or changed: their marks to index


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as source:
            for line, row in enumerate(csv.DictReader(source), start=2):
                cleaned = {key: value for key, value in row.items() if value not in ("", None)}
                if "events" in cleaned:
                    cleaned["events"] = json.loads(cleaned["events"])
                yield line, cleaned
        return
    with path.open(encoding="utf-8") as source:
        for line, text in enumerate(source, start=1):
            if text.strip():
                yield line, json.loads(text)


def _checked(raw: dict[str, Any]) -> RecordRow:
    row = msgspec.convert(raw, RecordRow, strict=False)
    parsed = parse_number(row.number)
    if (parsed.kind == "trademark") != (row.kind == Record.Kind.trademark):
        raise ValueError(f"number {parsed.canonical} is not a {row.kind} number")
    allowed = stage_order(row.kind)
    for stage in (row.stage, *(event.stage for event in row.events)):
        if stage not in allowed:
            raise ValueError(f"stage {stage!r} is not a {row.kind} stage")
    if not row.title.strip() or not row.applicants.strip():
        raise ValueError("title and applicants are required")
    if row.mark_kind not in MARK_KINDS:
        raise ValueError(f"mark_kind {row.mark_kind!r}: use word, figurative or combined")
    if row.vienna_codes and not all(
        VIENNA_CODE.fullmatch(code.strip()) for code in row.vienna_codes.split(",")
    ):
        raise ValueError(
            f"vienna_codes {row.vienna_codes!r}: use codes like 03.01.01, comma-separated"
        )
    return msgspec.structs.replace(row, number=parsed.canonical)


def read_rows(path: Path) -> tuple[list[RecordRow], list[RowProblem]]:
    rows: list[RecordRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    try:
        for line, raw in _raw_rows(path):
            try:
                row = _checked(raw)
            except (msgspec.ValidationError, InvalidNumber, ValueError, TypeError) as error:
                problems.append(RowProblem(line, _describe(error)))
                continue
            if row.number in seen:
                problems.append(RowProblem(line, f"{row.number} repeats line {seen[row.number]}"))
                continue
            if row.mark_image and (problem := mark_image_problem(path.parent / row.mark_image)):
                problems.append(RowProblem(line, problem))
                continue
            seen[row.number] = line
            rows.append(row)
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as error:
        problems.append(RowProblem(0, f"unreadable file: {error}"))
    return rows, problems


def _describe(error: Exception) -> str:
    if isinstance(error, InvalidNumber):
        return f"invalid number ({error.reason_code})"
    return str(error)


def _record_values(row: RecordRow) -> dict[str, Any]:
    return {
        "kind": str(row.kind),
        "title": row.title.strip()[:300],
        "filing_date": row.filing_date,
        "granted_on": row.granted_on,
        "fees_paid_year": row.fees_paid_year,
        "applicants": row.applicants.strip()[:500],
        "agent": row.agent[:200],
        "stage": row.stage,
        "official_status": row.official_status[:60],
        "nice_classes": row.nice_classes[:100],
        "mark_image": row.mark_image[:300],
        "mark_kind": row.mark_kind,
        "vienna_codes": ",".join(
            code.strip() for code in row.vienna_codes.split(",") if code.strip()
        )[:200],
        "mark_words": row.mark_words.strip()[:300],
        "binding_code_hash": binding_code_hash(row.number, row.binding_code)
        if row.binding_code
        else "",
    }


def _event_tuples(events: Iterable[Any]) -> list[tuple]:
    return [
        (
            getattr(e, "date", None) or getattr(e, "occurred_on", None),
            e.stage,
            e.official_status,
            e.note,
            e.document,
        )
        for e in events
    ]


async def _upsert(row: RecordRow, term_counts: Counter[str]) -> tuple[str, int]:
    values = _record_values(row)
    existing = await Record.objects().where(Record.number == row.number).first()
    if existing is None:
        record = Record(number=row.number, **values)
        await record.save()
        await _replace_events(record.id, row.events)
        await search.index_record(record.id, values, term_counts)
        return "created", record.id
    same_fields = all(getattr(existing, key) == value for key, value in values.items())
    old_events = (
        await StatusEvent.objects()
        .where(StatusEvent.record == existing.id)
        .order_by(StatusEvent.id)
    )
    if same_fields and _event_tuples(old_events) == _event_tuples(row.events):
        return "unchanged", existing.id
    await Record.update({**values, "updated_at": dt.datetime.now(dt.UTC)}).where(
        Record.id == existing.id
    )
    await _replace_events(existing.id, row.events)
    if search.needs_reindex(existing, values):
        await search.index_record(existing.id, values, term_counts, old=existing)
    return "updated", existing.id


async def _replace_events(record_id: int, events: list[EventRow]) -> None:
    await StatusEvent.delete().where(StatusEvent.record == record_id)
    if events:
        await StatusEvent.insert(
            *(
                StatusEvent(
                    record=record_id,
                    occurred_on=event.date,
                    stage=event.stage,
                    official_status=event.official_status[:60],
                    note=event.note[:500],
                    document=event.document[:200],
                )
                for event in events
            )
        )


async def write_rows(
    rows: list[RecordRow], progress: Callable[[int], None] = lambda _: None
) -> ImportResult:
    """Upsert in batches; each batch (its search terms included) commits whole or not at all."""
    result = ImportResult()
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        term_counts: Counter[str] = Counter()
        async with write_transaction(Record._meta.db):
            done = [await _upsert(row, term_counts) for row in batch]
            await search.write_term_counts(term_counts)
        outcomes = [outcome for outcome, _ in done]
        result.trademark_ids += [
            record_id
            for row, (outcome, record_id) in zip(batch, done, strict=True)
            if outcome != "unchanged" and row.kind == Record.Kind.trademark
        ]
        result.created += outcomes.count("created")
        result.updated += outcomes.count("updated")
        result.updated_numbers += [
            row.number for row, outcome in zip(batch, outcomes, strict=True) if outcome == "updated"
        ]
        result.unchanged += outcomes.count("unchanged")
        progress(len(batch))
    return result


async def import_file(
    path: Path, progress: Callable[[int], None] = lambda _: None, marks_dir: Path | None = None
) -> ImportResult:
    """`marks_dir`: where mark images go (var/marks); without it, rows with one are refused."""
    rows, problems = read_rows(path)
    if marks_dir is None and any(row.mark_image for row in rows):
        problems.append(RowProblem(0, "mark images given but nowhere to keep them"))
    if problems:
        return ImportResult(problems=problems)
    rows = [_with_kept_image(row, path.parent, marks_dir) for row in rows]
    return await write_rows(rows, progress)


def _with_kept_image(row: RecordRow, base: Path, marks_dir: Path | None) -> RecordRow:
    if not row.mark_image:
        return row
    source = base / row.mark_image
    address = keep_mark_image(source.read_bytes(), source.suffix, marks_dir)
    return msgspec.structs.replace(row, mark_image=address)
