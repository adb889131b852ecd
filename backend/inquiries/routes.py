"""Record pages: public look-up and search, "My IP", and the staff status change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, TypeVar

from litestar import Controller, Litestar, Request, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth.guards import (
    current_account,
    request_meta,
    role_in,
    signed_in,
    too_many_requests,
)
from backend.auth.limits import RateLimited
from backend.auth.tables import Account
from backend.core import i18n, page_cache
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.inquiries import reminders, service
from backend.inquiries.numbers import InvalidNumber
from backend.inquiries.schemas import BindForm, BindingDecision, PublicRecord, StatusChangeForm
from backend.inquiries.stages import STAGES, stage_order, stage_view
from backend.inquiries.tables import Record

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
T = TypeVar("T")


def _today(request: Request) -> dt.date:
    return request.app.state.auth.clock().date()


def record_page_path(number: str) -> str:
    return f"/records/{number}"


def _record_page_key(request: Request) -> str:
    """One cache entry per record whichever way its number was typed in the address."""
    try:
        canonical = service.parse_number(request.path_params["number"]).canonical
    except InvalidNumber:
        return page_cache.key_for(request)
    return page_cache.key_for(request, record_page_path(canonical))


class RecordController(Controller):
    @get("/records", name="records")
    async def search(
        self, request: Request, q: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        found = await service.search_records(q, page)
        context = {
            "query": found.query,
            "results": found.results,
            "by_number": found.by_number,
            "problem": found.problem,
            "hint": found.hint,
        }
        template = "inquiries/_results.html" if wants_fragment(request) else "inquiries/search.html"
        return Template(template, context=context, headers={"Vary": VARY_ON_HTMX})

    @get(
        "/records/{number:str}",
        name="record",
        cache=page_cache.PAGE_LIFETIME_SECONDS,
        cache_key_builder=_record_page_key,
        opt={"exclude_from_csrf": True},
        media_type=MediaType.HTML,  # else Litestar guesses it from the file name on every miss
    )
    async def record(self, number: FromPath[str]) -> Template:
        record = await _public_view_or_404(number)
        return Template("inquiries/record.html", context={"record": record})

    @get("/api/v1/records/{number:str}", tags=["records"])
    async def api_record(self, number: FromPath[str]) -> PublicRecord:
        """The public fields and timeline of a record, by its number in any typed form."""
        return await _public_view_or_404(number)


async def forget_record_pages(app: Litestar, numbers: list[str]) -> None:
    """The public pages of `numbers` are served fresh from now on (staff console, import)."""
    store = app.stores.get(page_cache.PAGE_CACHE_STORE)
    await page_cache.forget(store, [record_page_path(number) for number in numbers])


async def _found(lookup: Awaitable[T]) -> T:
    """A record looked up by number, or the page that says why not (400 invalid, 404 unknown)."""
    try:
        return await lookup
    except InvalidNumber as error:
        raise ValidationException(detail=service.invalid_number_message(error)) from error
    except service.RecordNotFound as error:
        raise NotFoundException from error


async def _public_view_or_404(number: str) -> PublicRecord:
    return await _found(service.public_record_by_number(number))


async def _public_or_404(number: str) -> Record:
    return await _found(service.record_by_number(number))


class MyRecordsController(Controller):
    path = "/my/records"
    guards = [signed_in]

    @get("/", name="my-records")
    async def my_records(
        self, request: Request, kind: FromQuery[str] = "", action: FromQuery[str] = ""
    ) -> Template:
        rows = await service.my_records(
            current_account(request), _today(request), kind=kind, needs_action=action == "1"
        )
        context = {"rows": rows, "kind": kind, "action": action, "errors": {}, "values": {}}
        template = (
            "inquiries/_my_list.html" if wants_fragment(request) else "inquiries/my_records.html"
        )
        return Template(template, context=context, headers={"Vary": VARY_ON_HTMX})

    @post("/bind", status_code=303)
    async def bind(self, request: Request, data: Annotated[BindForm, FORM]) -> Redirect | Template:
        account = current_account(request)
        now = request.app.state.auth.now_seconds()
        try:
            record = await service.bind_record(
                account, data.number, data.code, request_meta(request), now
            )
        except RateLimited as error:
            raise too_many_requests(error) from error
        except (service.BindingRefused, InvalidNumber):
            return await _bind_problem(request, account, data)
        return Redirect(f"/my/records/{record.number}", status_code=303)

    @post("/request", status_code=303)
    async def request_approval(
        self, request: Request, data: Annotated[BindForm, FORM]
    ) -> Redirect | Template:
        account = current_account(request)
        try:
            await service.request_binding_approval(account, data.number)
        except (service.BindingRefused, InvalidNumber):
            return await _bind_problem(request, account, data)
        return Redirect("/my/records?requested=1", status_code=303)

    @get("/{number:str}", name="my-record")
    async def my_record(self, request: Request, number: FromPath[str]) -> Template:
        try:
            record = await service.my_record(current_account(request), number)
        except service.RecordNotFound as error:
            raise NotFoundException from error
        return Template(
            "inquiries/my_record.html",
            context={
                "record": await service.public_record(record),
                "deadline": service.next_deadline(record, _today(request)),
            },
            headers={"Cache-Control": "private, no-store"},
        )


async def _bind_problem(request: Request, account: Account, data: BindForm) -> Template:
    rows = await service.my_records(account, _today(request))
    message = i18n.gettext(
        "We could not bind this record: check the number and the binding code on the "
        "office's notice, or ask staff to approve it."
    )
    context = {
        "rows": rows,
        "kind": "",
        "action": "",
        "errors": {"number": message},
        "values": data,
    }
    return Template("inquiries/my_records.html", context=context, status_code=400)


STAFF = role_in(Account.Role.staff, Account.Role.supervisor, Account.Role.admin)


class StaffRecordsController(Controller):
    path = "/staff"
    guards = [STAFF]

    @get("/", name="staff")
    async def console(self, request: Request, number: FromQuery[str] = "") -> Template | Redirect:
        if number.strip():
            try:
                record = await service.record_by_number(number)
            except (InvalidNumber, service.RecordNotFound):
                pass
            else:
                return Redirect(f"/staff/records/{record.number}", status_code=303)
        return Template(
            "inquiries/staff_console.html",
            context={
                "pending": await service.pending_bindings(),
                "number": number,
            },
        )

    @post("/bindings/{binding_id:int}", status_code=303)
    async def decide_binding(
        self, binding_id: FromPath[int], data: Annotated[BindingDecision, FORM]
    ) -> Redirect:
        await service.decide_binding(binding_id, approve=data.decision == "approve")
        return Redirect("/staff", status_code=303)

    @get("/records/{number:str}")
    async def record(self, request: Request, number: FromPath[str]) -> Template:
        record = await _public_or_404(number)
        return Template(
            "inquiries/staff_record.html",
            context={
                "record": await service.public_record(record),
                "stages": [stage_view(code) for code in stage_order(record.kind)],
                "errors": {},
            },
        )

    @post("/records/{number:str}/status", status_code=303)
    async def change_status(
        self, request: Request, number: FromPath[str], data: Annotated[StatusChangeForm, FORM]
    ) -> Redirect:
        record = await _public_or_404(number)
        if data.stage not in STAGES or data.stage not in stage_order(record.kind):
            raise ValidationException(detail="unknown stage")
        await reminders.record_status_change(
            record,
            data,
            _today(request),
            request.app.state.notify,
            request_meta(request),
            current_account(request),
        )
        await forget_record_pages(request.app, [record.number])
        return Redirect(f"/staff/records/{record.number}", status_code=303)
