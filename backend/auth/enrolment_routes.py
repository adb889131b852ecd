"""Staff enrolment links, and the admin's view of the whole audit log."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from backend.auth import audit, enrolment, service
from backend.auth.guards import request_meta, role_in
from backend.auth.routes import messages, reading_locale, sign_in
from backend.auth.schemas import CeremonyOptions, CeremonyResult, RegistrationAnswer
from backend.auth.tables import Account


class EnrolmentController(Controller):
    path = "/enrol/{token:str}"

    @get("/")
    async def enrolment_page(self, request: Request, token: FromPath[str]) -> Template:
        try:
            account = await enrolment.account_for_link(request.app.state.auth, token)
        except enrolment.EnrolmentLinkInvalid:
            return Template(
                "auth/enrol.html",
                context={"account": None, "problem": messages()["link-invalid"]},
                status_code=404,
            )
        return Template(
            "auth/enrol.html", context={"account": account, "token": token, "problem": ""}
        )

    @post("/options")
    async def options(self, request: Request, token: FromPath[str]) -> CeremonyOptions:
        try:
            options, ceremony = await enrolment.begin_enrolment(request.app.state.auth, token)
        except enrolment.EnrolmentLinkInvalid as error:
            raise NotFoundException from error
        return CeremonyOptions(ceremony=ceremony, publicKey=options)

    @post("/", status_code=200)
    async def finish(
        self, request: Request, token: FromPath[str], data: JSONBody[RegistrationAnswer]
    ) -> Response[CeremonyResult]:
        env = request.app.state.auth
        try:
            account = await enrolment.finish_enrolment(
                env,
                token,
                data.ceremony,
                data.credential,
                request_meta(request),
                reading_locale(request),
            )
        except enrolment.EnrolmentLinkInvalid:
            return Response(
                CeremonyResult(ok=False, message=messages()["link-invalid"]), status_code=404
            )
        except service.PasskeyProblem as problem:
            return Response(
                CeremonyResult(ok=False, message=messages()[problem.reason]), status_code=400
            )
        sign_in(request, account, env)
        return Response(CeremonyResult(ok=True, redirect="/account"))


class AdminAuditController(Controller):
    path = "/admin/audit"
    guards = [role_in(Account.Role.admin)]

    @get("/")
    async def all_events(self) -> Template:
        return Template(
            "auth/activity.html", context={"events": await audit.all_events(), "everyone": True}
        )
