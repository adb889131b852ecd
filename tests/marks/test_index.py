"""The index follows the records: an import makes a new mark findable, a changed image replaces
the old entry, and a rebuild from scratch answers as the incremental index did."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
from pathlib import Path

import pytest
from litestar import Litestar

from backend.inquiries.importer import import_file
from backend.inquiries.tables import Record
from backend.marks.demo import demo_mark
from backend.marks.jobs import index_after_import
from backend.marks.schemas import MarkFilters
from backend.marks.service import (
    forget_record_mark,
    index_record_marks,
    rebuild_index,
    search_marks,
)
from backend.marks.tables import MarkEntry
from backend.settings import Settings
from tests.marks.photos import photo

pytestmark = pytest.mark.profiles

# Demo marks the session's index does not hold (tests/marks/conftest.py indexes the first few
# hundred): drawn here as new marks to import.
NEW_MARK = 9_001
OTHER_MARK = 9_002


def _import_file(folder: Path, number: str, image_index: int, kind: str = "figurative") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    image = folder / f"mark-{image_index}.png"
    image.write_bytes(demo_mark(image_index).png())
    row = {
        "number": number,
        "kind": "trademark",
        "title": f"测试图形 {number}",
        "filing_date": "2025-03-01",
        "applicants": "测试商标权人",
        "stage": "tm_filed",
        "official_status": "申请收文",
        "nice_classes": "9,35",
        "mark_image": image.name,
        "mark_kind": kind,
        "vienna_codes": "26.01.01",
    }
    path = folder / "records.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


async def _imported(app: Litestar, settings: Settings, path: Path) -> int:
    """Imports `path` as `iph import records` does; returns the record's id once indexed."""
    result = await import_file(path, marks_dir=settings.var_path / "marks")
    assert not result.problems and result.trademark_ids
    await index_after_import(result.trademark_ids, app.state.jobs)
    (record_id,) = result.trademark_ids
    record = await Record.objects().where(Record.id == record_id).first()
    async with asyncio.timeout(60):  # the scale profile's worker takes the queued job
        while not await MarkEntry.exists().where(
            (MarkEntry.record == record_id) & (MarkEntry.image == record.mark_image)
        ):
            await asyncio.sleep(0.1)
    return record_id


async def _rank_of(image_index: int, record_id: int) -> int | None:
    query = photo(demo_mark(image_index).image, ("perspective", "blur"), random.Random(3))
    found = await search_marks(query, MarkFilters(), limit=10)
    ids = [match.record_id for match in found.matches]
    return ids.index(record_id) + 1 if record_id in ids else None


async def test_an_imported_mark_is_findable_and_a_changed_one_replaced(
    demo_marks: int, app: Litestar, settings: Settings, tmp_path: Path
) -> None:
    assert await _rank_of(NEW_MARK, -1) is None
    record_id = await _imported(app, settings, _import_file(tmp_path / "a", "3000001", NEW_MARK))
    assert await _rank_of(NEW_MARK, record_id) == 1

    await _imported(app, settings, _import_file(tmp_path / "b", "3000001", OTHER_MARK))
    entries = await MarkEntry.objects().where(MarkEntry.record == record_id)
    record = await Record.objects().where(Record.id == record_id).first()
    assert [entry.image for entry in entries] == [record.mark_image]
    assert await _rank_of(OTHER_MARK, record_id) is not None
    assert await _rank_of(NEW_MARK, record_id) != 1  # the old image no longer leads to it

    await forget_record_mark(record_id)
    assert not await MarkEntry.exists().where(MarkEntry.record == record_id)
    assert await _rank_of(OTHER_MARK, record_id) is None
    await Record.delete().where(Record.id == record_id)


async def _rebuilt_by_the_command() -> int:
    """`litestar iph marks-rebuild` on the tests' database; returns the entries it reports."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "litestar", "--app", "backend.app:app", "iph", "marks-rebuild",
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "COLUMNS": "100"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(300):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    reported = re.search(r"image search: (\d+) marks indexed", out.decode())
    assert reported, out.decode()
    return int(reported.group(1))


async def test_the_rebuild_command_from_scratch_answers_as_the_incremental_index(
    demo_marks: int,
) -> None:
    await _index_what_was_written_behind_the_index()
    rng = random.Random("rebuild")
    queries = [
        photo(demo_mark(index).image, (name,), rng)
        for index, name in ((4, "clutter"), (7, "crop"), (12, "light"), (20, "jpeg"))
    ]
    before = [await search_marks(query, MarkFilters(), limit=20) for query in queries]
    rows_before = await MarkEntry.select(MarkEntry.record, MarkEntry.descriptor, MarkEntry.words)
    entries = await _rebuilt_by_the_command()
    after = [await search_marks(query, MarkFilters(), limit=20) for query in queries]
    rows_after = await MarkEntry.select(MarkEntry.record, MarkEntry.descriptor, MarkEntry.words)
    assert entries == len(rows_before) >= demo_marks
    key = lambda row: row["record"]  # noqa: E731
    assert sorted(rows_after, key=key) == sorted(rows_before, key=key)
    assert after == before
    assert all(search.matches for search in after)


async def _index_what_was_written_behind_the_index() -> None:
    """Other test files of this process may have written trademarks straight into the shared
    database (the inquiries demo's word marks): index those the incremental way too, so that the
    comparison with the rebuild covers every record whatever ran before."""
    indexed = set(await MarkEntry.select(MarkEntry.record).output(as_list=True))
    marks = Record.select(Record.id).where(
        (Record.kind == Record.Kind.trademark)
        & ((Record.mark_image != "") | (Record.mark_words != ""))
    )
    behind = [
        record_id for record_id in await marks.output(as_list=True) if record_id not in indexed
    ]
    await index_record_marks(behind)


async def test_a_rebuild_empties_what_no_record_holds_any_longer(demo_marks: int) -> None:
    stray = await Record.objects().where(Record.kind == Record.Kind.trademark).first()
    await MarkEntry.delete().where(MarkEntry.record == stray.id)
    assert await rebuild_index() == await MarkEntry.count()
    assert await MarkEntry.exists().where(MarkEntry.record == stray.id) == bool(
        stray.mark_image or stray.mark_words
    )


async def test_the_import_refuses_an_unknown_mark_kind_or_vienna_code(
    settings: Settings, tmp_path: Path
) -> None:
    path = _import_file(tmp_path, "3000002", NEW_MARK, kind="logo")
    result = await import_file(path, marks_dir=settings.var_path / "marks")
    assert [problem.message for problem in result.problems] == [
        "mark_kind 'logo': use word, figurative or combined"
    ]
    text = path.read_text(encoding="utf-8").replace('"logo"', '"word"')
    path.write_text(text.replace("26.01.01", "26-01"), encoding="utf-8")
    result = await import_file(path, marks_dir=settings.var_path / "marks")
    assert "vienna_codes '26-01'" in result.problems[0].message
