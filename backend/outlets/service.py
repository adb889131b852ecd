"""Outlets: by region, nearest first, one at a time, and the words for their types.

The directory is small (hundreds of outlets, a few thousand at most): the distances of "near me"
are computed here over every outlet with coordinates, which costs less than a query would.
"""

from __future__ import annotations

import json
import math
from collections import Counter

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.outlets.places import great_circle_km, region_name
from backend.outlets.schemas import OutletPage, OutletView, RegionCount
from backend.outlets.tables import Outlet, OutletStaff

PER_PAGE = 20
UNKNOWN_REGION = "unknown"
TYPE_NAMES = {
    Outlet.Type.tisc: N_("Technology and Innovation Support Centre (TISC)"),
    Outlet.Type.university_centre: N_("University national IP information service centre"),
    Outlet.Type.info_service_outlet: N_("National IP information public service outlet"),
    Outlet.Type.patent_info_base: N_("Patent information dissemination base"),
    Outlet.Type.patent_document_outlet: N_("Patent document service outlet"),
    Outlet.Type.provincial_agency: N_("Provincial IP public service agency"),
    Outlet.Type.prefecture_agency: N_("City IP public service agency"),
    Outlet.Type.protection_centre: N_("IP protection centre"),
    Outlet.Type.rapid_protection_centre: N_("IP rapid rights-protection centre"),
    Outlet.Type.acceptance_window: N_("Business acceptance window"),
    Outlet.Type.trademark_window: N_("Trademark acceptance window"),
}


def type_name(code: str) -> str:
    return i18n.gettext(TYPE_NAMES.get(code, code))


def _region(outlet: Outlet) -> str:
    province = region_name(outlet.province_code) or outlet.province_name
    prefecture = region_name(outlet.prefecture_code) or outlet.prefecture_name
    return " ".join(part for part in dict.fromkeys((province, prefecture)) if part)


def view_of(outlet: Outlet, distance_km: float | None = None) -> OutletView:
    return OutletView(
        id=outlet.id,
        name=outlet.name,
        type=outlet.type,
        type_name=type_name(outlet.type),
        region=_region(outlet),
        address=outlet.address,
        phone=outlet.phone,
        opening_hours=outlet.opening_hours,
        services=json.loads(outlet.services) if outlet.services else [],
        latitude=outlet.latitude,
        longitude=outlet.longitude,
        coordinates_exact=outlet.coordinates_exact,
        host_institution=outlet.host_institution,
        source=outlet.source,
        note=outlet.note,
        distance_km=distance_km,
    )


def _paged(views: list[OutletView], page: int) -> OutletPage:
    pages = max(1, math.ceil(len(views) / PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    return OutletPage(views[start : start + PER_PAGE], len(views), page, pages)


async def province_counts() -> list[RegionCount]:
    """Each province holding outlets, in code order, then those whose region is unknown."""
    rows = await Outlet.select(Outlet.province_code, Outlet.province_name)
    counts = Counter(row["province_code"] or UNKNOWN_REGION for row in rows)
    names = {row["province_code"]: row["province_name"] for row in rows}
    found = [
        RegionCount(code, region_name(code) or names.get(code, code), count)
        for code, count in sorted(counts.items())
        if code != UNKNOWN_REGION
    ]
    if counts[UNKNOWN_REGION]:
        found.append(
            RegionCount(
                UNKNOWN_REGION, i18n.gettext("Region not yet known"), counts[UNKNOWN_REGION]
            )
        )
    return found


async def prefecture_counts(province: str) -> list[RegionCount]:
    """The prefectures of a province holding outlets (none for a municipality)."""
    rows = await Outlet.select(Outlet.prefecture_code, Outlet.prefecture_name).where(
        (Outlet.province_code == province) & (Outlet.prefecture_code != "")
    )
    counts = Counter(row["prefecture_code"] for row in rows)
    names = {row["prefecture_code"]: row["prefecture_name"] for row in rows}
    return [
        RegionCount(code, region_name(code) or names[code], count)
        for code, count in sorted(counts.items())
    ]


async def in_region(province: str, prefecture: str = "", page: int = 1) -> OutletPage:
    query = Outlet.objects().order_by(Outlet.prefecture_code).order_by(Outlet.name)
    if province == UNKNOWN_REGION:
        query = query.where(Outlet.province_code == "")
    else:
        query = query.where(Outlet.province_code == province)
        if prefecture:
            query = query.where(Outlet.prefecture_code == prefecture)
    return _paged([view_of(outlet) for outlet in await query], page)


async def nearest(latitude: float, longitude: float, page: int = 1) -> OutletPage:
    """Outlets with coordinates, nearest first by great-circle distance."""
    outlets = await Outlet.objects().where(Outlet.latitude.is_not_null())
    measured = sorted(
        (great_circle_km(latitude, longitude, o.latitude, o.longitude), o.name, o) for o in outlets
    )
    return _paged([view_of(outlet, distance) for distance, _, outlet in measured], page)


async def outlet_by_id(outlet_id: int) -> OutletView | None:
    outlet = await Outlet.objects().where(Outlet.id == outlet_id).first()
    return view_of(outlet) if outlet else None


def _like(text: str) -> str:
    """LIKE's wildcards are dropped from the query: SQLite has no default escape character."""
    return "%" + text.replace("%", "").replace("_", "") + "%"


async def search(query: str, limit: int) -> tuple[list[OutletView], int]:
    """Outlets whose name, host or region holds the query: the first `limit` and the count."""
    pattern = _like(query.strip())
    # SQLite's LIKE already ignores ASCII case (and warns on ILIKE); PostgreSQL's does not.
    sqlite = Outlet._meta.db.engine_type == "sqlite"
    columns = (Outlet.name, Outlet.host_institution, Outlet.province_name, Outlet.prefecture_name)
    matches = [column.like(pattern) if sqlite else column.ilike(pattern) for column in columns]
    where = matches[0] | matches[1] | matches[2] | matches[3]
    count = await Outlet.count().where(where)
    if not count:
        return [], 0
    found = await Outlet.objects().where(where).order_by(Outlet.name).limit(limit)
    return [view_of(outlet) for outlet in found], count


def parse_near(near: str) -> tuple[float, float] | None:
    """ "lat,lon" in degrees, or None when it is not a point on the Earth."""
    try:
        latitude, longitude = (float(part) for part in near.split(","))
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None


async def outlet_id_named(name_or_id: str) -> int | None:
    """The outlet with this id (digits) or this exact name, or None."""
    wanted = name_or_id.strip()
    where = Outlet.id == int(wanted) if wanted.isdigit() else Outlet.name == wanted
    row = await Outlet.select(Outlet.id).where(where).first()
    return row["id"] if row else None


async def assign_staff(account_id: int, outlet_id: int) -> None:
    """The staff member works at this outlet from now on (one outlet each)."""
    if await OutletStaff.exists().where(OutletStaff.account == account_id):
        await OutletStaff.update({OutletStaff.outlet: outlet_id}).where(
            OutletStaff.account == account_id
        )
    else:
        await OutletStaff(account=account_id, outlet=outlet_id).save()
