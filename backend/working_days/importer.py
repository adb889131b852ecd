"""Import of an administrator's days (CSV `date,kind,name,source`), used by
`litestar iph import working-days FILE`.

Every row is checked before anything is written: a file with a bad row is refused whole, each
problem reported by line. Rows are upserted by date in one transaction, so importing the same
file again changes nothing. The format is in docs/import-working-days.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import msgspec

from backend.core.database import write_transaction
from backend.core.imports import ImportResult, RowProblem
from backend.working_days.service import forget_calendar
from backend.working_days.tables import AnnouncedDay

REQUIRED_COLUMNS = ("date", "kind", "source")
# `kind` may be our code or the word of the State Council's notices (any letter case).
KIND_WORDS = {
    "holiday": AnnouncedDay.Kind.holiday,
    "休": AnnouncedDay.Kind.holiday,
    "working_day": AnnouncedDay.Kind.working_day,
    "班": AnnouncedDay.Kind.working_day,
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AnnouncedDayRow(msgspec.Struct, frozen=True):
    day: dt.date
    kind: AnnouncedDay.Kind
    name: str
    source: str


def announced_day_row(raw: dict[str, str | None]) -> AnnouncedDayRow:
    """A checked row; raises ValueError saying what is wrong with it."""
    text = (raw.get("date") or "").strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"date {text!r} is not written YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {text!r} is not a day of the calendar") from None
    word = (raw.get("kind") or "").strip()
    kind = KIND_WORDS.get(word.casefold())
    if kind is None:
        raise ValueError(f"kind {word!r} is neither holiday (休) nor working_day (班)")
    name, source = (raw.get("name") or "").strip(), (raw.get("source") or "").strip()
    if len(name) > 100:
        raise ValueError("name is longer than 100 characters")
    if not source:
        raise ValueError("source is required: the notice's title and number, or a URL")
    return AnnouncedDayRow(day, kind, name, source)


def read_rows(path: Path) -> tuple[list[AnnouncedDayRow], list[RowProblem]]:
    """Every row checked, and the problems by line (the header is line 1); nothing is written."""
    rows: list[AnnouncedDayRow] = []
    problems: list[RowProblem] = []
    seen: dict[dt.date, int] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            columns = {name.strip() for name in reader.fieldnames or ()}
            if missing := [name for name in REQUIRED_COLUMNS if name not in columns]:
                return [], [RowProblem(1, f"missing column(s): {', '.join(missing)}")]
            for line, raw in enumerate(reader, start=2):
                cleaned = {key.strip(): value for key, value in raw.items() if key is not None}
                try:
                    row = announced_day_row(cleaned)
                except ValueError as error:
                    problems.append(RowProblem(line, str(error)))
                    continue
                if row.day in seen:
                    problems.append(RowProblem(line, f"{row.day} repeats line {seen[row.day]}"))
                    continue
                seen[row.day] = line
                rows.append(row)
    except (UnicodeDecodeError, csv.Error) as error:
        problems.append(RowProblem(0, f"unreadable file: {error}"))
    return rows, problems


async def _upsert(row: AnnouncedDayRow) -> str:
    values = {"kind": str(row.kind), "name": row.name, "source": row.source}
    existing = await AnnouncedDay.objects().where(AnnouncedDay.day == row.day).first()
    if existing is None:
        await AnnouncedDay(day=row.day, **values).save()
        return "created"
    if all(getattr(existing, key) == value for key, value in values.items()):
        return "unchanged"
    await AnnouncedDay.update({**values, "updated_at": dt.datetime.now(dt.UTC)}).where(
        AnnouncedDay.id == existing.id
    )
    return "updated"


async def write_rows(
    rows: list[AnnouncedDayRow], progress: Callable[[int], None] = lambda _: None
) -> ImportResult:
    """All in one transaction: a year's announcement is a few dozen days."""
    async with write_transaction(AnnouncedDay._meta.db):
        outcomes = [await _upsert(row) for row in rows]
    forget_calendar()
    progress(len(rows))
    return ImportResult(
        created=outcomes.count("created"),
        updated=outcomes.count("updated"),
        unchanged=outcomes.count("unchanged"),
    )


async def import_file(path: Path, progress: Callable[[int], None] = lambda _: None) -> ImportResult:
    rows, problems = read_rows(path)
    if problems:
        return ImportResult(problems=problems)
    return await write_rows(rows, progress)
