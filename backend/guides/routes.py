"""Guide pages: the list by category, one guide, what is saved offline, and the offline index."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.guides import offline, search, service
from backend.guides.content import CATEGORIES
from backend.guides.schemas import OfflinePack, SearchIndex

CATEGORY_NAMES = {
    "patents": N_("Patents"),
    "trademarks": N_("Trademarks"),
    "geographical-indications": N_("Geographical indications"),
    "ic-layout-designs": N_("Integrated-circuit layout designs"),
    "fees-and-reductions": N_("Fees and reductions"),
    "online-services": N_("Online services"),
    "protection-and-enforcement": N_("Protection and enforcement"),
}
# The offline JSON follows the person's language; the service worker asks again each time.
JSON_HEADERS = {"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"}


def category_name(code: str) -> str:
    return i18n.gettext(CATEGORY_NAMES.get(code, code))


class GuideController(Controller):
    path = "/guides"

    @get("/", name="guides")
    async def guides(self, q: FromQuery[str] = "") -> Template:
        pages = await service.all_guides(i18n.current_locale())
        query = q.strip()[: search.MAX_QUERY]
        by_category = {
            code: [page for page in pages if page.category == code] for code in CATEGORIES
        }
        return Template(
            "guides/index.html",
            context={
                "query": query,
                "results": search.matching(pages, query),
                "recent": pages[:5],
                "by_category": by_category,
                "category_name": category_name,
            },
        )

    @get("/offline-pack.json", name="guides-offline-pack")
    async def offline_pack(self) -> Response[OfflinePack]:
        pack = await offline.offline_pack(i18n.current_locale())
        return Response(pack, headers=JSON_HEADERS)

    @get("/search-index.json", name="guides-search-index")
    async def search_index(self) -> Response[SearchIndex]:
        index = await search.search_index(i18n.current_locale())
        return Response(index, headers=JSON_HEADERS)

    @get("/saved", name="saved-guides")
    async def saved(self) -> Template:
        return Template("guides/saved.html")

    @get("/{slug:str}", name="guide")
    async def guide(self, request: Request, slug: FromPath[str]) -> Template:
        page = await service.guide_page(slug, i18n.current_locale())
        if page is None:
            raise NotFoundException
        return Template(
            "guides/guide.html",
            context={
                "page": page,
                "category_name": category_name,
            },
        )

    @get("/{slug:str}/history", name="guide-history")
    async def history(self, slug: FromPath[str]) -> Template:
        versions = await service.history(slug, i18n.current_locale())
        if not versions:
            raise NotFoundException
        return Template("guides/history.html", context={"slug": slug, "versions": versions})
