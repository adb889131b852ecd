"""The account page: passkeys, recovery codes, sign-out everywhere, activity, export, delete."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from backend.auth import audit, privacy, service
from backend.auth.guards import current_account, request_meta, signed_in
from backend.auth.routes import FORM, messages
from backend.auth.schemas import (
    CeremonyOptions,
    CeremonyResult,
    DeleteForm,
    RegistrationAnswer,
    RenameForm,
)
from backend.auth.tables import Account


class AccountController(Controller):
    path = "/account"
    guards = [signed_in]

    @get("/", name="account")
    async def account_page(self, request: Request) -> Template:
        account = current_account(request)
        return Template("auth/account.html", context=await _account_context(account))

    @post("/passkeys/options")
    async def registration_options(self, request: Request) -> CeremonyOptions:
        options, ceremony = await service.begin_registration(
            request.app.state.auth, current_account(request)
        )
        return CeremonyOptions(ceremony=ceremony, publicKey=options)

    @post("/passkeys")
    async def add_passkey(
        self, request: Request, data: JSONBody[RegistrationAnswer]
    ) -> Response[CeremonyResult]:
        try:
            await service.finish_registration(
                request.app.state.auth,
                current_account(request),
                data.ceremony,
                data.credential,
                data.name,
                request_meta(request),
            )
        except service.PasskeyProblem as problem:
            result = CeremonyResult(ok=False, message=messages()[problem.reason])
            return Response(result, status_code=400)
        return Response(CeremonyResult(ok=True, redirect="/account"))

    @post("/passkeys/{passkey_id:int}/rename", status_code=303)
    async def rename_passkey(
        self, request: Request, passkey_id: FromPath[int], data: Annotated[RenameForm, FORM]
    ) -> Redirect | Template:
        account = current_account(request)
        try:
            await service.rename_passkey(account, passkey_id, data.name)
        except service.PasskeyProblem as problem:
            return await _account_problem(account, problem)
        return Redirect("/account", status_code=303)

    @post("/passkeys/{passkey_id:int}/remove", status_code=303)
    async def remove_passkey(
        self, request: Request, passkey_id: FromPath[int]
    ) -> Redirect | Template:
        account = current_account(request)
        try:
            await service.remove_passkey(account, passkey_id, request_meta(request))
        except service.PasskeyProblem as problem:
            return await _account_problem(account, problem)
        return Redirect("/account", status_code=303)

    @post("/recovery-codes", status_code=200)
    async def new_recovery_codes(self, request: Request) -> Template:
        codes = await service.new_recovery_codes(
            request.app.state.auth, current_account(request), request_meta(request)
        )
        return Template(
            "auth/recovery_codes.html",
            context={"codes": codes},
            headers={"Cache-Control": "no-store"},
        )

    @post("/sign-out-everywhere", status_code=303)
    async def sign_out_everywhere(self, request: Request) -> Redirect:
        await service.end_all_sessions(current_account(request), request_meta(request))
        request.clear_session()
        return Redirect("/signin", status_code=303)

    @get("/activity")
    async def activity(self, request: Request) -> Template:
        events = await audit.events_of(current_account(request).id)
        return Template("auth/activity.html", context={"events": events})


async def _account_context(account: Account) -> dict:
    return {
        "account": account,
        "passkeys": await service.passkeys_of(account.id),
        "recovery_codes_left": await service.unused_recovery_codes(account.id),
        "errors": {},
    }


async def _account_problem(account: Account, problem: service.PasskeyProblem) -> Template:
    if problem.reason == "not-found":
        raise NotFoundException
    context = await _account_context(account)
    context["errors"] = {"passkeys": messages()[problem.reason]}
    return Template("auth/account.html", context=context, status_code=400)


class PrivacyController(Controller):
    path = "/account"
    guards = [signed_in]

    @get("/export")
    async def export(self, request: Request) -> Response[bytes]:
        data = await privacy.export_account(
            current_account(request), request_meta(request), request.app.state.privacy_parts
        )
        return Response(
            msgspec.json.format(msgspec.json.encode(data)),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="ip-handheld-my-data.json"',
                "Cache-Control": "no-store",
            },
        )

    @get("/delete")
    async def confirm_delete(self) -> Template:
        return Template("auth/delete.html", context={"errors": {}})

    @post("/delete", status_code=303)
    async def delete(
        self, request: Request, data: Annotated[DeleteForm, FORM]
    ) -> Redirect | Template:
        if data.confirm != "yes":
            errors = {"confirm": messages()["confirm-delete"]}
            return Template("auth/delete.html", context={"errors": errors}, status_code=400)
        await privacy.delete_account(
            current_account(request),
            request_meta(request),
            request.app.state.privacy_parts,
            request.app.state.settings.var_path,
        )
        request.clear_session()
        return Redirect("/?deleted=1", status_code=303)
