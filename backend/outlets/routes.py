"""Outlet pages: the directory by region or nearest first (/outlets), and one outlet."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.core import i18n
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.outlets import service


class OutletController(Controller):
    path = "/outlets"

    @get("/", name="outlets")
    async def outlets(
        self,
        request: Request,
        province: FromQuery[str] = "",
        prefecture: FromQuery[str] = "",
        near: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        point = service.parse_near(near) if near else None
        found = None
        if point:
            found = await service.nearest(*point, page=page)
        elif province:
            found = await service.in_region(province[:12], prefecture[:12], page)
        context = {
            "found": found,
            "near": f"{point[0]},{point[1]}" if point else "",
            "near_problem": bool(near) and point is None,
            "province": province if found and not point else "",
            "prefecture": prefecture if found and not point else "",
            "provinces": await service.province_counts(),
            "prefectures": await service.prefecture_counts(province) if province else [],
            "region_title": _region_title(found, province, prefecture),
        }
        template = "outlets/_results.html" if wants_fragment(request) else "outlets/index.html"
        return Template(template, context=context, headers={"Vary": VARY_ON_HTMX})

    @get("/{outlet_id:int}", name="outlet")
    async def outlet(self, outlet_id: FromPath[int]) -> Template:
        outlet = await service.outlet_by_id(outlet_id)
        if outlet is None:
            raise NotFoundException
        return Template("outlets/outlet.html", context={"outlet": outlet})


def _region_title(found, province: str, prefecture: str) -> str:
    if found is None or not province:
        return ""
    if province == service.UNKNOWN_REGION:
        return i18n.gettext("Region not yet known")
    names = [service.region_name(province), service.region_name(prefecture) if prefecture else ""]
    shown = [name for name in dict.fromkeys(names) if name]
    if not shown and found.outlets:
        shown = [found.outlets[0].region]
    return " ".join(shown)
