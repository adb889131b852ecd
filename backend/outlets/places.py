"""An outlet's place: its region codes and coordinates, from the shared region data.

The region data (backend/core/regions.py) is read through this module only, so the rest of the
domain asks for "the place of 福建省 / 厦门市" and gets codes, names and coordinates back.
"""

from __future__ import annotations

import math

import msgspec

from backend.core import regions

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius


class Place(msgspec.Struct, frozen=True):
    province_code: str = ""
    prefecture_code: str = ""
    county_code: str = ""
    province_name: str = ""
    prefecture_name: str = ""
    latitude: float | None = None
    longitude: float | None = None


class UnknownPlace(ValueError):
    pass


def place_of(province: str, prefecture: str = "", county: str = "") -> Place:
    """Codes, names and the centre of the smallest region named; UnknownPlace if one is unknown.

    A prefecture may be named without its province (景德镇市): its province is its parent. A
    municipality written as its own city (北京市, 北京市) is the province alone.
    """
    found_province = regions.find(province) if province else None
    if province and found_province is None:
        raise UnknownPlace(f"unknown province {province!r}")
    found_prefecture = None
    if prefecture and not (found_province and _same(found_province, prefecture)):
        within = found_province.code if found_province else None
        found_prefecture = regions.find(prefecture, within=within)
        if found_prefecture is None:
            raise UnknownPlace(
                f"unknown city {prefecture!r}" + (f" in {province}" if province else "")
            )
        if found_province is None and found_prefecture.parent_code:
            found_province = regions.region(found_prefecture.parent_code)
    found_county = None
    if county:
        within = (
            (found_prefecture or found_province).code
            if (found_prefecture or found_province)
            else None
        )
        found_county = regions.find(county, within=within)
        if found_county is None:
            raise UnknownPlace(f"unknown county {county!r}")
    smallest = found_county or found_prefecture or found_province
    latitude = longitude = None
    if smallest is not None:
        latitude, longitude, _ = regions.coordinates(smallest)
    return Place(
        province_code=found_province.code if found_province else "",
        prefecture_code=found_prefecture.code if found_prefecture else "",
        county_code=found_county.code if found_county else "",
        province_name=found_province.name if found_province else "",
        prefecture_name=found_prefecture.name if found_prefecture else "",
        latitude=latitude,
        longitude=longitude,
    )


def _same(region: regions.Region, name: str) -> bool:
    return region.name == name or regions.find(name) == region


def region_name(code: str) -> str:
    found = regions.region(code) if code else None
    return found.name if found else ""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance: good to about 0.5 % on the Earth taken as a sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
