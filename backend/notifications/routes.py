"""The inbox (/my/inbox, with its unread badge) and the opt-ins (/account/notifications)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from backend.auth.guards import current_account, signed_in
from backend.notifications import service


class InboxController(Controller):
    guards = [signed_in]

    @get("/my/inbox")
    async def inbox(self, request: Request) -> Template:
        account = current_account(request)
        entries = await service.inbox_of(account.id)
        await service.mark_all_read(account.id, request.app.state.auth.clock())
        return Template(
            "notifications/inbox.html",
            context={"entries": entries},
            headers={"Cache-Control": "private, no-store"},
        )

    @get("/my/inbox/badge")
    async def badge(self, request: Request) -> Template:
        count = await service.unread_count(current_account(request).id)
        return Template(
            "notifications/_badge.html",
            context={"count": count},
            headers={"Cache-Control": "private, no-store"},
        )

    @get("/account/notifications")
    async def preferences(self, request: Request) -> Template:
        preferences = await service.preferences_of(current_account(request).id)
        return Template(
            "notifications/preferences.html",
            context={"preferences": preferences, "kinds": service.KINDS},
        )

    @post("/account/notifications", status_code=303)
    async def save_preferences(self, request: Request) -> Redirect:
        form = await request.form()
        email = {kind for kind in service.KINDS if form.get(f"email-{kind}") == "1"}
        push = {kind for kind in service.KINDS if form.get(f"push-{kind}") == "1"}
        await service.set_preferences(current_account(request).id, email, push)
        return Redirect("/account/notifications?saved=1", status_code=303)
