"""Certificate pages (/my/certificates, /verify, /share) and the data interface (/api/v1)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery
from litestar.response import File, Redirect, Template

from backend.auth.guards import current_account, signed_in
from backend.certificates import api_keys, evaluation, service
from backend.certificates.schemas import (
    ApiProblem,
    EvaluationReportAnswer,
    IssueForm,
    PublicCertificate,
    ShareForm,
)
from backend.certificates.signing import office_key
from backend.core import i18n
from backend.core.request_log import request_id_of
from backend.inquiries import service as inquiries
from backend.inquiries.numbers import InvalidNumber

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_MULTIPART_OVERHEAD = 16 * 1024  # the boundaries and part headers around the file
PRIVATE = {"Cache-Control": "private, no-store"}


def _now(request: Request) -> dt.datetime:
    return request.app.state.auth.clock()


def _origin(request: Request) -> str:
    return request.app.state.settings.origin


class NewShare:
    def __init__(self, url: str, expires_on: dt.date) -> None:
        self.url, self.expires_on = url, expires_on


class MyCertificatesController(Controller):
    path = "/my/certificates"
    guards = [signed_in]

    @get("/", name="my-certificates")
    async def mine(self, request: Request) -> Template:
        return await _mine_page(request)

    @post("/issue", status_code=303)
    async def issue(
        self, request: Request, data: Annotated[IssueForm, FORM]
    ) -> Redirect | Template:
        settings = request.app.state.settings
        try:
            certificate = await service.issue(
                current_account(request),
                data.number,
                office_key(settings),
                settings.var_path,
                settings.origin,
                _now(request),
            )
        except inquiries.RecordNotFound as error:
            raise NotFoundException from error
        except service.NotEligible:
            message = i18n.gettext("This record is not granted or registered: no e-certificate.")
            return await _mine_page(request, errors={"issue": message}, status_code=400)
        return Redirect(f"/my/certificates#certificate-{certificate.code}", status_code=303)

    @get("/{code:str}/pdf")
    async def pdf(self, request: Request, code: FromPath[str]) -> File:
        certificate = await _holders(request, code)
        return File(
            service.pdf_file(certificate, request.app.state.settings.var_path),
            filename=f"e-certificate-{certificate.code}.pdf",
            media_type="application/pdf",
            headers=PRIVATE,
        )

    @post("/{code:str}/share", status_code=200)
    async def share(
        self, request: Request, code: FromPath[str], data: Annotated[ShareForm, FORM]
    ) -> Template:
        now = _now(request)
        try:
            token = await service.make_share_link(current_account(request), code, data.days, now)
        except service.CertificateNotFound as error:
            raise NotFoundException from error
        except ValueError:
            message = i18n.gettext("Choose how long the link works: 1, 7 or 30 days.")
            return await _mine_page(request, errors={"days": message}, status_code=400)
        expires = (now + dt.timedelta(days=int(data.days))).astimezone(service.BEIJING).date()
        link = NewShare(f"{_origin(request)}/share/{token}", expires)
        return await _mine_page(request, new_share=link)

    @post("/shares/{link_id:int}/withdraw", status_code=303)
    async def withdraw(self, request: Request, link_id: FromPath[int]) -> Redirect:
        try:
            await service.withdraw_share_link(current_account(request), link_id, _now(request))
        except service.CertificateNotFound as error:
            raise NotFoundException from error
        return Redirect("/my/certificates", status_code=303)


async def _mine_page(
    request: Request,
    errors: dict | None = None,
    new_share: NewShare | None = None,
    status_code: int = 200,
) -> Template:
    mine = await service.my_certificates(
        current_account(request), _now(request).date(), _origin(request)
    )
    return Template(
        "certificates/mine.html",
        context={"mine": mine, "errors": errors or {}, "new_share": new_share},
        status_code=status_code,
        headers=PRIVATE,
    )


async def _holders(request: Request, code: str):
    try:
        return await service.holders_certificate(current_account(request), code)
    except service.CertificateNotFound as error:
        raise NotFoundException from error


class VerifyController(Controller):
    @get("/verify", name="verify-lookup")
    async def lookup(self, code: FromQuery[str] = "") -> Template | Redirect:
        if code.strip():
            canonical = service.normalised_code(code) or code.strip()
            return Redirect(f"/verify/{canonical}", status_code=303)
        return Template("certificates/lookup.html")

    @get("/verify/{code:str}", name="verify")
    async def verify(self, request: Request, code: FromPath[str]) -> Template:
        try:
            certificate = await service.certificate_by_code(code)
        except service.CertificateNotFound:
            return _unknown(code)
        return _verify_page(request, certificate)

    @post(
        "/verify/{code:str}/check",
        status_code=200,
        request_max_body_size=MAX_UPLOAD_BYTES + _MULTIPART_OVERHEAD,
        # Checking a file changes nothing: no CSRF token, so the middleware never parses the body.
        opt={"exclude_from_csrf": True},
    )
    async def check(self, request: Request, code: FromPath[str]) -> Template:
        try:
            certificate = await service.certificate_by_code(code)
        except service.CertificateNotFound:
            return _unknown(code)
        pdf = await _uploaded_pdf(request)
        if isinstance(pdf, tuple):
            message, status_code = pdf
            return _verify_page(
                request, certificate, errors={"pdf": message}, status_code=status_code
            )
        key = office_key(request.app.state.settings)
        found = await service.check_upload(certificate, pdf, key)
        return _verify_page(request, certificate, check=found)

    @get("/share/{token:str}", name="share")
    async def shared(self, request: Request, token: FromPath[str]) -> Template:
        now = _now(request)
        try:
            certificate, expires_at = await service.shared_certificate(token, now)
        except service.CertificateNotFound as error:
            raise NotFoundException from error
        except service.ShareLinkGone:
            return Template("certificates/share_gone.html", status_code=410, headers=PRIVATE)
        return _verify_page(
            request, certificate, shared_until=expires_at.astimezone(service.BEIJING).date()
        )


def _verify_page(
    request: Request,
    certificate,
    *,
    check=None,
    errors=None,
    status_code=200,
    shared_until: dt.date | None = None,
) -> Template:
    return Template(
        "certificates/verify.html",
        context={
            "cert": service.public_view(certificate, _origin(request)),
            "check": check,
            "errors": errors or {},
            "shared_until": shared_until,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


async def _uploaded_pdf(request: Request) -> bytes | tuple[str, int]:
    """The uploaded file, or why not and the status to answer with.

    The route's body limit refuses a declared or streamed body over it before it is all read.
    """
    too_large = (i18n.gettext("The file is larger than 5 MB."), 413)
    try:
        upload = (await request.form()).get("pdf")
    except RequestEntityTooLarge:
        return too_large
    if not isinstance(upload, UploadFile):
        return i18n.gettext("Choose a PDF file to check."), 400
    pdf = await upload.read(MAX_UPLOAD_BYTES + 1)
    await upload.close()
    if not pdf:
        return i18n.gettext("The file is empty."), 400
    return too_large if len(pdf) > MAX_UPLOAD_BYTES else pdf


def _unknown(code: str) -> Template:
    return Template("certificates/unknown.html", context={"code": code[:40]}, status_code=404)


# The data interface ------------------------------------------------------------------------

_CERTIFICATE_EXAMPLE = {
    "code": "7KQM-X3TD-9PRA-H4WN",
    "status": "valid",
    "current_code": None,
    "kind": "utility_model",
    "number": "202220123456.7",
    "title": "一种节水灌溉喷头",
    "holder": "张三; 西安秦川科技有限公司",
    "granted_on": "2023-04-18",
    "issued_at": "2026-12-03T10:15:00+08:00",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "verify_url": "https://ip.example.gov.cn/verify/7KQM-X3TD-9PRA-H4WN",
    "revoked_at": None,
    "revoked_reason": None,
}
_REPORT_EXAMPLES = [
    Example(
        summary="A report on file",
        value={
            "number": "202220123456.7",
            "kind": "utility_model",
            "applicable": True,
            "on_file": True,
            "issued_on": "2023-08-16",
            "conclusion": "no_defects_found",
            "note": "the latest evaluation report on file",
        },
    ),
    Example(
        summary="None on file",
        value={
            "number": "202330234567.5",
            "kind": "design",
            "applicable": True,
            "on_file": False,
            "issued_on": None,
            "conclusion": None,
            "note": "no evaluation report on file for this patent",
        },
    ),
]


def _problem(status: int, title: str, detail: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ApiProblem,
        description=title,
        generate_examples=False,
        examples=[
            Example(summary=title, value={"status": status, "title": title, "detail": detail})
        ],
    )


_REFUSALS = {
    401: _problem(401, "No live API key", "send a live API key in the X-API-Key header"),
    429: _problem(429, "Too many calls", "this key's calls per minute are used up"),
}


def _api_problem(request: Request, exc: HTTPException) -> Response:
    """The interface's errors say what went wrong, in English, for the developer reading them."""
    return Response(
        ApiProblem(
            status=exc.status_code,
            title=exc.__class__.__name__,
            detail=exc.detail,
            request_id=request_id_of(request.scope),
        ),
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
        media_type=MediaType.JSON,
    )


