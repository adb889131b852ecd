"""The office's side of reviews (/staff/reviews): the rectification cases of bad reviews, each
step with its reason; appeals against a review; one-time visit codes and the desks' printed
codes.

Staff see their own outlet's cases, supervisors all (service.office_cases, case_for_office);
another outlet's case is not found. Nobody here sees who rated, except a supervisor on the case
page, who makes the return contact (service.reviewer_contact).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from backend.auth.guards import current_account, role_in
from backend.auth.tables import Account
from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters.my_routes import when
from backend.reviews import notices, rules, service
from backend.reviews.rules import CaseStep
from backend.reviews.tables import ReviewAppeal

OFFICE = role_in(Account.Role.staff, Account.Role.supervisor)
NO_STORE = {"Cache-Control": "private, no-store"}
# Steps whose form asks for more than a reason.
REFUSALS = {
    "not_now": N_("That step is no longer open: the case has moved on. Here it is as it stands."),
    "not_your_role": N_("That step is not yours to take."),
    "reason_required": N_("Write what was done or why: the reviewer reads it."),
    "assignee": N_("Choose a member of this outlet's staff."),
    "new_due": N_("Give a new date later than the present one."),
    "changed": N_("Someone changed this case meanwhile. Here it is as it stands now."),
}


def qr_svg(url: str) -> Markup:
    """The code as inline SVG (no script, no style: the pages' CSP allows it)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=6, border=2, title=url))


def rating_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.origin}/rate/{token}"


class StaffReviewsController(Controller):
    path = "/staff/reviews"
    guards = [OFFICE]

    @get("/", name="staff-reviews")
    async def cases(self, request: Request, show: FromQuery[str] = "open") -> Template:
        account = current_account(request)
        today = service.office_day(request.app.state.auth.clock())
        cases = await service.office_cases(account.id, today, open_only=show != "all")
        if account.role == Account.Role.supervisor:  # escalated first: they are the supervisor's
            cases.sort(key=lambda case: not case.escalated)
        context = {"cases": cases, "show": show, "today": today}
        return Template("reviews/staff_cases.html", context=context, headers=NO_STORE)

    @get("/cases/{case_id:int}", name="staff-review-case")
    async def case(
        self, request: Request, case_id: FromPath[int], problem: FromQuery[str] = ""
    ) -> Template:
        return await _case_page(request, case_id, problem)

    @post("/cases/{case_id:int}/steps/{step:str}", status_code=303)
    async def step(
        self, request: Request, case_id: FromPath[int], step: FromPath[str]
    ) -> Redirect | Template:
        try:
            chosen = CaseStep(step)
        except ValueError as error:
            raise NotFoundException from error
        if chosen in rules.REVIEWER_STEPS:
            raise NotFoundException
        form = await request.form()
        try:
            case = await service.take_step(
                case_id,
                current_account(request).id,
                chosen,
                str(form.get("reason") or "")[:2000],
                new_due=_date(form.get("new_due")),
                assignee_id=_int(form.get("assignee")),
                now=request.app.state.auth.clock(),
            )
        except service.CaseNotFound as error:
            raise NotFoundException from error
        except rules.StepRefused as refused:
            return await _case_page(request, case_id, refused.why, 400)
        except service.ChangedMeanwhile:
            return await _case_page(request, case_id, "changed", 409)
        await notices.tell_reviewer(request.app.state.notify, case)
        return Redirect(f"/staff/reviews/cases/{case_id}", status_code=303)

    @post("/cases/{case_id:int}/appeal", status_code=303)
    async def appeal(self, request: Request, case_id: FromPath[int]) -> Redirect | Template:
        """The office contests the review itself as mistaken or malicious."""
        account = current_account(request)
        form = await request.form()
        try:
            _, review = await service.case_for_office(case_id, account.id)
            await service.file_appeal(review.id, account.id, str(form.get("grounds") or "")[:2000])
        except (service.CaseNotFound, LookupError) as error:
            raise NotFoundException from error
        except service.AppealRefused as refused:
            return await _case_page(request, case_id, f"appeal-{refused}", 400)
        return Redirect(f"/staff/reviews/cases/{case_id}", status_code=303)

    @post("/cases/{case_id:int}/appeal/decision", status_code=303)
    async def decide(self, request: Request, case_id: FromPath[int]) -> Redirect | Template:
        account = current_account(request)
        form = await request.form()
        try:
            decision = ReviewAppeal.Decision(str(form.get("decision") or ""))
        except ValueError:
            return await _case_page(request, case_id, "appeal-decision", 400)
        try:
            _, review = await service.case_for_office(case_id, account.id)
            await service.decide_appeal(
                review.id,
                account.id,
                decision,
                str(form.get("reason") or "")[:2000],
                request.app.state.auth.clock(),
            )
        except service.CaseNotFound as error:
            raise NotFoundException from error
        except service.AppealRefused as refused:
            return await _case_page(request, case_id, f"appeal-{refused}", 400)
        return Redirect(f"/staff/reviews/cases/{case_id}", status_code=303)

    @get("/visit-code", name="staff-visit-code")
    async def visit_code_form(self, request: Request) -> Template:
        actor = await service.actor_of(current_account(request).id)
        context = {"has_outlet": actor.outlet_id is not None, "code": None}
        return Template("reviews/visit_code.html", context=context, headers=NO_STORE)

    @post("/visit-code", status_code=200)
    async def visit_code(self, request: Request) -> Template:
        """A one-time code for the visit just served: the person scans it with their phone."""
        form = await request.form()
        try:
            token = await service.issue_visit_code(
                current_account(request).id,
                str(form.get("desk") or ""),
                request.app.state.auth.clock(),
            )
        except service.NotYours:
            context = {"has_outlet": False, "code": None}
            return Template("reviews/visit_code.html", context=context, status_code=400)
        url = rating_url(request, token)
        context = {
            "has_outlet": True,
            "code": {"url": url, "qr": qr_svg(url), "days": service.VISIT_CODE_LIFETIME.days},
        }
        return Template("reviews/visit_code.html", context=context, headers=NO_STORE)

    @get("/desks", name="staff-desks")
    async def desks(self, request: Request) -> Template:
        actor = await service.actor_of(current_account(request).id)
        desks = await service.desks_of(actor.outlet_id) if actor.outlet_id else []
        context = {"desks": desks, "has_outlet": actor.outlet_id is not None}
        return Template("reviews/desks.html", context=context, headers=NO_STORE)

    @post("/desks", status_code=303)
    async def add_desk(self, request: Request) -> Redirect:
        actor = await service.actor_of(current_account(request).id)
        desk = str((await request.form()).get("desk") or "").strip()[:40]
        if actor.outlet_id is None or not desk:
            return Redirect("/staff/reviews/desks", status_code=303)
        token = await service.desk_code_for(actor.outlet_id, desk)
        return Redirect(f"/staff/reviews/desks/{token}", status_code=303)

    @get("/desks/{token:str}", name="staff-desk-print")
    async def desk_print(self, request: Request, token: FromPath[str]) -> Template:
        """The desk's page to print: its QR code, the address under it, what it is for."""
        actor = await service.actor_of(current_account(request).id)
        desks = await service.desks_of(actor.outlet_id) if actor.outlet_id else []
        desk = next((d for d in desks if d.token == token), None)
        if desk is None:
            raise NotFoundException
        url = rating_url(request, token)
        context = {"desk": desk, "url": url, "qr": qr_svg(url)}
        return Template("reviews/desk_print.html", context=context, headers=NO_STORE)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value else None
    except ValueError:
        return None


