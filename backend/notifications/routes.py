"""The inbox (/my/inbox, with its unread badge), the opt-ins (/account/notifications) and
this device's Web Push subscription (/account/push-subscriptions)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from backend.auth.guards import current_account, signed_in
from backend.core import i18n
from backend.notifications import push, service
from backend.notifications.schemas import PushEndpoint, PushResult, PushSubscriptionJSON


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

    @get("/account/notifications")
    async def preferences(self, request: Request) -> Template:
        account = current_account(request)
        return Template(
            "notifications/preferences.html",
            context={
                "preferences": await service.preferences_of(account.id),
                "kinds": service.KINDS,
                "devices": await service.subscription_count(account.id),
                "application_server_key": request.app.state.push.application_server_key,
            },
            headers={"Cache-Control": "private, no-store"},
        )

    @post("/account/notifications", status_code=303)
    async def save_preferences(self, request: Request) -> Redirect:
        form = await request.form()
        email = {kind for kind in service.KINDS if form.get(f"email-{kind}") == "1"}
        push = {kind for kind in service.KINDS if form.get(f"push-{kind}") == "1"}
        await service.set_preferences(current_account(request).id, email, push)
        return Redirect("/account/notifications?saved=1", status_code=303)

    @post("/account/push-subscriptions", status_code=201)
    async def add_push_subscription(
        self, request: Request, data: JSONBody[PushSubscriptionJSON]
    ) -> Response[PushResult]:
        _ = i18n.gettext
        if not request.app.state.push.accepts(data.endpoint):
            message = _("This browser's push service is not one we can send to.")
            return Response(PushResult(ok=False, message=message), status_code=400)
        if not push.keys_valid(data.keys.p256dh, data.keys.auth):
            message = _("This browser sent keys we cannot use. Try again.")
            return Response(PushResult(ok=False, message=message), status_code=400)
        await service.save_subscription(
            current_account(request).id, data.endpoint, data.keys.p256dh, data.keys.auth
        )
        return Response(PushResult(ok=True), status_code=201)

    @post("/account/push-subscriptions/remove", status_code=200)
    async def remove_push_subscription(
        self, request: Request, data: JSONBody[PushEndpoint]
    ) -> PushResult:
        """Only the person's own subscription; the same answer whether or not it existed."""
        await service.remove_subscription(current_account(request).id, data.endpoint)
        return PushResult(ok=True)


@get("/my/inbox/badge")
async def inbox_badge(request: Request) -> Template:
    """Signed out (a page saved offline, opened later): an empty badge, not a sign-in page."""
    account = current_account(request)
    count = await service.unread_count(account.id) if account else 0
    return Template(
        "notifications/_badge.html",
        context={"count": count},
        headers={"Cache-Control": "private, no-store"},
    )
