"""GI pages: /gi (browse by province → prefecture and by category, search, paged results) and
/gi/{id}, the record. Both work without JavaScript; htmx swaps only the results."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Litestar, MediaType, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from backend.core import i18n, page_cache, regions
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.core.i18n import lazy_marker as N_
from backend.geo_indications import check, offline, service
from backend.geo_indications.categories import Category
from backend.geo_indications.schemas import ProvincePack

CATEGORY_NAMES = {
    Category.tea: N_("Tea"),
    Category.fruit: N_("Fruit"),
    Category.grain_and_oil: N_("Grain and oil"),
    Category.vegetable: N_("Vegetables"),
    Category.meat_and_poultry: N_("Meat and poultry"),
    Category.aquatic: N_("Aquatic products"),
    Category.medicinal: N_("Chinese medicinal materials"),
    Category.wine_and_spirits: N_("Wine and spirits"),
    Category.processed_food: N_("Processed food"),
    Category.handicraft: N_("Handicrafts"),
    Category.other: N_("Other"),
}
ROUTE_NAMES = {
    "gi_product": N_("Geographical-indication product"),
    "collective_mark": N_("Geographical-indication collective mark"),
    "certification_mark": N_("Geographical-indication certification mark"),
}


def product_page_path(product_id: int) -> str:
    return f"/gi/{product_id}"


async def forget_product_pages(app: Litestar, product_ids: list[int] | None = None) -> None:
    """The record pages of these products (None: of every product) are served fresh from now
    on: the GI and authorised-user imports call this after writing."""
    store = app.stores.get(page_cache.PAGE_CACHE_STORE)
    if product_ids is None:
        await store.delete_all()
        return
    await page_cache.forget(store, [product_page_path(product_id) for product_id in product_ids])


def category_name(code: str) -> str:
    return i18n.gettext(CATEGORY_NAMES.get(code, code))


def route_name(code: str) -> str:
    return i18n.gettext(ROUTE_NAMES.get(code, code))


def _known_region(code: str, level: str, parent: str = "") -> str:
    """The code if it is a region of that level (under `parent`), else "" (the filter is off)."""
    found = regions.region(code) if code else None
    if found is None or found.level != level or (parent and found.parent_code != parent):
        return ""
    return code


def href_maker(current: dict[str, str]):
    """gi_href(**changes): the address of the list with these filters changed ("" drops one;
    page 1 is the address without a page)."""

    def gi_href(**changes: str | int) -> str:
        params = {key: value for key, value in {**current, **changes}.items() if value}
        if params.get("page") == 1:
            del params["page"]
        return f"/gi?{urlencode(params)}" if params else "/gi"

    return gi_href


class GIController(Controller):
    path = "/gi"

    # No per-visitor CSRF token: the page's forms are GET, and base.html's need none (as the
    # record page; core/page_cache.py).
    @get("/", name="gi", opt={"exclude_from_csrf": True})
    async def directory(
        self,
        request: Request,
        q: FromQuery[str] = "",
        province: FromQuery[str] = "",
        prefecture: FromQuery[str] = "",
        category: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        query = service.clean_query(q)
        province = _known_region(province, regions.PROVINCE)
        prefecture = _known_region(prefecture, regions.PREFECTURE, province) if province else ""
        category = category if category in CATEGORY_NAMES else ""
        filtered = bool(query or province or category)
        context = {
            "query": query,
            "province": regions.region(province) if province else None,
            "prefecture": regions.region(prefecture) if prefecture else None,
            "category": category,
            "results": await service.find_products(
                query, province, prefecture, category, max(page, 1)
            )
            if filtered
            else None,
            "category_name": category_name,
            "gi_href": href_maker(
                {"q": query, "province": province, "prefecture": prefecture, "category": category}
            ),
        }
        if wants_fragment(request):
            return Template(
                "geo_indications/_results.html", context=context, headers={"Vary": VARY_ON_HTMX}
            )
        if not query:  # a search page links to the lists instead (index.html)
            context["places"] = (
                await service.prefecture_counts(province)
                if province
                else await service.province_counts()
            )
            context["categories"] = await service.category_counts(province)  # province-wide
        return Template(
            "geo_indications/index.html", context=context, headers={"Vary": VARY_ON_HTMX}
        )

    @get(
        "/{product_id:int}",
        name="gi-product",
        cache=page_cache.PAGE_LIFETIME_SECONDS,
        cache_key_builder=page_cache.key_for,  # the key the front door reads: locale, elder mode…
        opt={"exclude_from_csrf": True},
        media_type=MediaType.HTML,  # else Litestar guesses it from the file name on every miss
    )
    async def product(self, product_id: FromPath[int]) -> Template:
        page = await service.product_page(product_id)
        if page is None:
            raise NotFoundException
        return Template(
            "geo_indications/product.html",
            context={
                "product": page,
                "users": await check.users_of(product_id),
                "category_name": category_name,
                "route_name": route_name,
            },
        )

    @get("/check", name="gi-check")
    async def authenticity_check(
        self, request: Request, code: FromQuery[str | None] = None
    ) -> Template:
        """Is the producer with this credit code an authorised user? (GET: works without
        JavaScript; htmx swaps the form and its answer.)"""
        answer = await check.check_code(code) if code is not None else None
        template = "_check.html" if wants_fragment(request) else "check.html"
        return Template(
            f"geo_indications/{template}",
            context={"answer": answer, "typed": answer.typed if answer else ""},
            headers={"Vary": VARY_ON_HTMX},
        )

    @get("/packs/{file_name:str}", name="gi-pack")
    async def pack(self, file_name: FromPath[str]) -> Response[ProvincePack]:
        """/gi/packs/<province code>.json: what "Save this province for offline" downloads."""
        code, dot_json, rest = file_name.partition(".json")
        pack = await offline.province_pack(code) if dot_json and not rest else None
        if pack is None:
            raise NotFoundException
        # In the person's language, asked again each time.
        return Response(
            pack, headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"}
        )
