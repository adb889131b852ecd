"""The staff queue of matters (/staff/matters) and a matter worked from it: claim it, act on it.

Staff see and act on their own outlet's matters, supervisors on all (service.queue_for,
service.matter_for); a matter of another outlet is not found (404), an applicant is not
authorised (the guard). Each step taken tells the applicant, in their language.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template

from backend.auth import audit
from backend.auth.guards import current_account, request_meta, role_in
from backend.auth.tables import Account
from backend.core import i18n
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.matters import notices, queue_shown, service
from backend.matters import staff_views as views
from backend.matters import wording as words
from backend.matters.workflow import Action, ReasonRule, Refusal, reason_rule

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
QUEUE_BODY = "matters/_staff_queue_body.html"  # the page's own part: its filters and the queue
OFFICE = role_in(Account.Role.staff, Account.Role.supervisor)


class ActionInput(msgspec.Struct):
    """An action's form; any other field sent (status, outlet, owner) is ignored."""

    reason: str = ""
    missing: str = ""


class StaffMatterController(Controller):
    path = "/staff/matters"
    guards = [OFFICE]

    @get("/", name="staff-matters")
    async def queue(
        self,
        request: Request,
        outlet: FromQuery[str] = "",
        kind: Annotated[str, QueryParameter(name="type")] = "",
        status: FromQuery[str] = "",
        overdue: FromQuery[str] = "",
        after: FromQuery[str] = "",
    ) -> Template | Response:
        actor = await service.actor_of(current_account(request).id)
        chosen = views.QueueFilters.read(outlet, kind, status, overdue, after, actor)
        today = request.app.state.auth.clock().date()
        part = "matters/_staff_queue.html" if wants_fragment(request) else QUEUE_BODY
        supervisor = actor.role == Account.Role.supervisor

        async def render() -> str:
            page = await service.queue_for(actor, **msgspec.structs.asdict(chosen), today=today)
            context = {
                "rows": views.queue_rows(page.entries),
                "next_page": chosen.next_page_query(page.next_after) if page.next_after else "",
                "later_page": chosen.after is not None,
                "chosen": chosen,
                "supervisor": supervisor,
                "due_words": views.due_words,
                **views.filter_choices(await service.queue_outlets() if supervisor else []),
            }
            return request.app.template_engine.get_template(part).render(**context)

        # Kept rendered for every staff member of the outlet (all supervisors), in their
        # language, that day, with these filters (queue_shown.py).
        key = f"{part}|{i18n.current_locale()}|{today}|{msgspec.json.encode(chosen).decode()}"
        shown = await request.app.state.kept_views.view(queue_shown.subject_of(actor), key, render)
        if part != QUEUE_BODY:
            return Response(shown, media_type=MediaType.HTML, headers={"Vary": VARY_ON_HTMX})
        return Template(
            "matters/staff_queue.html", context={"body": shown}, headers={"Vary": VARY_ON_HTMX}
        )

    @get("/{reference:str}", name="staff-matter")
    async def matter(self, request: Request, reference: FromPath[str]) -> Template:
        return await _matter_page(request, reference)

    @post("/{reference:str}/claim", status_code=303)
    async def claim(self, request: Request, reference: FromPath[str]) -> Redirect | Template:
        try:
            await service.claim(reference, current_account(request).id)
        except service.MatterNotFound as error:
            raise NotFoundException from error
        except service.ActionRefused as error:
            return await _matter_page(request, reference, notice=error.refusal, status_code=409)
        return Redirect(f"/staff/matters/{reference}", status_code=303)

    @post("/{reference:str}/actions/{action:str}", status_code=303)
    async def act(
        self,
        request: Request,
        reference: FromPath[str],
        action: FromPath[str],
        data: Annotated[ActionInput, FORM],
    ) -> Redirect | Template:
        chosen = views.staff_action(action)
        if chosen is None:
            raise NotFoundException
        account = current_account(request)
        reason = views.reason_from(chosen, data.reason, data.missing)
        if reason_rule(chosen) == ReasonRule.what_is_missing and not reason.missing:
            return await _refused(request, reference, chosen, data, Refusal.reason_required)
        try:
            done = await service.act(reference, account.id, chosen, reason)
        except service.MatterNotFound as error:
            raise NotFoundException from error
        except service.ActionRefused as error:
            return await _refused(request, reference, chosen, data, error.refusal)
        except service.ChangedMeanwhile:
            return await _matter_page(request, reference, notice="changed", status_code=409)
        await audit.record(
            "matter-action",
            "success",
            request_meta(request),
            actor_id=account.id,
            actor_role=account.role,
            target=f"{reference} {chosen.value}",
        )
        await notices.tell_applicant(request.app.state.notify, done)
        return Redirect(f"/staff/matters/{reference}", status_code=303)


async def _refused(
    request: Request, reference: str, action: Action, data: ActionInput, refusal: Refusal
) -> Template:
    """The matter page again: a missing reason beside its field, any other refusal on top."""
    if refusal != Refusal.reason_required:
        return await _matter_page(request, reference, notice=refusal, status_code=409)
    field = "missing" if reason_rule(action) == ReasonRule.what_is_missing else "reason"
    message = (
        i18n.gettext("Say what is missing, one item a line.")
        if field == "missing"
        else i18n.gettext("Give the grounds of the decision.")
    )
    errors = {f"{action.value}-{field}": message}
    values = {"action": action.value, "reason": data.reason, "missing": data.missing}
    return await _matter_page(request, reference, errors=errors, values=values, status_code=400)


async def _matter_page(
    request: Request,
    reference: str,
    notice: Refusal | str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    actor = await service.actor_of(current_account(request).id)
    try:
        matter = await service.matter_for(reference, actor)
    except service.MatterNotFound as error:
        raise NotFoundException from error
    claimed = await service.claimants([matter.id])
    context = {
        "matter": matter,
        "type_name": words.type_name(matter.type_code),
        "status_name": words.status_name(matter.status),
        "answers": views.answers_of(matter),
        **views.register_of(matter),
        "steps": views.steps_of(matter),
        "actions": views.action_forms(matter, actor),
        "claimed_by": claimed.get(matter.id, ""),
        "may_claim": matter.status in views.OPEN_STATUSES,
        "notice": _notice_sentence(notice),
        "errors": errors or {},
        "values": values or {},
    }
    return Template(
        "matters/staff_matter.html",
        context=context,
        status_code=status_code,
        headers={"Cache-Control": "private, no-store"},
    )


def _notice_sentence(notice: Refusal | str) -> str:
    if isinstance(notice, Refusal):
        return words.refusal_sentence(notice)
    if notice == "changed":
        return i18n.gettext(
            "Someone else changed this matter meanwhile. Here it is as it stands now: check it "
            "and act again."
        )
    return ""