APPEAL_REFUSALS = {
    "appeal-grounds": N_("Give the grounds of the appeal: the supervisor decides on them."),
    "appeal-filed": N_("An appeal against this review has been filed already."),
    "appeal-reason": N_("Give the reason of the decision: it is kept and counted."),
    "appeal-role": N_("Only a supervisor decides an appeal."),
    "appeal-decided": N_("This appeal has been decided already."),
    "appeal-decision": N_("Choose uphold or dismiss."),
}


def _problem_sentence(problem: str) -> str:
    sentence = REFUSALS.get(problem) or APPEAL_REFUSALS.get(problem)
    return i18n.gettext(sentence) if sentence else ""


async def _case_page(
    request: Request, case_id: int, problem: str = "", status_code: int = 200
) -> Template:
    account = current_account(request)
    try:
        case, review = await service.case_for_office(case_id, account.id)
    except service.CaseNotFound as error:
        raise NotFoundException from error
    today = service.office_day(request.app.state.auth.clock())
    due = service.due_of(case.status, case.contact_due, case.resolve_due)
    context = {
        "case": case,
        "review": review,
        "due": due,
        "overdue": due is not None and today > due,
        "steps_open": rules.steps_open_to(case.status, account.role, False),
        "staff": await service.assignable_staff(review.outlet_id),
        "contact": await service.reviewer_contact(case_id, account.id),
        "appeal": await service.appeal_of(review.id),
        "supervisor": account.role == Account.Role.supervisor,
        "problem": _problem_sentence(problem),
        "when": when,
        "reason_required": {s for s, r in rules.CASE_RULES.items() if r.reason_required},
    }
    return Template(
        "reviews/staff_case.html", context=context, status_code=status_code, headers=NO_STORE
    )
