"""Staff edit a guide in the console, with a preview; each save publishes a new version."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth.guards import role_in
from backend.auth.tables import Account
from backend.core import i18n
from backend.core.htmx import wants_fragment
from backend.guides import service
from backend.guides.content import render

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class GuideEdit(msgspec.Struct):
    title: str = ""
    summary: str = ""
    markdown: str = ""


class StaffGuideController(Controller):
    path = "/staff/guides"
    guards = [role_in(Account.Role.staff, Account.Role.supervisor, Account.Role.admin)]

    @get("/")
    async def guides(self) -> Template:
        pages = await service.all_guides(i18n.current_locale())
        return Template("guides/staff_list.html", context={"pages": pages})

    @get("/{slug:str}")
    async def edit(self, slug: FromPath[str], locale: FromQuery[str] = "") -> Template:
        page = await _page(slug, locale)
        values = GuideEdit(page.version.title, page.version.summary, page.version.body_markdown)
        return Template(
            "guides/staff_edit.html",
            context={
                "page": page,
                "values": values,
                "preview": render(values.markdown).html,
                "errors": {},
            },
        )

    @post("/{slug:str}/preview", status_code=200)
    async def preview(
        self,
        request: Request,
        slug: FromPath[str],
        data: Annotated[GuideEdit, FORM],
        locale: FromQuery[str] = "",
    ) -> Template:
        """htmx swaps in the preview; without JavaScript the whole form comes back with it."""
        preview = render(data.markdown).html
        if wants_fragment(request):
            return Template("guides/_preview.html", context={"preview": preview})
        return Template(
            "guides/staff_edit.html",
            context={
                "page": await _page(slug, locale),
                "values": data,
                "preview": preview,
                "errors": {},
            },
        )

    @post("/{slug:str}", status_code=303)
    async def save(
        self,
        request: Request,
        slug: FromPath[str],
        data: Annotated[GuideEdit, FORM],
        locale: FromQuery[str] = "",
    ) -> Redirect | Template:
        page = await _page(slug, locale)
        if not data.title.strip() or not data.markdown.strip():
            errors = {"title": i18n.gettext("A guide needs a title and a text.")}
            return Template(
                "guides/staff_edit.html",
                status_code=400,
                context={
                    "page": page,
                    "values": data,
                    "preview": render(data.markdown).html,
                    "errors": errors,
                },
            )
        today = request.app.state.auth.clock().date()
        await service.publish_edit(page, data.title, data.summary, data.markdown, today)
        return Redirect(f"/guides/{page.slug}", status_code=303)


async def _page(slug: str, locale: str) -> service.GuidePage:
    page = await service.guide_page(slug, locale if locale in i18n.LOCALES else "zh_Hans")
    if page is None:
        raise NotFoundException
    return page