class CertificateApiController(Controller):
    """For other systems (e-commerce platforms, banks): a key per system, limited and audited."""

    path = "/api/v1"
    guards = [api_keys.api_key_required]
    middleware = [api_keys.audited]
    security = [{api_keys.SECURITY_SCHEME: []}]
    exception_handlers = {HTTPException: _api_problem}
    tags = ["data interface"]

    @get(
        "/certificates/{code:str}",
        summary="A certificate's status and public facts",
        responses={
            200: ResponseSpec(
                data_container=PublicCertificate,
                description="The certificate: valid, revoked, or superseded (then current_code)",
                generate_examples=False,
                examples=[Example(summary="A valid certificate", value=_CERTIFICATE_EXAMPLE)],
            ),
            404: _problem(404, "Unknown code", "no certificate has this code"),
            **_REFUSALS,
        },
    )
    async def certificate(self, request: Request, code: FromPath[str]) -> PublicCertificate:
        """What the /verify page shows of the certificate with this code, as JSON."""
        try:
            certificate = await service.certificate_by_code(code)
        except service.CertificateNotFound as error:
            raise NotFoundException(detail="no certificate has this code") from error
        return service.public_view(certificate, _origin(request))

    @get(
        "/records/{number:str}/evaluation-report",
        summary="Whether a patent evaluation report is on file, and its conclusion",
        responses={
            200: ResponseSpec(
                data_container=EvaluationReportAnswer,
                description="applicable: a utility-model or design patent; on_file: a report "
                "exists; conclusion: the latest report's",
                generate_examples=False,
                examples=_REPORT_EXAMPLES,
            ),
            400: _problem(400, "Invalid number", "not a valid application or patent number"),
            404: _problem(404, "Unknown record", "no record has this number"),
            **_REFUSALS,
        },
    )
    async def evaluation_report(self, number: FromPath[str]) -> EvaluationReportAnswer:
        try:
            return await evaluation.evaluation_report(number)
        except InvalidNumber as error:
            raise ValidationException(detail=inquiries.invalid_number_message(error)) from error
        except inquiries.RecordNotFound as error:
            raise NotFoundException(detail="no record has this number") from error
