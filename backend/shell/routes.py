"""The shell's pages: thin handlers that call the shell service and render."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from backend.auth import service as auth_service
from backend.auth.guards import current_account
from backend.core import i18n, site_search
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.core.security import same_origin_only
from backend.core.static_assets import StaticAssets
from backend.core.urls import safe_next
from backend.shell import service
from backend.shell.schemas import ElderModeChoice, LocaleChoice, WebAppManifest

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
ONE_YEAR = 365 * 24 * 3600
ALL_OF_A_GROUP = 100  # a group's own page: every service or guide; records have /records


def _preference_cookie(request: Request, key: str, value: str) -> Cookie:
    secure = request.app.state.settings.cookies_secure
    return Cookie(
        key=key,
        value=value,
        max_age=ONE_YEAR,
        samesite="lax",
        httponly=True,
        secure=secure,
        path="/",
    )


class ShellController(Controller):
    @get("/", name="home", cache_control=None)
    async def home(self) -> Template:
        return Template("shell/home.html", context={"tasks": service.top_tasks()})

    @get("/search", name="search")
    async def search(
        self, request: Request, q: FromQuery[str] = "", group: FromQuery[str] = ""
    ) -> Template | Redirect | ClientRedirect:
        """Every domain's results for the query, or one domain's (`group`) in full; a query
        that is a whole number goes to its record."""
        only = group if group in {source.key for source in request.app.state.search_sources} else ""
        limit = site_search.HITS_PER_GROUP if not only else ALL_OF_A_GROUP
        outcome = await site_search.search(request.app.state.search_sources, q, only, limit)
        if outcome.go_to:
            if wants_fragment(request):
                return ClientRedirect(outcome.go_to)
            return Redirect(outcome.go_to, status_code=303)
        context = {"outcome": outcome, "query": outcome.query, "group": only}
        template = "shell/_search_results.html" if wants_fragment(request) else "shell/search.html"
        return Template(template, context=context, headers={"Vary": VARY_ON_HTMX})

    @get("/offline", name="offline")
    async def offline(self) -> Template:
        return Template("shell/offline.html")

    @get("/manifest.webmanifest", media_type="application/manifest+json")
    async def manifest(self, request: Request) -> Response[WebAppManifest]:
        assets: StaticAssets = request.app.state.assets
        return Response(
            service.web_app_manifest(assets.icon_url),
            media_type="application/manifest+json",
            headers={"Vary": "Cookie, Accept-Language", "Cache-Control": "no-cache"},
        )

    @get("/sw.js", media_type="text/javascript")
    async def service_worker(self, request: Request) -> Response[str]:
        return Response(
            request.app.state.service_worker_source,
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

    # Shown on pages cached for everyone, so checked by origin rather than a CSRF token.
    @post(
        "/preferences/locale",
        status_code=303,
        guards=[same_origin_only],
        opt={"exclude_from_csrf": True},
    )
    async def choose_locale(
        self, request: Request, data: Annotated[LocaleChoice, FORM]
    ) -> Redirect:
        if data.locale not in i18n.LOCALES:
            raise ValidationException(detail="unknown locale")
        if account := current_account(request):
            await auth_service.remember_locale(account, data.locale)
            request.session["locale"] = data.locale
        cookie = _preference_cookie(request, i18n.LOCALE_COOKIE, data.locale)
        return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])

    @post(
        "/preferences/elder-mode",
        status_code=303,
        guards=[same_origin_only],
        opt={"exclude_from_csrf": True},
    )
    async def choose_elder_mode(
        self, request: Request, data: Annotated[ElderModeChoice, FORM]
    ) -> Redirect:
        value = "1" if data.enabled == "1" else "0"
        cookie = _preference_cookie(request, i18n.ELDER_COOKIE, value)
        return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])
