"""Sign-up, sign-in (passkey, e-mail code, recovery code), the account page and sign-out."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody
from litestar.response import Redirect, Template

from backend.auth import service
from backend.auth.guards import request_meta, too_many_requests
from backend.auth.limits import RateLimited
from backend.auth.schemas import (
    CeremonyOptions,
    CeremonyResult,
    CodeForm,
    CodeRequestForm,
    RecoveryForm,
    SignInAnswer,
    SignUpForm,
)
from backend.auth.sessions import signed_in_session
from backend.auth.tables import Account
from backend.core import i18n
from backend.core.sessions import rotate_session
from backend.core.urls import safe_next

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def messages() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "email": _("Enter an e-mail address like name@example.com."),
        "display_name": _("Enter the name we should call you."),
        "expired": _("This code has expired or was never sent. Ask for a new one."),
        "too-many-tries": _("This code was tried too many times. Ask for a new one."),
        "wrong": _("This code is not right. Check the e-mail and type the 6 digits again."),
        "no-account": _("There is no account for this address yet. Sign up first."),
        "sign-in-failed": _("Sign-in did not work. Try again, or choose another way to sign in."),
        "rejected": _("This passkey could not be saved. Try again."),
        "last-passkey": _(
            "This is your only passkey. Create recovery codes first, so you can still sign in."
        ),
        "name-empty": _("Give the passkey a name."),
        "confirm-delete": _("Tick the box to confirm that you want to delete your account."),
        "link-invalid": _(
            "This link has expired or was already used. Ask an administrator for a new one."
        ),
    }


def reading_locale(request: Request) -> str | None:
    """The language this page is in when the person's switch or browser put it there."""
    return i18n.preferred_locale_for_connection(request.cookies, request.headers, request.session)


def sign_in(request: Request, account: Account, env: service.AuthEnvironment) -> None:
    request.scope["session"] = signed_in_session(account, env.now_seconds())
    rotate_session(request.scope)


class AuthController(Controller):
    @get("/signin", name="signin")
    async def sign_in_page(self, request: Request, next: FromQuery[str] = "/account") -> Template:
        return Template("auth/signin.html", context={"next": safe_next(next), "errors": {}})

    @get("/signup", name="signup")
    async def sign_up_page(self, next: FromQuery[str] = "/account") -> Template:
        return Template("auth/signup.html", context={"values": {}, "errors": {}})

    @post("/signup", status_code=200)
    async def sign_up(
        self, request: Request, data: Annotated[SignUpForm, FORM]
    ) -> Template | Redirect:
        errors = {}
        if not EMAIL_PATTERN.match(data.email.strip()):
            errors["email"] = messages()["email"]
        if not data.display_name.strip():
            errors["display_name"] = messages()["display_name"]
        if errors:
            return Template(
                "auth/signup.html", context={"values": data, "errors": errors}, status_code=400
            )
        return await _send_code(request, data.email, data.display_name.strip()[:100], "/account")

    @post("/signin/code", status_code=200)
    async def request_code(
        self, request: Request, data: Annotated[CodeRequestForm, FORM]
    ) -> Template | Redirect:
        if not EMAIL_PATTERN.match(data.email.strip()):
            context = {"next": safe_next(data.next), "errors": {"email": messages()["email"]}}
            return Template("auth/signin.html", context=context, status_code=400)
        return await _send_code(request, data.email, None, safe_next(data.next))

    @get("/signin/code")
    async def code_page(self, request: Request) -> Template | Redirect:
        if "pending_email" not in request.session:
            return Redirect("/signin", status_code=303)
        return Template(
            "auth/code.html", context={"email": request.session["pending_email"], "errors": {}}
        )

    @post("/signin/code/verify", status_code=200)
    async def verify_code(
        self, request: Request, data: Annotated[CodeForm, FORM]
    ) -> Template | Redirect:
        env = request.app.state.auth
        email = request.session.get("pending_email")
        if not email:
            return Redirect("/signin", status_code=303)
        try:
            account = await service.verify_code(
                env, email, data.code, request_meta(request), reading_locale(request)
            )
        except service.CodeProblem as problem:
            context = {"email": email, "errors": {"code": messages()[problem.reason]}}
            return Template("auth/code.html", context=context, status_code=400)
        next_path = request.session.get("pending_next", "/account")
        sign_in(request, account, env)
        return Redirect(next_path, status_code=303)

    @post("/signin/recovery", status_code=200)
    async def recovery_sign_in(
        self, request: Request, data: Annotated[RecoveryForm, FORM]
    ) -> Template | Redirect:
        env = request.app.state.auth
        try:
            account = await service.sign_in_with_recovery_code(
                env, data.email, data.code, request_meta(request)
            )
        except RateLimited as error:
            raise too_many_requests(error) from error
        except service.SignInFailed:
            context = {
                "next": safe_next(data.next),
                "errors": {"recovery": messages()["sign-in-failed"]},
            }
            return Template("auth/signin.html", context=context, status_code=400)
        sign_in(request, account, env)
        return Redirect(safe_next(data.next), status_code=303)

    @post("/auth/passkeys/sign-in/options")
    async def sign_in_options(self, request: Request) -> CeremonyOptions:
        options, ceremony = await service.begin_sign_in(request.app.state.auth)
        return CeremonyOptions(ceremony=ceremony, publicKey=options)

    @post("/auth/passkeys/sign-in", status_code=200)
    async def finish_sign_in(
        self, request: Request, data: JSONBody[SignInAnswer]
    ) -> Response[CeremonyResult]:
        env = request.app.state.auth
        try:
            account = await service.finish_sign_in(
                env, data.ceremony, data.credential, request_meta(request)
            )
        except RateLimited as error:
            raise too_many_requests(error) from error
        except service.SignInFailed:
            result = CeremonyResult(ok=False, message=messages()["sign-in-failed"])
            return Response(result, status_code=400)
        sign_in(request, account, env)
        return Response(CeremonyResult(ok=True, redirect=safe_next(data.next, "/account")))

    @post("/signout", status_code=303)
    async def sign_out(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/", status_code=303)


async def _send_code(
    request: Request, email: str, display_name: str | None, next_path: str
) -> Redirect:
    try:
        await service.request_code(
            request.app.state.auth, email, display_name, request_meta(request)
        )
    except RateLimited as error:
        raise too_many_requests(error) from error
    request.session["pending_email"] = service.normalise_email(email)
    request.session["pending_next"] = next_path
    return Redirect("/signin/code", status_code=303)
