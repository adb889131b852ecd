"""The administrator's days: `litestar iph import working-days` (refused whole with line numbers,
again without change), and the calendar loaded from them making a year exact."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.working_days import service as working_days_service
from backend.working_days.importer import RowProblem, import_file
from backend.working_days.service import (
    CALENDAR_KEPT_SECONDS,
    Due,
    add_working_days,
    forget_calendar,
    load_calendar,
    year_is_known,
)
from backend.working_days.tables import AnnouncedDay

pytestmark = pytest.mark.profiles
HEADER = "date,kind,name,source"
SOURCE = "测试用：并非国务院办公厅的真实通知"  # the tests' own 2027, made up
TEST_2027 = [
    f"2027-01-01,holiday,元旦,{SOURCE}",
    f"2027-01-02,休,元旦,{SOURCE}",
    f"2027-01-03,holiday,元旦,{SOURCE}",
    f"2027-01-09,working_day,元旦调休,{SOURCE}",
]


@pytest.fixture(autouse=True)
async def no_announced_days(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Each test starts and ends with no administrator's day: other clocks count the package."""
    await AnnouncedDay.delete(force=True)
    forget_calendar()
    yield
    await AnnouncedDay.delete(force=True)
    forget_calendar()


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


async def snapshot() -> list[dict]:
    return await AnnouncedDay.select().order_by(AnnouncedDay.day)


async def test_an_imported_2027_makes_the_clock_exact_and_skips_its_holidays(
    tmp_path: Path,
) -> None:
    result = await import_file(write_csv(tmp_path / "2027.csv", TEST_2027))
    assert (result.created, result.updated, result.unchanged, result.problems) == (4, 0, 0, [])
    calendar = await load_calendar()
    assert calendar.holidays == {dt.date(2027, 1, 1), dt.date(2027, 1, 2), dt.date(2027, 1, 3)}
    assert calendar.working_days == {dt.date(2027, 1, 9)}
    assert year_is_known(2027, calendar)
    assert add_working_days(dt.date(2026, 12, 30), 5, calendar) == Due(dt.date(2027, 1, 7))
    saved = await AnnouncedDay.objects().where(AnnouncedDay.day == dt.date(2027, 1, 2)).first()
    assert (saved.kind, saved.name, saved.source) == ("holiday", "元旦", SOURCE)


async def test_importing_the_same_file_again_changes_nothing(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "2027.csv", TEST_2027)
    await import_file(file)
    before = await snapshot()
    again = await import_file(file)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert await snapshot() == before


async def test_a_changed_day_is_updated_in_place(tmp_path: Path) -> None:
    await import_file(write_csv(tmp_path / "2027.csv", TEST_2027))
    moved = [*TEST_2027[:3], f"2027-01-09,holiday,元旦,{SOURCE}"]
    result = await import_file(write_csv(tmp_path / "moved.csv", moved))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert await AnnouncedDay.count() == 4
    assert dt.date(2027, 1, 9) in (await load_calendar()).holidays


async def test_a_file_with_bad_rows_is_refused_whole_with_its_line_numbers(
    tmp_path: Path,
) -> None:
    await import_file(write_csv(tmp_path / "2027.csv", TEST_2027))
    before = await snapshot()
    rows = [
        f"2027-02-06,holiday,春节,{SOURCE}",  # line 2: good, and still not written
        f"2027-02-30,holiday,春节,{SOURCE}",
        f"2027/02/07,holiday,春节,{SOURCE}",
        f"2027-02-08,rest,春节,{SOURCE}",
        "2027-02-09,holiday,春节,",
        f"2027-02-06,working_day,春节调休,{SOURCE}",
        f"2027-01-01,working_day,元旦,{SOURCE}",  # line 8: would change a held day
    ]
    result = await import_file(write_csv(tmp_path / "bad.csv", rows))
    assert result.problems == [
        RowProblem(3, "date '2027-02-30' is not a day of the calendar"),
        RowProblem(4, "date '2027/02/07' is not written YYYY-MM-DD"),
        RowProblem(5, "kind 'rest' is neither holiday (休) nor working_day (班)"),
        RowProblem(6, "source is required: the notice's title and number, or a URL"),
        RowProblem(7, "2027-02-06 repeats line 2"),
    ]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert await snapshot() == before


async def test_a_file_without_the_required_columns_is_refused_at_its_header(
    tmp_path: Path,
) -> None:
    file = write_csv(tmp_path / "no-kind.csv", ["2027-01-01,元旦"], header="date,name")
    result = await import_file(file)
    assert result.problems == [RowProblem(1, "missing column(s): kind, source")]
    assert await AnnouncedDay.count() == 0


def run_import(file: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "litestar", "--app", "backend.app:app", "iph", "import"]
    return subprocess.run(
        [*command, "working-days", str(file)],
        env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf"},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_command_imports_a_file_and_refuses_a_bad_one_saying_where(
    tmp_path: Path,
) -> None:
    good = run_import(write_csv(tmp_path / "2027.csv", TEST_2027))
    assert good.returncode == 0, good.stderr
    assert "created 4, updated 0, unchanged 0" in good.stdout
    bad = write_csv(tmp_path / "bad.csv", [f"2027-13-01,holiday,,{SOURCE}"])
    refused = run_import(bad)
    assert refused.returncode == 1
    assert f"{bad}:2: date '2027-13-01' is not a day of the calendar" in refused.stderr
    assert "1 problem(s): nothing was imported" in refused.stderr
    assert await AnnouncedDay.count() == 4


async def test_days_written_elsewhere_are_read_again_once_the_kept_calendar_is_a_minute_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process keeps the calendar a minute (working_days.service.CALENDAR_KEPT_SECONDS); an
    import by another process (here: a row written behind the service's back) waits that long."""
    assert dt.date(2027, 1, 1) not in (await load_calendar()).holidays
    await AnnouncedDay(day=dt.date(2027, 1, 1), kind="holiday", name="元旦", source=SOURCE).save()
    assert dt.date(2027, 1, 1) not in (await load_calendar()).holidays  # still the kept one
    later = time.monotonic() + CALENDAR_KEPT_SECONDS + 1
    monkeypatch.setattr(working_days_service, "_clock", lambda: later)
    assert dt.date(2027, 1, 1) in (await load_calendar()).holidays
