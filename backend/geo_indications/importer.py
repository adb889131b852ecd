"""Bulk import of GI products, used by `litestar iph import gi FILE` and by the seed.

Formats (docs/import-gi.md): the project's own CSV and JSON Lines, and two shared files as they
are: the CNIPA announcements' JSON array (`product_name`, `province`, `city`, `districts`,
`sensory_characteristics`) and the gi-products.csv list (`name_zh`, …, `category`, `route`).

Every row is checked before anything is written; a file with a bad row is refused whole, each
problem reported by line (CSV, JSON Lines) or by entry (the JSON array, from 0). Valid files are
written in batches of 500, each in one write transaction, upserted by the natural key
(name|province code), so importing the same file again changes nothing. A new product's search
terms are written with it (search.py); a product's terms are replaced only when its name changes.

Regions are names (陕西省 or 陕西) or 6-digit codes, resolved with backend.core.regions. A
province that cannot be resolved refuses the row; a prefecture (or county) that cannot be found
in its province is left empty and counted (`unresolved`): the announcements' own places are
real, and a renamed or merged city must not keep a product out of the directory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
from pypinyin import lazy_pinyin

from backend.core import regions
from backend.core.database import write_transaction
from backend.geo_indications import search
from backend.geo_indications.categories import SOURCE_CATEGORIES, Category, category_from_name
from backend.geo_indications.tables import GIProduct

BATCH_SIZE = 500
CNIPA_SOURCE = (
    "CNIPA GI product approval announcements 2005–2025, compiled by "
    "JinQiangShi/Chinese-Nationnal-Geographic-Products (MIT)"
)
Route = GIProduct.Route


class GIRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One product in the project's own format (docs/import-gi.md)."""

    name: str
    source: str
    province: str = ""
    prefecture: str = ""
    county: str = ""
    category: Category | None = None
    route: Route = Route.gi_product
    announcement: str | None = None
    approved_on: dt.date | None = None
    protected_area: list[str] = []
    quality: str | None = None
    how_to_apply: str | None = None
    authorised_users: int = 0


class RowProblem(msgspec.Struct, frozen=True):
    line: int
    message: str
    unit: str = "line"  # "entry" for the JSON array's (0-based) index

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.message}"


