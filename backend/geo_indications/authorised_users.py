"""Authorised users of the GI special marks: the import (`litestar iph import gi-users FILE`) and
the demo entries `iph setup` loads.

Formats (docs/import-gi.md, "Authorised users"): CSV or JSON Lines, one producer a row:
`product` and `province` (the GI, as the GI import keys it), `producer`, `code` (the unified
social credit code, checked by credit_code.parse_credit_code and stored canonical), `approved_on`,
`announcement`, `source`, `demo`. Like the GI import: every row is checked first and a file with
a bad row is refused whole, each problem by line; a valid one is upserted by (product, code) in
batches of 500, each in one write transaction, so importing it again changes nothing.

Demo entries: no verified public list of authorised users is at hand, so the seed's are made up
and marked `is_demo` (their pages say "demo entry"). Their codes are valid but fictitious: the
division code of the product's prefecture, an organisation code beginning "DEM" that no office
assigns, and the check character `check_character` gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from backend.core import regions
from backend.core.database import write_transaction
from backend.geo_indications.credit_code import (
    InvalidCreditCode,
    demo_code,
    parse_credit_code,
)
from backend.geo_indications.importer import BATCH_SIZE, ImportResult, RowProblem, natural_key
from backend.geo_indications.tables import AuthorisedUser, GIProduct

DEMO_SOURCE = "IP Handheld demo entry: made up, not a real authorised user"
# (product, province code, registration authority and type, prefecture code): the seed's demo
# entries, two a product; the N2 one stands for a rural collective (authority N).
DEMO_PRODUCTS = (
    ("郫县豆瓣", "510000", ("91", "93"), "510100"),
    ("阳澄湖大闸蟹", "320000", ("93", "91"), "320500"),
    ("普洱茶", "530000", ("91", "N2"), "530800"),
    ("涪陵榨菜", "500000", ("91", "91"), "500100"),
    ("烟台苹果", "370000", ("N2", "93"), "370600"),
)
DEMO_ORDINALS = ("一", "二")


class UserRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One authorised user in the import format (docs/import-gi.md)."""

    product: str
    producer: str
    code: str
    source: str
    province: str = ""
    approved_on: dt.date | None = None
    announcement: str | None = None
    demo: bool = False


def user_key(product_id: int, code: str) -> str:
    return f"{product_id}|{code}"


def _raw_rows(path: Path) -> Iterator[tuple[int, Callable[[], dict[str, Any]]]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as source:
            for line, row in enumerate(csv.DictReader(source), start=2):
                cleaned = {k: v for k, v in row.items() if k and v not in ("", None)}
                yield line, lambda cleaned=cleaned: cleaned
        return
    with path.open(encoding="utf-8") as source:
        for line, text in enumerate(source, start=1):
            if text.strip():
                yield line, lambda text=text: json.loads(text)


async def _product_ids() -> dict[str, int]:
    rows = await GIProduct.select(GIProduct.id, GIProduct.natural_key)
    return {row["natural_key"]: row["id"] for row in rows}


def _province_code(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    found = regions.region(text) if text.isdigit() else regions.find(text)
    if found is None or found.level != regions.PROVINCE:
        raise ValueError(f"unknown province {text!r}")
    return found.code


def _values(row: UserRow, products: dict[str, int]) -> dict[str, Any]:
    """The row as table values; raises ValueError (or InvalidCreditCode) for what refuses it."""
    product = " ".join(row.product.split())
    producer = " ".join(row.producer.split())
    if not producer:
        raise ValueError("producer is required")
    if len(producer) > 200:
        raise ValueError("producer is longer than 200 characters")
    if not row.source.strip():
        raise ValueError("source is required: say where the entry came from")
    code = parse_credit_code(row.code).canonical
    product_id = products.get(natural_key(product, _province_code(row.province)))
    if product_id is None:
        raise ValueError(f"no GI product {product!r} in {row.province or 'no province'!r}")
    return {
        "natural_key": user_key(product_id, code),
        "product": product_id,
        "producer": producer,
        "credit_code": code,
        "approved_on": row.approved_on,
        "announcement": (row.announcement or "").strip() or None,
        "is_demo": row.demo,
        "source": row.source.strip(),
    }


async def read_rows(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """(rows as table values, problems by line); nothing is written."""
    products = await _product_ids()
    rows: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    try:
        for line, make in _raw_rows(path):
            try:
                values = _values(msgspec.convert(make(), UserRow, strict=False), products)
            except InvalidCreditCode as error:
                problems.append(
                    RowProblem(line, f"code: {error.reason_code} {error.message_params}")
                )
                continue
            except (msgspec.ValidationError, ValueError, TypeError) as error:
                problems.append(RowProblem(line, str(error)))
                continue
            key = values["natural_key"]
            if key in seen:
                problems.append(
                    RowProblem(line, f"{values['credit_code']} repeats line {seen[key]}")
                )
                continue
            seen[key] = line
            rows.append(values)
    except (ValueError, UnicodeDecodeError, csv.Error) as error:
        problems.append(RowProblem(0, f"unreadable file: {error}"))
    return rows, problems


async def write_rows(
    rows: list[dict[str, Any]], progress: Callable[[int], None] = lambda _: None
) -> ImportResult:
    """Upsert in batches (each whole or not at all), then recount the products touched."""
    result = ImportResult()
    columns = [AuthorisedUser._meta.get_column_by_name(name) for name in rows[0]] if rows else []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        async with write_transaction(AuthorisedUser._meta.db):
            existing = {
                row["natural_key"]: row
                for row in await AuthorisedUser.select(AuthorisedUser.id, *columns).where(
                    AuthorisedUser.natural_key.is_in([values["natural_key"] for values in batch])
                )
            }
            new = [values for values in batch if values["natural_key"] not in existing]
            if new:
                await AuthorisedUser.insert(*(AuthorisedUser(**values) for values in new))
            for values in batch:
                old = existing.get(values["natural_key"])
                if old is None:
                    continue
                if all(old[key] == value for key, value in values.items()):
                    result.unchanged += 1
                    continue
                await AuthorisedUser.update(
                    {**values, AuthorisedUser.updated_at: dt.datetime.now(dt.UTC)}
                ).where(AuthorisedUser.id == old["id"])
                result.updated += 1
            result.created += len(new)
        progress(len(batch))
    return result


async def import_file(path: Path, progress: Callable[[int], None] = lambda _: None) -> ImportResult:
    rows, problems = await read_rows(path)
    if problems:
        return ImportResult(problems=problems)
    return await write_rows(rows, progress)


def demo_rows() -> list[dict[str, Any]]:
    """The seed's demo entries in the import format."""
    rows = []
    for number, (product, province, kinds, division) in enumerate(DEMO_PRODUCTS):
        for ordinal, kind in zip(DEMO_ORDINALS, kinds, strict=True):
            serial = number * 10 + len(rows) % 2 + 1
            rows.append(
                {
                    "product": product,
                    "province": province,
                    "producer": f"{product}演示生产者{ordinal}（演示数据）",
                    "code": demo_code(kind, division, serial),
                    "source": DEMO_SOURCE,
                    "demo": True,
                }
            )
    return rows


async def load_demo_users() -> int:
    """The demo entries, into an empty register whose products are there (after the GI seed)."""
    if await AuthorisedUser.count() > 0:
        return 0
    products = await _product_ids()
    values = []
    for row in demo_rows():
        try:
            values.append(_values(msgspec.convert(row, UserRow), products))
        except ValueError:
            continue  # that product is not in this directory (a test's own, say)
    return (await write_rows(values)).created
