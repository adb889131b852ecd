"""The business-entity register, behind an adapter: fewer documents for enterprise right holders.

A matter about an enterprise asks for its unified social credit code; when the register knows the
code, the entity's name and registered address fill the form and the business-licence upload is
no longer asked for (the office checks the register instead of a copy). The register itself is
outside this project (the market regulator's). `BusinessRegister` is the adapter's interface;
`OwnRegister`, the default, reads our own copy (`BusinessEntity`), which `iph setup` seeds with
demo entities labelled as such and `litestar iph import business-entities FILE` fills
(docs/import-business-entities.md). Another adapter (the regulator's data-sharing interface)
would implement the same `look_up`, be named in ADAPTERS and chosen with IPH_BUSINESS_REGISTER;
`register_for(settings)` is the one place the app gets its adapter from (create_app keeps it in
`app.state.business_register`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from backend.business_register.tables import BusinessEntity
from backend.core.database import write_transaction
from backend.core.imports import ImportResult, RowProblem
from backend.geo_indications.credit_code import (
    InvalidCreditCode,
    demo_code,
    parse_credit_code,
    reason_message,
)
from backend.settings import Settings

DEMO_SOURCE = "IP Handheld demo entity (not a real enterprise)"
FIELDS = ("credit_code", "name", "address", "active", "source", "demo")
TRUE_WORDS = {"true", "1", "yes", "是"}
FALSE_WORDS = {"false", "0", "no", "否", ""}
# Made-up enterprises for `make run`: valid codes whose organisation code starts DEM (no office
# assigns one), names that say "demo".
DEMO_ENTITIES = (
    ("91330100", "杭州临平演示科技有限公司（演示数据）", "浙江省杭州市临平区演示路1号"),
    ("91510100", "成都演示农业发展有限公司（演示数据）", "四川省成都市郫都区演示街8号"),
    ("92610100", "西安演示茶叶经营部（演示数据）", "陕西省西安市雁塔区演示巷3号"),
)


class RegisteredEntity(msgspec.Struct, frozen=True, kw_only=True):
    credit_code: str
    name: str
    address: str
    active: bool
    is_demo: bool


class RegisterUnavailable(Exception):
    """The register could not answer just now (a remote adapter's outage or time-out): the
    filing goes on as if it held nothing, and says why."""


class BusinessRegister(Protocol):
    async def look_up(self, credit_code: str) -> RegisteredEntity | None:
        """The entity of this (canonical, valid) code, or None when the register has none;
        RegisterUnavailable when it cannot tell."""
        ...


class OwnRegister:
    """The default adapter: our own copy of the register."""

    async def look_up(self, credit_code: str) -> RegisteredEntity | None:
        row = await BusinessEntity.select().where(BusinessEntity.credit_code == credit_code).first()
        if row is None:
            return None
        return RegisteredEntity(
            credit_code=row["credit_code"],
            name=row["name"],
            address=row["address"],
            active=row["active"],
            is_demo=row["is_demo"],
        )


# The adapters IPH_BUSINESS_REGISTER may name, each made from the settings.
ADAPTERS: dict[str, Callable[[Settings], BusinessRegister]] = {
    "own": lambda settings: OwnRegister()
}


def register_for(settings: Settings) -> BusinessRegister:
    """The adapter the settings name; ValueError (the app does not start) for an unknown one."""
    make = ADAPTERS.get(settings.business_register)
    if make is None:
        raise ValueError(
            f"IPH_BUSINESS_REGISTER={settings.business_register!r} names no adapter "
            f"(one of: {', '.join(sorted(ADAPTERS))})"
        )
    return make(settings)


def read_rows(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """(the rows as table values, the problems by line): a CSV with a header of FIELDS."""
    rows: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        missing = {"credit_code", "name", "address", "source"} - set(reader.fieldnames or ())
        if missing:
            return [], [RowProblem(1, f"the header lacks {', '.join(sorted(missing))}")]
        for raw in reader:
            line = reader.line_num
            try:
                row = _row(raw)
            except ValueError as error:
                problems.append(RowProblem(line, str(error)))
                continue
            if row["credit_code"] in seen:
                problems.append(
                    RowProblem(line, f"the code is on line {seen[row['credit_code']]} already")
                )
                continue
            seen[row["credit_code"]] = line
            rows.append(row)
    return rows, problems


def _row(raw: dict[str, str | None]) -> dict[str, Any]:
    values = {key: (value or "").strip() for key, value in raw.items() if key}
    try:
        code = parse_credit_code(values.get("credit_code", "")).canonical
    except InvalidCreditCode as error:
        raise ValueError(f"credit_code: {reason_message(error)}") from error
    for field, limit in (("name", 200), ("address", 300)):
        if not values.get(field):
            raise ValueError(f"{field} is empty")
        if len(values[field]) > limit:
            raise ValueError(f"{field} is longer than {limit} characters")
    if not values.get("source"):
        raise ValueError("source is empty: say where the entry came from")
    return {
        "credit_code": code,
        "name": values["name"],
        "address": values["address"],
        "active": _flag(values.get("active", "true") or "true", "active"),
        "is_demo": _flag(values.get("demo", ""), "demo"),
        "source": values["source"],
    }


def _flag(text: str, field: str) -> bool:
    folded = text.casefold()
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    raise ValueError(f"{field} must be true or false, not {text!r}")


async def write_rows(
    rows: list[dict[str, Any]], progress: Callable[[int], None] = lambda n: None
) -> ImportResult:
    """Upsert by credit code, in one transaction: importing the same file again changes nothing."""
    result = ImportResult()
    async with write_transaction(BusinessEntity._meta.db):
        held = {
            row["credit_code"]: row
            for row in await BusinessEntity.select().where(
                BusinessEntity.credit_code.is_in([row["credit_code"] for row in rows] or [""])
            )
        }
        for row in rows:
            old = held.get(row["credit_code"])
            if old is None:
                await BusinessEntity.insert(BusinessEntity(**row))
                result.created += 1
            elif any(old[key] != value for key, value in row.items()):
                await BusinessEntity.update({**row, "updated_at": dt.datetime.now(dt.UTC)}).where(
                    BusinessEntity.credit_code == row["credit_code"]
                )
                result.updated += 1
            else:
                result.unchanged += 1
            progress(1)
    return result


def demo_rows() -> list[dict[str, Any]]:
    return [
        {
            "credit_code": demo_code(prefix[:2], prefix[2:], serial),
            "name": name,
            "address": address,
            "active": True,
            "is_demo": True,
            "source": DEMO_SOURCE,
        }
        for serial, (prefix, name, address) in enumerate(DEMO_ENTITIES, start=1)
    ]


async def load_demo_entities() -> int:
    """The demo entities, once (`iph setup`); returns how many were created."""
    return (await write_rows(demo_rows())).created