class ImportResult(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = []
    unresolved: list[RowProblem] = []  # rows kept whose prefecture or county was not found


def natural_key(name: str, province_code: str) -> str:
    return f"{name}|{province_code}"


def pinyin_of(name: str) -> str:
    """Toneless pinyin, syllables spaced (pypinyin's common readings; search reads more)."""
    return " ".join(syllable for syllable in lazy_pinyin(name) if syllable.strip())


def _shared_csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A gi-products.csv row in the project's format."""
    category = row.get("category", "").strip()
    if category and category not in SOURCE_CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    route_text = row.get("route", "")
    if "集体商标" in route_text:
        route = Route.collective_mark
    elif "证明商标" in route_text:
        route = Route.certification_mark
    elif "地理标志" in route_text or not route_text.strip():
        route = Route.gi_product  # 地理标志产品 and 农产品地理标志 (now both CNIPA's)
    else:
        raise ValueError(f"unknown route {route_text!r}")
    return {
        "name": row.get("name_zh", ""),
        "province": row.get("province", ""),
        "prefecture": row.get("prefecture", ""),
        "category": SOURCE_CATEGORIES[category] if category else None,
        "route": route,
        "announcement": row.get("announcement") or None,
        "source": row.get("source", ""),
    }


def _own_csv_row(row: dict[str, str]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
    if "protected_area" in cleaned:
        cleaned["protected_area"] = [
            part.strip() for part in cleaned["protected_area"].split(";") if part.strip()
        ]
    return cleaned


def _cnipa_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    districts = entry.get("districts") or []
    if not isinstance(districts, list):
        raise ValueError("districts is not a list")
    return {
        "name": entry.get("product_name") or "",
        "province": entry.get("province") or "",
        "prefecture": entry.get("city") or "",
        "protected_area": districts,
        "quality": entry.get("sensory_characteristics") or None,
        "source": CNIPA_SOURCE,
    }


def _raw_rows(path: Path) -> Iterator[tuple[RowProblem, Callable[[], dict[str, Any]]]]:
    """(where, how to make the row in the project's format) for each row of the file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            shared = "name_zh" in (reader.fieldnames or [])
            convert = _shared_csv_row if shared else _own_csv_row
            for line, row in enumerate(reader, start=2):
                yield RowProblem(line, ""), lambda row=row: convert(row)
        return
    with path.open(encoding="utf-8") as source:
        text = source.read()
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        entries = json.loads(text)
        if not isinstance(entries, list):
            raise ValueError("a .json file must hold an array of products")
        for index, entry in enumerate(entries):
            yield RowProblem(index, "", "entry"), lambda entry=entry: _cnipa_entry(entry)
        return
    for line, row_text in enumerate(text.splitlines(), start=1):
        if row_text.strip():
            yield RowProblem(line, ""), lambda row_text=row_text: json.loads(row_text)


def _region(value: str, within: str | None) -> regions.Region | None:
    value = value.strip()
    if value.isdigit() and len(value) == 6:
        found = regions.region(value)
        if found and within and not _is_under(found, within):
            return None
        return found
    return regions.find(value, within=within)


def _is_under(item: regions.Region, ancestor: str) -> bool:
    while item.parent_code:
        if item.parent_code == ancestor:
            return True
        parent = regions.region(item.parent_code)
        if parent is None:
            return False
        item = parent
    return False


def _values(row: GIRow, where: RowProblem, unresolved: list[RowProblem]) -> dict[str, Any]:
    """The row as table values; raises ValueError for what refuses it."""
    name = " ".join(row.name.split())
    if not name:
        raise ValueError("name is required")
    if len(name) > 100:
        raise ValueError("name is longer than 100 characters")
    if not row.source.strip():
        raise ValueError("source is required: say where the record came from")
    if row.authorised_users < 0:
        raise ValueError("authorised_users cannot be negative")
    province = prefecture = county = None
    if row.province.strip():
        province = _region(row.province, None)
        if province is None or province.level != regions.PROVINCE:
            raise ValueError(f"unknown province {row.province!r}")
    elif row.prefecture.strip() or row.county.strip():
        raise ValueError("a prefecture or county needs its province")
    if province and row.prefecture.strip():
        prefecture = _region(row.prefecture, province.code)
        if prefecture is None:
            unresolved.append(msgspec.structs.replace(where, message=row.prefecture.strip()))
    if province and row.county.strip():
        county = _region(row.county, (prefecture or province).code)
        if county is None or county.level != regions.COUNTY:
            county = None
            unresolved.append(msgspec.structs.replace(where, message=row.county.strip()))
    province_code = province.code if province else ""
    return {
        "natural_key": natural_key(name, province_code),
        "name": name,
        "pinyin": pinyin_of(name)[:400],
        "category": str(row.category or category_from_name(name)),
        "category_derived": row.category is None,
        "province_code": province_code,
        "prefecture_code": prefecture.code if prefecture else "",
        "county_code": county.code if county else "",
        "route": str(row.route),
        "announcement": (row.announcement or "").strip() or None,
        "approved_on": row.approved_on,
        "protected_area": json.dumps(
            [" ".join(str(p).split()) for p in row.protected_area if str(p).strip()],
            ensure_ascii=False,
        ),
        "quality": (row.quality or "").strip() or None,
        "how_to_apply": (row.how_to_apply or "").strip() or None,
        "authorised_users": row.authorised_users,
        "source": row.source.strip(),
    }


def read_rows(
    path: Path, default_source: str = ""
) -> tuple[list[dict[str, Any]], list[RowProblem], list[RowProblem]]:
    """(rows as table values, problems, rows kept with a place not found); `default_source`:
    for rows that do not say theirs (the seed's)."""
    rows: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    unresolved: list[RowProblem] = []
    seen: dict[str, RowProblem] = {}
    try:
        for where, make in _raw_rows(path):
            try:
                raw = make()
                if default_source and isinstance(raw, dict):
                    raw.setdefault("source", default_source)
                row = msgspec.convert(raw, GIRow, strict=False)
                values = _values(row, where, unresolved)
            except (msgspec.ValidationError, ValueError, TypeError) as error:
                problems.append(msgspec.structs.replace(where, message=str(error)))
                continue
            key = values["natural_key"]
            if key in seen:
                message = f"{values['name']} repeats {seen[key].unit} {seen[key].line}"
                problems.append(msgspec.structs.replace(where, message=message))
                continue
            seen[key] = where
            rows.append(values)
    except (ValueError, UnicodeDecodeError, csv.Error) as error:  # JSONDecodeError included
        problems.append(RowProblem(0, f"unreadable file: {error}"))
    return rows, problems, unresolved


async def write_rows(
    rows: list[dict[str, Any]], progress: Callable[[int], None] = lambda _: None
) -> ImportResult:
    """Upsert in batches; each batch commits whole or not at all."""
    result = ImportResult()
    columns = [GIProduct._meta.get_column_by_name(name) for name in rows[0]] if rows else []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        async with write_transaction(GIProduct._meta.db):
            existing = {
                row["natural_key"]: row
                for row in await GIProduct.select(GIProduct.id, *columns).where(
                    GIProduct.natural_key.is_in([values["natural_key"] for values in batch])
                )
            }
            new = [values for values in batch if values["natural_key"] not in existing]
            if new:
                await GIProduct.insert(*(GIProduct(**values) for values in new))
            renamed: dict[int, str] = {}
            for values in batch:
                old = existing.get(values["natural_key"])
                if old is None:
                    continue
                if all(old[key] == value for key, value in values.items()):
                    result.unchanged += 1
                    continue
                await GIProduct.update(
                    {**values, GIProduct.updated_at: dt.datetime.now(dt.UTC)}
                ).where(GIProduct.id == old["id"])
                if old["name"] != values["name"]:
                    renamed[old["id"]] = old["name"]
                result.updated += 1
            result.created += len(new)
            # The search terms: of the new products, and again of a renamed one only.
            to_index = (
                await GIProduct.select(GIProduct.id, GIProduct.name).where(
                    GIProduct.natural_key.is_in([values["natural_key"] for values in new])
                )
                if new
                else []
            )
            to_index += [
                {"id": product_id, "name": values["name"]}
                for values in batch
                for product_id in [existing.get(values["natural_key"], {}).get("id")]
                if product_id in renamed
            ]
            await search.index_products([(row["id"], row["name"]) for row in to_index], renamed)
        progress(len(batch))
    return result


async def import_file(
    path: Path, progress: Callable[[int], None] = lambda _: None, default_source: str = ""
) -> ImportResult:
    rows, problems, unresolved = read_rows(path, default_source)
    if problems:
        return ImportResult(problems=problems, unresolved=unresolved)
    result = await write_rows(rows, progress)
    result.unresolved = unresolved
    return result
