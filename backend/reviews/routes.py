"""Rating a service (/rate/{token}) and a person's own reviews (/my/reviews).

The rating page belongs to one service event: a completed matter's (its applicant only), a visit
code staff issued, a desk's printed code (anyone, anonymous allowed). Each page carries a fresh
idempotency key and the account it was shown to; a send from this phone's offline queue after
another person has signed in is refused (409) and kept on the phone for the first (reviews.js).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from backend.auth import limits
from backend.auth.guards import SignInRequired, current_account, signed_in
from backend.core import i18n
from backend.idempotency.service import InvalidKey, KeyReused
from backend.matters.catalogue import catalogue
from backend.matters.my_routes import when
from backend.reviews import rules, service
from backend.reviews.rules import DIMENSIONS, TAGS, CaseStep, Grade, Level

NO_STORE = {"Cache-Control": "private, no-store"}
PRAISE = TAGS[Grade.good]
COMPLAINTS = TAGS[Grade.bad]


def clocks_of(request: Request) -> rules.Clocks:
    settings = request.app.state.settings
    return rules.Clocks(
        contact_days=settings.review_contact_working_days,
        resolve_days=settings.review_resolve_working_days,
    )


def follow_up_period(request: Request) -> dt.timedelta:
    return dt.timedelta(days=request.app.state.settings.review_follow_up_days)


def _account_id(request: Request) -> int | None:
    account = current_account(request)
    return account.id if account else None


def _problem_message(problem: rules.InvalidReview) -> str:
    _ = i18n.gettext
    if problem.field == "tags":
        return _(
            "Some of the things you ticked do not go with the level you chose: untick them or "
            "choose another level."
        )
    if problem.field == "comment":
        return _("Keep the comment to %(count)d characters or fewer.") % {
            "count": rules.COMMENT_MAX_LENGTH
        }
    if problem.field == "anonymous":
        return _("This service was yours: it cannot be rated anonymously.")
    if problem.field == "level":
        return _("Choose how satisfied you are.")
    return _("Choose a level for each question you answer, or leave it out.")


class RateController(Controller):
    path = "/rate"

    @get("/{token:str}", name="rate")
    async def form(self, request: Request, token: FromPath[str]) -> Template:
        target = await _target(request, token)
        if isinstance(target, Template):
            return target
        return _form_page(request, target, {}, {})

    @post("/{token:str}", status_code=303)
    async def send(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        account_id = _account_id(request)
        form = await request.form()
        if str(form.get("for_account") or "") != str(account_id or ""):
            page = _page("reviews/other_person.html", {}, 409)
            page.headers["X-Review-Refused"] = "other-person"  # reviews.js keeps it for them
            return page
        target = await _target(request, token, rated_ok=True)
        if isinstance(target, Template):
            return target
        typed = _typed(form)
        try:
            review = rules.check_review(
                target.channel,
                typed["level"],
                typed["dimensions"],
                typed["tags"],
                typed["comment"],
                typed["anonymous"],
                target.anonymous_allowed,
            )
        except rules.InvalidReview as problem:
            errors = {problem.field: _problem_message(problem)}
            return _form_page(request, target, typed, errors, str(form.get("idempotency_key")), 400)
        try:
            review_id, _ = await service.submit_review(
                token,
                None if review.anonymous else account_id,
                review,
                str(form.get("idempotency_key") or ""),
                clocks_of(request),
                request.app.state.auth.clock(),
                target=target,
                limited=_limits_of(request, account_id),
            )
        except limits.RateLimited as error:
            raise HTTPException(
                status_code=429,
                detail="too many reviews",
                headers={"Retry-After": str(error.retry_after)},
            ) from error
        except service.AlreadyRated:
            return _page("reviews/already_rated.html", {}, 409)
        except KeyReused:
            return _page("reviews/already_rated.html", {}, 422)
        except InvalidKey as error:
            raise HTTPException(status_code=400, detail="idempotency key") from error
        grade = rules.grade_of(review.level).value
        return Redirect(f"/rate/{token}/sent?grade={grade}&review={review_id}", status_code=303)

    @get("/{token:str}/sent", name="rate-sent")
    async def sent(
        self, request: Request, token: FromPath[str], grade: FromQuery[str] = ""
    ) -> Template:
        context = {"bad": grade == Grade.bad, "signed_in": current_account(request) is not None}
        return _page("reviews/sent.html", context, 200)


@get("/reviews/session", name="reviews-session", include_in_schema=False)
async def review_session(request: Request) -> Response:
    """Who is signed in, for reviews.js on a page without a rating form: "" for nobody."""
    account_id = _account_id(request)
    body = {"account": str(account_id) if account_id else ""}
    return Response(body, headers=NO_STORE)


async def _target(
    request: Request, token: str, rated_ok: bool = False
) -> service.Target | Template:
    account_id = _account_id(request)
    now = request.app.state.auth.clock()
    try:
        target = await service.target_of(token, account_id, now, rated_ok)
    except (service.TokenUnknown, service.NotYours):
        if account_id is None and await service.is_someones_event(token):
            raise SignInRequired from None  # a matter's rating: theirs once they sign in
        return _page("reviews/unknown.html", {}, 404)
    except service.TokenExpired:
        return _page("reviews/expired.html", {"days": service.VISIT_CODE_LIFETIME.days}, 410)
    except service.AlreadyRated:
        return _page("reviews/already_rated.html", {}, 200)
    return target


def _limits_of(request: Request, account_id: int | None) -> list[service.Limited]:
    """The ratings this client address, and this account, may store an hour."""
    now = request.app.state.auth.now_seconds()
    client = request.client.host if request.client else "unknown"
    per_hour = request.app.state.settings.reviews_per_hour
    counted = [(limits.Limit("reviews-client", per_hour, 3600), client, now)]
    if account_id is not None:
        counted.append((limits.Limit("reviews-account", per_hour, 3600), str(account_id), now))
    return counted


def _typed(form: Any) -> dict[str, Any]:
    return {
        "level": str(form.get("level") or ""),
        "dimensions": {
            dimension.value: str(form.get(f"dimension-{dimension.value}") or "")
            for dimension in rules.Dimension
        },
        "tags": [str(tag) for tag in form.getall("tags", [])],
        "comment": str(form.get("comment") or ""),
        "anonymous": form.get("anonymous") == "yes",
    }


def _form_page(
    request: Request,
    target: service.Target,
    typed: dict[str, Any],
    errors: dict[str, str],
    key: str | None = None,
    status_code: int = 200,
) -> Template:
    kind = catalogue().get(target.matter_code) if target.matter_code else None
    context = {
        "target": target,
        "matter_name": kind.name.of(i18n.current_locale()) if kind else "",
        "levels": sorted(Level, reverse=True),
        "dimensions": DIMENSIONS[target.channel],
        "praise": PRAISE,
        "complaints": COMPLAINTS,
        "typed": typed,
        "errors": errors,
        "key": key or secrets.token_urlsafe(24),
        "for_account": _account_id(request) or "",
        "comment_max": rules.COMMENT_MAX_LENGTH,
    }
    return _page("reviews/rate.html", context, status_code)


def _page(template: str, context: dict[str, Any], status_code: int) -> Template:
    return Template(template, context=context, status_code=status_code, headers=NO_STORE)


class MyReviewsController(Controller):
    path = "/my/reviews"
    guards = [signed_in]

    @get("/", name="my-reviews")
    async def my_reviews(self, request: Request) -> Template:
        account_id = current_account(request).id
        context = {
            "reviews": await service.reviews_of(account_id),
            "problem": _my_reviews_problem(request.query_params.get("problem", "")),
            "when": when,
            "matter_name": _matter_name,
            "may_follow_up": _follow_up_checker(request),
            "levels": sorted(Level, reverse=True),
            "steps_for": lambda case: rules.steps_open_to(case.status, _role(request), True),
        }
        return _page("reviews/my_reviews.html", context, 200)

    @post("/{review_id:int}/follow-up", status_code=303)
    async def follow_up(self, request: Request, review_id: FromPath[int]) -> Redirect:
        form = await request.form()
        try:
            level = Level(int(str(form.get("level") or "0")))
        except ValueError:
            return Redirect("/my/reviews?problem=level", status_code=303)
        try:
            await service.add_follow_up(
                review_id,
                current_account(request).id,
                level,
                str(form.get("comment") or "")[: rules.COMMENT_MAX_LENGTH],
                follow_up_period(request),
                request.app.state.auth.clock(),
            )
        except service.NotYours as error:
            raise NotFoundException from error
        except service.FollowUpClosed:
            return Redirect("/my/reviews?problem=follow-up-closed", status_code=303)
        return Redirect(f"/my/reviews#review-{review_id}", status_code=303)

    @post("/cases/{case_id:int}/{step:str}", status_code=303)
    async def reviewer_step(
        self, request: Request, case_id: FromPath[int], step: FromPath[str]
    ) -> Redirect:
        if step not in {CaseStep.appeal, CaseStep.confirm}:
            raise NotFoundException
        form = await request.form()
        satisfaction = None
        if step == CaseStep.confirm:
            try:
                satisfaction = Level(int(str(form.get("level") or "0")))
            except ValueError:
                return Redirect("/my/reviews?problem=level", status_code=303)
        try:
            await service.take_step(
                case_id,
                current_account(request).id,
                CaseStep(step),
                str(form.get("reason") or "")[:2000],
                satisfaction=satisfaction,
                now=request.app.state.auth.clock(),
            )
        except service.CaseNotFound as error:
            raise NotFoundException from error
        except rules.StepRefused as refused:
            return Redirect(f"/my/reviews?problem={refused.why}", status_code=303)
        except service.ChangedMeanwhile:
            return Redirect("/my/reviews?problem=changed", status_code=303)
        return Redirect("/my/reviews", status_code=303)


def _matter_name(code: str) -> str:
    kind = catalogue().get(code) if code else None
    return kind.name.of(i18n.current_locale()) if kind else ""


def _my_reviews_problem(problem: str) -> str:
    _ = i18n.gettext
    messages = {
        "level": _("Choose a level from the list."),
        "follow-up-closed": _(
            "A follow-up rating can be added once, within its period: this one can no longer "
            "be added."
        ),
        "reason_required": _("Say why you disagree: the supervisor reads it."),
        "not_now": _(
            "That step is no longer open: the case has moved on. Here it is as it stands."
        ),
        "changed": _("The office changed this case meanwhile. Here it is as it stands now."),
    }
    return messages.get(problem, "")


def _role(request: Request):
    account = current_account(request)
    if account is None:
        raise PermissionDeniedException
    return account.role


def _follow_up_checker(request: Request):
    now, period = request.app.state.auth.clock(), follow_up_period(request)
    return lambda review: (
        review.follow_up_level is None and rules.follow_up_open(review.created_at, now, period)
    )
