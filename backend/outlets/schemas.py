"""What the outlet pages show: outlets in the person's language, region counts, pages of them."""

from __future__ import annotations

from urllib.parse import quote

import msgspec


class OutletView(msgspec.Struct, frozen=True):
    """An outlet as a page shows it; None where the value is not yet known."""

    id: int
    name: str
    type: str
    type_name: str
    region: str
    address: str | None
    phone: str | None
    opening_hours: str | None
    services: list[str]
    latitude: float | None
    longitude: float | None
    coordinates_exact: bool
    host_institution: str
    source: str
    note: str
    distance_km: float | None = None

    @property
    def tel_href(self) -> str:
        digits = "".join(c for c in self.phone or "" if c.isdigit() or c in "+-")
        return f"tel:{digits}" if digits else ""

    @property
    def maps_href(self) -> str:
        """A geo: URI (RFC 5870), with the name as the label maps apps show."""
        if self.latitude is None or self.longitude is None:
            return f"geo:0,0?q={quote(self.name)}"
        point = f"{self.latitude:.6f},{self.longitude:.6f}"
        return f"geo:{point}?q={point}({quote(self.name)})"

    @property
    def source_is_link(self) -> bool:
        return self.source.startswith(("https://", "http://"))


class RegionCount(msgspec.Struct, frozen=True):
    code: str  # "unknown": outlets whose region is not yet known
    name: str
    count: int


class OutletPage(msgspec.Struct, frozen=True):
    outlets: list[OutletView]
    total: int
    page: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
