"""The office's side of e-certificates (/staff/certificates): find one by its code or a record's
number, and revoke it with a reason that /verify shows to everyone who checks it.

Only supervisors: revoking is an office-wide decision, as the review figures are; staff and
applicants are refused by the guard (403), someone signed out is sent to sign in. Each
revocation is audited and its holder, if their account still exists, told in their language.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth import audit
from backend.auth.guards import current_account, request_meta, role_in
from backend.auth.tables import Account
from backend.certificates import notices, service
from backend.certificates.schemas import RevokeForm
from backend.certificates.tables import Certificate
from backend.core import i18n
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.inquiries.numbers import InvalidNumber

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
SUPERVISOR = role_in(Account.Role.supervisor)


class StaffCertificatesController(Controller):
    path = "/staff/certificates"
    guards = [SUPERVISOR]

    @get("/", name="staff-certificates")
    async def find(
        self, request: Request, q: FromQuery[str] = "", revoked: FromQuery[str] = ""
    ) -> Template:
        """`revoked`: the code just revoked, after the form's redirect (no JavaScript)."""
        return await _page(request, q, revoked=service.normalised_code(revoked))

    @post("/{code:str}/revoke", status_code=303)
    async def revoke(
        self, request: Request, code: FromPath[str], data: Annotated[RevokeForm, FORM]
    ) -> Redirect | Template:
        try:
            certificate, revoked_now = await service.revoke(
                code, data.reason, request.app.state.auth.clock()
            )
        except service.CertificateNotFound as error:
            raise NotFoundException from error
        except service.ReasonRefused as refused:
            canonical = service.normalised_code(code)
            errors = {f"reason-{canonical}": _reason_message(str(refused))}
            values = {"code": canonical, "reason": data.reason}
            return await _page(request, canonical, errors=errors, values=values, status_code=400)
        if revoked_now:
            await _audit_and_tell(request, certificate)
        if wants_fragment(request):
            return await _page(request, certificate.code, revoked=certificate.code)
        return Redirect(
            f"/staff/certificates?q={certificate.code}&revoked={certificate.code}", status_code=303
        )


async def _audit_and_tell(request: Request, certificate: Certificate) -> None:
    """Only the request that revoked: a second one changed nothing, so tells nobody."""
    account = current_account(request)
    await audit.record(
        "certificate-revoked",
        "success",
        request_meta(request),
        actor_id=account.id,
        actor_role=account.role,
        target=certificate.code,
    )
    await notices.tell_holder_of_revocation(request.app.state.notify, certificate)


def _reason_message(why: str) -> str:
    if why == "too_long":
        return i18n.gettext("Keep the reason to %(count)d characters or fewer.") % {
            "count": service.MAX_REASON_LENGTH
        }
    return i18n.gettext(
        "Give the reason for revoking: everyone who verifies the certificate reads it."
    )


async def _page(
    request: Request,
    q: str,
    *,
    revoked: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The search and what it found: the page, or for htmx only its region."""
    errors = dict(errors or {})
    found: list[Any] | None = None
    if q.strip():
        try:
            found = await service.certificates_for_office(q, request.app.state.settings.origin)
        except InvalidNumber:
            errors["q"] = i18n.gettext(
                "Type a certificate's code (16 letters and digits, as on its PDF) or a "
                "record's number."
            )
            status_code = 400
    context = {
        "q": q,
        "found": found,
        "revoked": revoked if found and any(i.certificate.code == revoked for i in found) else "",
        "errors": errors,
        "values": values or {},
        "max_reason": service.MAX_REASON_LENGTH,
    }
    template = (
        "certificates/_staff_certificates.html"
        if wants_fragment(request)
        else "certificates/staff_certificates.html"
    )
    return Template(
        template,
        context=context,
        status_code=status_code,
        headers={"Vary": VARY_ON_HTMX, "Cache-Control": "private, no-store"},
    )
