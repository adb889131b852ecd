"""The figures of reviews: the supervisor's dashboard (/supervisor) with its CSV, and the public
disclosure (/disclosure) with each outlet's summary (/disclosure/outlets/{id}), which the outlet
page pulls in as a fragment (DESIGN.md: a page's piece from another domain is that domain's
fragment, not an import).

The dashboard's filters are a GET form: each handler answers the page, or for htmx only the
fragment that changed, from the same URL.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from backend.auth.guards import role_in
from backend.auth.tables import Account
from backend.core import page_cache
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.reviews import disclosure, figure_views, figures, figures_csv, published
from backend.reviews import figure_pages as pages
from backend.reviews.figure_views import Chosen
from backend.reviews.figures import Filters

PRIVATE = {"Cache-Control": "private, no-store"}
# Public, but counted afresh as reviews arrive: a browser asks again every time.
PUBLIC = {"Cache-Control": "no-cache"}
CASES_A_PAGE = 20


def _chosen(
    by: FromQuery[str] = "",
    first: Annotated[str, QueryParameter(name="from")] = "",
    last: Annotated[str, QueryParameter(name="to")] = "",
    outlet: FromQuery[str] = "",
    kind: Annotated[str, QueryParameter(name="type")] = "",
    channel: FromQuery[str] = "",
) -> Chosen:
    return Chosen.read(by, first, last, outlet, kind, channel)


class SupervisorController(Controller):
    path = "/supervisor"
    guards = [role_in(Account.Role.supervisor)]
    dependencies = {"chosen": Provide(_chosen, sync_to_thread=False)}

    @get("/", name="supervisor")
    async def dashboard(self, request: Request, chosen: NamedDependency[Chosen]) -> Template:
        context = await pages.dashboard(chosen)
        if wants_fragment(request):
            return Template("reviews/_figures.html", context=context, headers=_varying(PRIVATE))
        context.update(await figure_views.filter_choices())
        return Template("reviews/supervisor.html", context=context, headers=_varying(PRIVATE))

    @get("/figures.csv", name="supervisor-figures-csv")
    async def figures_csv(self, chosen: NamedDependency[Chosen]) -> Response[bytes]:
        table = await pages.figure_table(chosen)
        disposition = f'attachment; filename="{figures_csv.csv_name(chosen)}"'
        return Response(
            figures_csv.csv_of(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition, **PRIVATE},
        )


def _disclosure_key(request: Request) -> str:
    """One entry a page of cases, all under the disclosure's generation (the first under the
    key the front door reads, app.py): a write forgets them all by forgetting the generation,
    one delete (published.py)."""
    try:
        page = _page(int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    path = published.DISCLOSURE_PATH if page == 1 else f"{published.DISCLOSURE_PATH}?page={page}"
    return page_cache.in_generation(published.DISCLOSURE_PATH, page_cache.key_for(request, path))


class DisclosureController(Controller):
    path = "/disclosure"

    @get(
        "/",
        name="disclosure",
        cache=published.LIFETIME_SECONDS,
        cache_key_builder=_disclosure_key,
        media_type=MediaType.HTML,  # else Litestar guesses it from the file name on every miss
    )
    async def disclosure(self, request: Request, page: FromQuery[int] = 1) -> Template:
        page = _page(page)
        counted = await disclosure.published()
        cases, more = await disclosure.rectified_cases(CASES_A_PAGE, (page - 1) * CASES_A_PAGE)
        context = await pages.disclosure_page(counted, cases)
        context.update(page=page, more=more, cases_href="/disclosure")
        return Template("reviews/disclosure.html", context=context, headers=PUBLIC)

    @get("/outlets/{outlet_id:int}", name="disclosure-outlet")
    async def outlet(
        self, request: Request, outlet_id: FromPath[int], page: FromQuery[int] = 1
    ) -> Template:
        """The outlet's summary: the fragment its outlet page pulls in, or a page of its own
        with its cases put right (where the outlet page links without JavaScript)."""
        name = (await figure_views.outlet_names([outlet_id])).get(outlet_id)
        if name is None:
            raise NotFoundException
        counted = await figures.totals(Filters(outlet_id=outlet_id))
        summary = pages.outlet_summary(
            outlet_id, name, msgspec.structs.replace(counted, key=outlet_id)
        )
        if wants_fragment(request):
            fragment = "reviews/_outlet_summary.html"
            return Template(fragment, context=summary, headers=_varying(PUBLIC))
        page = _page(page)
        cases, more = await disclosure.rectified_cases(
            CASES_A_PAGE, (page - 1) * CASES_A_PAGE, outlet_id=outlet_id
        )
        context = {**summary, **await pages.public_cases(cases), "page": page, "more": more}
        context.update(own_page=True, cases_href=f"/disclosure/outlets/{outlet_id}")
        return Template("reviews/outlet_figures.html", context=context, headers=_varying(PUBLIC))


def _page(page: int) -> int:
    return max(1, min(page, 10_000))


def _varying(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Vary": VARY_ON_HTMX}
