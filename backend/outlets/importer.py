"""Bulk import of outlets (CSV or JSON Lines), used by `litestar iph import outlets FILE`.

Every row is checked before anything is written: a file with a bad row is refused whole, each
problem reported by line. Rows are upserted by name, so importing the same file again changes
nothing. The format (and the shared outlets.csv's column names it also takes) is in
docs/import-outlets.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from backend.core.database import write_transaction
from backend.core.imports import ImportResult, RowProblem
from backend.outlets.places import UnknownPlace, place_of
from backend.outlets.tables import Outlet

BATCH_SIZE = 500
# The project's own seed: every outlet of ../shared/data/outlets.csv and more, each with its source.
SEED_FILE = Path(__file__).parent / "seed" / "outlets.jsonl"
# Column names of ../shared/data/outlets.csv (and other lists like it) → ours.
ALIASES = {"name_zh": "name", "outlet_type": "type", "city": "prefecture"}
# `type` may be our code or one of these words (any letter case).
TYPE_WORDS = {
    "tisc": Outlet.Type.tisc,
    "university ip information service centre": Outlet.Type.university_centre,
    "university ip information service center": Outlet.Type.university_centre,
    "patent document service outlet": Outlet.Type.patent_document_outlet,
    "patent information dissemination base": Outlet.Type.patent_info_base,
    "ip information public service outlet": Outlet.Type.info_service_outlet,
    "ip protection centre": Outlet.Type.protection_centre,
    "rapid rights-protection centre": Outlet.Type.rapid_protection_centre,
}
# A type of "other" (or none) is read from the name: the programme's own words, first match.
TYPE_BY_NAME = (
    ("技术与创新支持中心", Outlet.Type.tisc),
    ("高校国家知识产权信息服务中心", Outlet.Type.university_centre),
    ("专利文献服务网点", Outlet.Type.patent_document_outlet),
    ("专利信息传播利用基地", Outlet.Type.patent_info_base),
    ("知识产权信息公共服务网点", Outlet.Type.info_service_outlet),
    ("快速维权中心", Outlet.Type.rapid_protection_centre),
    ("知识产权保护中心", Outlet.Type.protection_centre),
    ("商标受理窗口", Outlet.Type.trademark_window),
    ("受理窗口", Outlet.Type.acceptance_window),
)
_LIST_SEPARATOR = re.compile(r"\s*[;；]\s*")


class OutletRow(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    name: str
    source: str
    type: str = ""
    province: str = ""
    prefecture: str = ""
    county: str = ""
    address: str | None = None
    phone: str | None = None
    opening_hours: str | None = None
    services: list[str] | None = None
    latitude: float | None = None
    longitude: float | None = None
    host_institution: str = ""
    note: str = ""


def _cleaned(row: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for key, value in row.items():
        if key is None or value in ("", None):
            continue
        cleaned[ALIASES.get(key.strip(), key.strip())] = (
            value.strip() if isinstance(value, str) else value
        )
    return cleaned


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as source:
            for line, row in enumerate(csv.DictReader(source), start=2):
                cleaned = _cleaned(row)
                if isinstance(cleaned.get("services"), str):
                    cleaned["services"] = _LIST_SEPARATOR.split(cleaned["services"])
                yield line, cleaned
        return
    with path.open(encoding="utf-8") as source:
        for line, text in enumerate(source, start=1):
            if text.strip():
                raw = json.loads(text)
                if not isinstance(raw, dict):
                    raise ValueError(f"line {line} is not a JSON object")
                yield line, _cleaned(raw)


def outlet_type(word: str, name: str) -> Outlet.Type:
    folded = word.strip().casefold()
    if folded in Outlet.Type.__members__:
        return Outlet.Type(folded)
    if folded in TYPE_WORDS:
        return TYPE_WORDS[folded]
    if folded in {"", "other"}:
        for words, kind in TYPE_BY_NAME:
            if words in name:
                return kind
    raise ValueError(
        f"unknown outlet type {word!r}"
        + (" and none in its name" if folded in {"", "other"} else "")
    )


def outlet_values(row: OutletRow) -> dict[str, Any]:
    """The columns of a checked row; raises ValueError (or UnknownPlace) on a bad one."""
    name, source = row.name.strip(), row.source.strip()
    if not name or not source:
        raise ValueError("name and source are required")
    if len(name) > 200:
        raise ValueError("name is longer than 200 characters")
    if (row.latitude is None) != (row.longitude is None):
        raise ValueError("latitude and longitude go together")
    if row.latitude is not None and not (
        -90 <= row.latitude <= 90 and -180 <= row.longitude <= 180
    ):
        raise ValueError("latitude or longitude out of range")
    place = place_of(row.province, row.prefecture, row.county)
    exact = row.latitude is not None
    return {
        "type": str(outlet_type(row.type, name)),
        "address": row.address,
        "province_code": place.province_code,
        "prefecture_code": place.prefecture_code,
        "county_code": place.county_code,
        "province_name": (place.province_name or row.province)[:40],
        "prefecture_name": (place.prefecture_name or row.prefecture)[:40],
        "phone": row.phone,
        "opening_hours": row.opening_hours,
        "services": json.dumps(row.services, ensure_ascii=False) if row.services else None,
        "latitude": row.latitude if exact else place.latitude,
        "longitude": row.longitude if exact else place.longitude,
        "coordinates_exact": exact,
        "host_institution": row.host_institution[:200],
        "source": source,
        "note": row.note,
    }


def read_rows(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[RowProblem]]:
    """(name, column values) of every row, and the problems; nothing is written."""
    rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    try:
        for line, raw in _raw_rows(path):
            try:
                row = msgspec.convert(raw, OutletRow, strict=False)
                values = outlet_values(row)
            except (msgspec.ValidationError, UnknownPlace, ValueError, TypeError) as error:
                problems.append(RowProblem(line, str(error)))
                continue
            name = row.name.strip()
            if name in seen:
                problems.append(RowProblem(line, f"{name} repeats line {seen[name]}"))
                continue
            seen[name] = line
            rows.append((name, values))
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error, ValueError) as error:
        problems.append(RowProblem(0, f"unreadable file: {error}"))
    return rows, problems


async def _upsert(name: str, values: dict[str, Any]) -> str:
    existing = await Outlet.objects().where(Outlet.name == name).first()
    if existing is None:
        await Outlet(name=name, **values).save()
        return "created"
    if all(getattr(existing, key) == value for key, value in values.items()):
        return "unchanged"
    await Outlet.update({**values, "updated_at": dt.datetime.now(dt.UTC)}).where(
        Outlet.id == existing.id
    )
    return "updated"


async def write_rows(
    rows: list[tuple[str, dict[str, Any]]], progress: Callable[[int], None] = lambda _: None
) -> ImportResult:
    result = ImportResult()
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        async with write_transaction(Outlet._meta.db):
            outcomes = [await _upsert(name, values) for name, values in batch]
        result.created += outcomes.count("created")
        result.updated += outcomes.count("updated")
        result.unchanged += outcomes.count("unchanged")
        progress(len(batch))
    return result


async def import_file(path: Path, progress: Callable[[int], None] = lambda _: None) -> ImportResult:
    rows, problems = read_rows(path)
    if problems:
        return ImportResult(problems=problems)
    return await write_rows(rows, progress)


async def load_seed_outlets() -> int:
    """The seed, when no outlet is held yet (`iph setup`); returns how many were created."""
    if await Outlet.exists():
        return 0
    result = await import_file(SEED_FILE)
    if result.problems:
        raise ValueError(f"the outlets seed has problems: {result.problems}")
    return result.created
