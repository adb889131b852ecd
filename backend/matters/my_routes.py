"""A person's own matters: the list (/my/matters), one matter's timeline, its files, withdrawing."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio.to_thread
import msgspec
from babel import dates
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from backend.auth.guards import current_account, signed_in
from backend.core import i18n
from backend.matters import answers as rules
from backend.matters import files, notices, service
from backend.matters import wording as words
from backend.matters.attachments import AttachmentNotFound, attachments_dir
from backend.matters.catalogue import catalogue
from backend.matters.filing_routes import EDITABLE, _own_matter, in_locale
from backend.matters.service import MatterNotFound
from backend.matters.workflow import Action, MatterState, Status, next_actions

BEIJING = ZoneInfo("Asia/Shanghai")
NO_STORE = {"Cache-Control": "private, no-store"}


class MyMattersController(Controller):
    path = "/my/matters"
    guards = [signed_in]

    @get("/", name="my-matters")
    async def my_matters(self, request: Request) -> Template:
        rows = await my_matter_rows(current_account(request).id)
        return Template("matters/my_matters.html", context={"rows": rows}, headers=NO_STORE)

    @get("/{reference:str}", name="my-matter")
    async def my_matter(self, request: Request, reference: FromPath[str]) -> Template:
        matter, kind = await _own_matter(request, reference)
        actor = await service.actor_of(matter.applicant_id)
        state = MatterState(
            applicant_id=matter.applicant_id, outlet_id=matter.outlet_id, history=matter.history
        )
        groups = rules.steps(kind, matter.answers)
        context = {
            "matter": matter,
            "kind": kind,
            "status_name": notices.status_name(matter.status),
            "rows": [
                (
                    group,
                    [
                        (f, rules.shown(f, matter.answers.get(f.key)))
                        for f in rules.asked_fields(kind, group, matter.answers)
                        if f.kind != "file"
                    ],
                )
                for group in groups
            ],
            "attachments": await files.attachments_of(reference, matter.applicant_id),
            "documents": {d.code: d for d in kind.documents},
            **words.register_context(kind, matter.answers),
            "may_withdraw": Action.withdraw in next_actions(state, actor),
            "editable": matter.status in EDITABLE,
            "first_step": f"/my/matters/{reference}/steps/{groups[0].key}" if groups else "",
            "sent": request.query_params.get("sent") == "1",
            "status_names": notices.status_name,
            "when": when,
            "t": in_locale(),
        }
        return Template("matters/my_matter.html", context=context, headers=NO_STORE)

    @post("/{reference:str}/withdraw", status_code=303)
    async def withdraw(self, request: Request, reference: FromPath[str]) -> Redirect:
        matter, _ = await _own_matter(request, reference)
        try:
            moved = await service.act(reference, matter.applicant_id, Action.withdraw)
        except (service.ActionRefused, service.ChangedMeanwhile):
            return Redirect(notices.matter_link(reference), status_code=303)
        await notices.tell_applicant(request.app.state.notify, moved)
        return Redirect(notices.matter_link(reference), status_code=303)

    @get("/{reference:str}/attachments/{token:str}")
    async def attachment(
        self, request: Request, reference: FromPath[str], token: FromPath[str]
    ) -> Response:
        """Only after the ownership check, always as a download (nosniff: every response has it)."""
        root = attachments_dir(request.app.state.settings)
        try:
            row, opened = await files.open_for(reference, token, current_account(request).id, root)
        except (MatterNotFound, AttachmentNotFound) as error:
            raise NotFoundException from error
        with opened.file as handle:
            content = await anyio.to_thread.run_sync(handle.read)
        disposition = f"attachment; filename*=UTF-8''{quote(row.display_name)}"
        return Response(
            content,
            media_type=opened.media_type,
            headers={
                "Content-Disposition": disposition,
                "Cache-Control": "private, no-store",
            },
        )


def when(at: dt.datetime) -> str:
    """A transition's time, in Beijing time (the office's), in the person's language."""
    return dates.format_datetime(at, "medium", tzinfo=BEIJING, locale=i18n.babel_locale())


class MyMatterRow(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    name: str
    status: Status
    status_name: str
    due_on: dt.date | None
    provisional: bool


async def my_matter_rows(account_id: int) -> list[MyMatterRow]:
    """The list's rows: type name, reference, status in words, due date (provisional marked)."""
    locale = i18n.current_locale()
    rows = []
    for matter in await service.matters_of(account_id):
        kind = catalogue().get(matter.type_code)
        rows.append(
            MyMatterRow(
                reference=matter.reference,
                name=kind.name.of(locale) if kind else matter.type_code,
                status=matter.status,
                status_name=notices.status_name(matter.status),
                due_on=matter.due_on,
                provisional=matter.due_provisional,
            )
        )
    return rows
