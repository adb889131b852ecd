"""Guide pages: the list by category, one guide, what is saved offline, and the offline index."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.guides import service
from backend.guides.content import CATEGORIES

CATEGORY_NAMES = {
    "patents": N_("Patents"),
    "trademarks": N_("Trademarks"),
    "geographical-indications": N_("Geographical indications"),
    "ic-layout-designs": N_("Integrated-circuit layout designs"),
    "fees-and-reductions": N_("Fees and reductions"),
    "online-services": N_("Online services"),
    "protection-and-enforcement": N_("Protection and enforcement"),
}


def category_name(code: str) -> str:
    return i18n.gettext(CATEGORY_NAMES.get(code, code))


class GuideController(Controller):
    path = "/guides"

    @get("/", name="guides")
    async def guides(self) -> Template:
        pages = await service.all_guides(i18n.current_locale())
        by_category = {
            code: [page for page in pages if page.category == code] for code in CATEGORIES
        }
        return Template(
            "guides/index.html",
            context={
                "recent": pages[:5],
                "by_category": by_category,
                "category_name": category_name,
            },
        )

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
