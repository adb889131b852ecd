"""Service reviews: rating a service event once, following up, putting bad ratings right.

Each rating belongs to one `ServiceEvent` (a matter ended, a visit, a desk's code, an online
service), reached by its random token at /rate/{token}. A submission is made once under its
Idempotency-Key (idempotency.once), and an event takes one review: a second one, with another
key, is AlreadyRated. A bad review opens its rectification case in the same transaction, with its
clocks counted in working days. Nothing here changes or deletes a review.

The person rated never sees who rated them: `case_for_office` and `office_cases` carry no
reviewer, and the return contact (the one step that needs the reviewer) is a supervisor's.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from backend.auth import limits
from backend.auth.tables import Account
from backend.core.database import execute, read_by_key, write_transaction
from backend.idempotency import service as idempotency
from backend.outlets.staff import Actor, actor_of
from backend.outlets.tables import OutletStaff
from backend.reviews import rules, tallies
from backend.reviews.rules import CaseStatus, CaseStep, Channel, Clocks, Grade, ReviewForm
from backend.reviews.tables import (
    DeskCode,
    FollowUp,
    RectificationCase,
    RectificationStep,
    Review,
    ReviewAppeal,
    ServiceEvent,
)
from backend.working_days import service as working_days

BEIJING = dt.timezone(dt.timedelta(hours=8))
SUBMISSION_SCOPE = "review"
# Online services rated from a link at their end (found, not found or given up alike): each
# rating makes its own event, as a desk's code does. Token → the service's name in the figures.
ONLINE_SERVICES = {
    "online-records": "records",
    "online-gi-check": "gi-check",
    "online-guides": "guides",
}
VISIT_CODE_LIFETIME = dt.timedelta(days=7)
# A limit on ratings stored, the subject it counts (an address, an account) and now in seconds.
Limited = tuple[limits.Limit, str, int]


class TokenUnknown(LookupError):
    pass


class TokenExpired(Exception):
    pass


class AlreadyRated(Exception):
    def __init__(self, review_id: int) -> None:
        super().__init__(review_id)
        self.review_id = review_id


class NotYours(Exception):
    """The event was another person's service (a matter is rated by its applicant only)."""


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """What a /rate/{token} page rates."""

    token: str
    kind: str
    channel: Channel
    outcome: str
    subject: str
    matter_code: str
    outlet_id: int | None
    desk: str
    anonymous_allowed: bool
    signed_in_only: bool
    event_id: int | None = None  # None: each rating makes its own event (a desk, online)
    month: str = ""  # the event's, for its tallies


def new_token() -> str:
    return secrets.token_urlsafe(18)  # 24 characters


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def office_day(at: dt.datetime) -> dt.date:
    """The day in Beijing, where the office's working days are counted."""
    return at.astimezone(BEIJING).date()


def month_of(at: dt.datetime) -> str:
    return office_day(at).strftime("%Y-%m")


# --- Events -----------------------------------------------------------------------------------


async def record_event(
    kind: ServiceEvent.Kind,
    channel: Channel,
    *,
    outcome: str = "",
    subject: str = "",
    matter_code: str = "",
    outlet_id: int | None = None,
    desk: str = "",
    account_id: int | None = None,
    staff_id: int | None = None,
    token: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A service given, open to one rating: its token. Call inside the caller's transaction
    when the service ends (a matter's last step), so that the event and its end are one."""
    token = token or new_token()
    event_id = await _insert_event(
        _now(now),
        token=token,
        kind=kind,
        channel=channel,
        outcome=outcome,
        subject=subject,
        matter_code=matter_code,
        outlet_id=outlet_id,
        desk=desk,
        account_id=account_id,
        staff_id=staff_id,
        expires_at=expires_at,
    )
    await tallies.added(event_id)
    return token


async def _insert_event(at: dt.datetime, **columns: Any) -> int:
    """A ServiceEvent row occurring `at` (its month with it), of the columns given: its id."""
    event = ServiceEvent(occurred_at=at, month=month_of(at), **columns)
    rows = await ServiceEvent.insert(event).returning(ServiceEvent.id)
    return rows[0]["id"]


async def matter_ended(
    reference: str,
    matter_code: str,
    outlet_id: int,
    applicant_id: int,
    outcome: str,
    now: dt.datetime | None = None,
) -> None:
    """The matter is completed or withdrawn: its one rating is open at /rate/{reference}."""
    exists = await ServiceEvent.exists().where(ServiceEvent.token == reference)
    if not exists:
        await record_event(
            ServiceEvent.Kind.matter,
            Channel.online,
            outcome=outcome,
            subject=reference,
            matter_code=matter_code,
            outlet_id=outlet_id,
            account_id=applicant_id,
            token=reference,
            now=now,
        )


async def issue_visit_code(staff_id: int, desk: str = "", now: dt.datetime | None = None) -> str:
    """A one-time code for one visit to the staff member's outlet (一次一评)."""
    actor = await actor_of(staff_id)
    if actor.outlet_id is None:
        raise NotYours
    at = _now(now)
    async with write_transaction(ServiceEvent._meta.db):
        return await record_event(
            ServiceEvent.Kind.visit,
            Channel.on_site,
            outcome="served",
            outlet_id=actor.outlet_id,
            desk=desk[:40],
            staff_id=staff_id,
            expires_at=at + VISIT_CODE_LIFETIME,
            now=at,
        )


async def desk_code_for(outlet_id: int, desk: str) -> str:
    """The printed code of a desk, made once."""
    row = (
        await DeskCode.select(DeskCode.token)
        .where(
            (DeskCode.outlet_id == outlet_id) & (DeskCode.desk == desk) & DeskCode.active.eq(True)
        )
        .first()
    )
    if row:
        return row["token"]
    token = new_token()
    await DeskCode.insert(DeskCode(token=token, outlet_id=outlet_id, desk=desk[:40]))
    return token


# The event of a token and its review, if any: one read by a unique key (token, review.event).
_EVENT_AND_ITS_REVIEW = (
    "SELECT e.id, e.kind, e.channel, e.outcome, e.subject, e.matter_code, e.outlet_id, e.desk, "
    "e.account_id, e.expires_at, e.month, r.id AS review_id FROM service_event e "
    "LEFT JOIN review r ON r.event = e.id WHERE e.token = {}"
)


async def target_of(
    token: str, account_id: int | None, now: dt.datetime | None = None, rated_ok: bool = False
) -> Target:
    """What /rate/{token} rates, or TokenUnknown, TokenExpired, AlreadyRated (unless `rated_ok`:
    a send may be the repeat of the one that rated it), NotYours."""
    if token in ONLINE_SERVICES:
        return Target(
            token=token,
            kind=ServiceEvent.Kind.online,
            channel=Channel.online,
            outcome="used",
            subject=ONLINE_SERVICES[token],
            matter_code="",
            outlet_id=None,
            desk="",
            anonymous_allowed=True,
            signed_in_only=False,
        )
    rows = await read_by_key(ServiceEvent, _EVENT_AND_ITS_REVIEW, token)
    event = rows[0] if rows else None
    if event is None:
        desk = (
            await DeskCode.select()
            .where((DeskCode.token == token) & DeskCode.active.eq(True))
            .first()
        )
        if desk is None:
            raise TokenUnknown(token)
        return Target(
            token=token,
            kind=ServiceEvent.Kind.desk,
            channel=Channel.on_site,
            outcome="served",
            subject="",
            matter_code="",
            outlet_id=desk["outlet_id"],
            desk=desk["desk"],
            anonymous_allowed=True,
            signed_in_only=False,
        )
    if event["review_id"] is not None and not rated_ok:
        raise AlreadyRated(event["review_id"])
    if event["expires_at"] is not None and _now(now) > event["expires_at"]:
        raise TokenExpired
    owned = event["account_id"] is not None
    if owned and event["account_id"] != account_id:
        raise NotYours
    return Target(
        token=token,
        kind=event["kind"],
        channel=Channel(event["channel"]),
        outcome=event["outcome"],
        subject=event["subject"],
        matter_code=event["matter_code"],
        outlet_id=event["outlet_id"],
        desk=event["desk"],
        anonymous_allowed=not owned,
        signed_in_only=owned,
        event_id=event["id"],
        month=event["month"],
    )


async def is_someones_event(token: str) -> bool:
    """A service of a named person (a matter): rated by them once they have signed in."""
    return await ServiceEvent.exists().where(
        (ServiceEvent.token == token) & ServiceEvent.account_id.is_not_null()
    )


# --- Reviews ----------------------------------------------------------------------------------


async def submit_review(
    token: str,
    account_id: int | None,
    form: ReviewForm,
    key: str,
    clocks: Clocks,
    now: dt.datetime | None = None,
    target: Target | None = None,
    limited: Sequence[Limited] = (),
) -> tuple[int, bool]:
    """(the review's id, whether this was a repeat of a submission already made). Raises what
    target_of raises, AlreadyRated for a second review of the event, idempotency.KeyReused.
    `target`: what target_of answered the caller for this token and person just now (the
    rating page's send), not read again. `limited`: counters of ratings stored, each one more
    in the same transaction (limits.RateLimited past one, and nothing is stored)."""
    at = _now(now)
    payload = {"token": token, "form": msgspec.to_builtins(form)}
    owner = f"account:{account_id}" if account_id else f"anonymous:{token}"
    grade = rules.grade_of(form.level)
    tallied: tuple[tuple[Any, ...], bool] | None = None  # the tally's place, whether a new event

    async def write() -> dict[str, int]:
        nonlocal tallied
        # A second review of the event, however it got here, meets review.event's uniqueness.
        rated = target or await target_of(token, account_id, at)
        new_event = rated.event_id is None
        event_id, month = (
            await _event_of_rating(rated, at) if new_event else (rated.event_id, rated.month)
        )
        review_id = await _store_review(event_id, rated, account_id, form, at)
        if grade == Grade.bad:
            await _open_case(review_id, at, clocks)
        tallied = ((month, rated.outlet_id, rated.channel, rated.matter_code), new_event)
        return {"review": review_id}

    async def count() -> None:
        # Rows many ratings share (a tally, an address's counter), after the answer is stored:
        # locked for the commit only (bench/README.md "Reviews over HTTP", session 14); in this
        # transaction, so that SQLite commits (and syncs) once, not three times.
        assert tallied is not None  # once() runs it after write()
        place, new_event = tallied
        await tallies.rated(place, grade, new_event)
        await limits.check_all(limited)

    try:
        answer, repeated = await idempotency.once(
            SUBMISSION_SCOPE, owner, key, payload, write, then=count
        )
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
        # Another submission for this event (another tab, another key) committed first.
        raise AlreadyRated(await _review_of_token(token)) from None
    return answer["review"], repeated


async def _review_of_token(token: str) -> int:
    row = (
        await Review.select(Review.id)
        .where(
            Review.event.is_in(
                ServiceEvent.select(ServiceEvent.id).where(ServiceEvent.token == token)
            )
        )
        .first()
    )
    return row["id"] if row else 0


async def _event_of_rating(target: Target, at: dt.datetime) -> tuple[int, str]:
    """Each rating from a desk's code or an online service's link is its own service event:
    (its id, its month), counted in the tallies with its review (tallies.rated)."""
    event_id = await _insert_event(
        at,
        token=new_token(),
        kind=ServiceEvent.Kind(target.kind),
        channel=target.channel,
        outcome=target.outcome,
        subject=target.subject,
        outlet_id=target.outlet_id,
        desk=target.desk,
    )
    return event_id, month_of(at)


_REVIEW_COLUMNS = (
    "event",
    "level",
    "grade",
    "channel",
    "kind",
    "outlet_id",
    "matter_code",
    "dimensions",
    "tags",
    "comment",
    "anonymous",
    "reviewer_id",
    "created_at",
)
# Raw, as the tally's upsert: Piccolo's insert builds a Review and compiles it (~0.2 ms, bench/).
_INSERT_REVIEW = (
    f"INSERT INTO {Review._meta.tablename} ({', '.join(_REVIEW_COLUMNS)})"
    f" VALUES ({', '.join('{}' for _ in _REVIEW_COLUMNS)}) RETURNING id"
)


async def _store_review(
    event_id: int, target: Target, account_id: int | None, form: ReviewForm, at: dt.datetime
) -> int:
    rows = await execute(
        Review,
        _INSERT_REVIEW,
        event_id,
        int(form.level),
        rules.grade_of(form.level).value,
        target.channel.value,
        str(target.kind),
        target.outlet_id,
        target.matter_code,
        msgspec.json.encode(form.dimensions).decode(),
        msgspec.json.encode(list(form.tags)).decode(),
        form.comment,
        form.anonymous,
        None if form.anonymous else account_id,
        at,
    )
    return rows[0]["id"]


async def _open_case(review_id: int, at: dt.datetime, clocks: Clocks) -> None:
    calendar = await working_days.load_calendar()
    day = office_day(at)
    contact = working_days.add_working_days(day, clocks.contact_days, calendar)
    resolve = working_days.add_working_days(day, clocks.resolve_days, calendar)
    await RectificationCase.insert(
        RectificationCase(
            review=review_id,
            contact_due=contact.date,
            resolve_due=resolve.date,
            due_provisional=contact.provisional or resolve.provisional,
            opened_at=at,
        )
    )


class FollowUpClosed(Exception):
    pass


async def add_follow_up(
    review_id: int,
    account_id: int,
    level: rules.Level,
    comment: str,
    period: dt.timedelta,
    now: dt.datetime | None = None,
) -> None:
    """A follow-up rating of one's own review within the period; one per review."""
    at = _now(now)
    review = (
        await Review.select(Review.created_at)
        .where((Review.id == review_id) & (Review.reviewer_id == account_id))
        .first()
    )
    if review is None:
        raise NotYours
    if not rules.follow_up_open(review["created_at"], at, period):
        raise FollowUpClosed
    try:
        async with write_transaction(FollowUp._meta.db):
            if await FollowUp.exists().where(FollowUp.review == review_id):
                raise FollowUpClosed
            await FollowUp.insert(
                FollowUp(review=review_id, level=int(level), comment=comment.strip(), created_at=at)
            )
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
        raise FollowUpClosed from None


# --- What people see --------------------------------------------------------------------------


class StepView(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    to_status: str
    text: str
    new_due: dt.date | None
    at: dt.datetime


class CaseView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    review_id: int
    status: CaseStatus
    contact_due: dt.date
    resolve_due: dt.date
    due_provisional: bool
    assignee_id: int | None
    satisfaction: int | None
    escalated: bool
    opened_at: dt.datetime
    steps: list[StepView]


class ReviewView(msgspec.Struct, frozen=True, kw_only=True):
    """A review as its reviewer, or the office, sees it (`reviewer_id` only for the reviewer's
    own page and the supervisor's contact)."""

    id: int
    level: int
    grade: str
    channel: str
    kind: str
    subject: str
    outlet_id: int | None
    matter_code: str
    dimensions: dict[str, int]
    tags: list[str]
    comment: str
    anonymous: bool
    created_at: dt.datetime
    follow_up_level: int | None
    follow_up_comment: str
    case: CaseView | None


async def reviews_of(account_id: int) -> list[ReviewView]:
    """The person's own reviews, newest first, with each case's every step."""
    rows = (
        await Review.select(*Review.all_columns(), Review.event.subject)
        .where(Review.reviewer_id == account_id)
        .order_by(Review.id, ascending=False)
    )
    return await _views(rows)


async def review_for_office(review_id: int, actor: Actor) -> ReviewView:
    """A review for its case's page: staff of its outlet or a supervisor; LookupError else."""
    row = (
        await Review.select(*Review.all_columns(), Review.event.subject)
        .where(Review.id == review_id)
        .first()
    )
    if row is None or not _office_sees(actor, row["outlet_id"]):
        raise LookupError(review_id)
    return (await _views([row]))[0]


def _office_sees(actor: Actor, outlet_id: int | None) -> bool:
    if actor.role == Account.Role.supervisor:
        return True
    return (
        actor.role == Account.Role.staff and outlet_id is not None and actor.outlet_id == outlet_id
    )


async def _views(rows: list[dict[str, Any]]) -> list[ReviewView]:
    ids = [row["id"] for row in rows]
    follow_ups = {
        row["review"]: row
        for row in await FollowUp.select().where(FollowUp.review.is_in(ids or [0]))
    }
    cases = await _cases_by_review(ids)
    return [
        ReviewView(
            id=row["id"],
            level=row["level"],
            grade=row["grade"],
            channel=row["channel"],
            kind=row["kind"],
            subject=row["event.subject"],
            outlet_id=row["outlet_id"],
            matter_code=row["matter_code"],
            dimensions=msgspec.json.decode(row["dimensions"]),
            tags=msgspec.json.decode(row["tags"]),
            comment=row["comment"],
            anonymous=row["anonymous"],
            created_at=row["created_at"],
            follow_up_level=follow_ups[row["id"]]["level"] if row["id"] in follow_ups else None,
            follow_up_comment=follow_ups[row["id"]]["comment"] if row["id"] in follow_ups else "",
            case=cases.get(row["id"]),
        )
        for row in rows
    ]


async def _cases_by_review(review_ids: list[int]) -> dict[int, CaseView]:
    rows = await RectificationCase.select().where(RectificationCase.review.is_in(review_ids or [0]))
    steps: dict[int, list[StepView]] = {}
    for step in (
        await RectificationStep.select()
        .where(RectificationStep.case.is_in([row["id"] for row in rows] or [0]))
        .order_by(RectificationStep.id)
    ):
        steps.setdefault(step["case"], []).append(
            StepView(
                step=step["step"],
                to_status=step["to_status"],
                text=step["text"],
                new_due=step["new_due"],
                at=step["at"],
            )
        )
    return {row["review"]: _case_view(row, steps.get(row["id"], [])) for row in rows}


def _case_view(row: dict[str, Any], steps: list[StepView]) -> CaseView:
    return CaseView(
        id=row["id"],
        review_id=row["review"],
        status=CaseStatus(row["status"]),
        contact_due=row["contact_due"],
        resolve_due=row["resolve_due"],
        due_provisional=row["due_provisional"],
        assignee_id=row["assignee_id"],
        satisfaction=row["satisfaction"],
        escalated=row["escalated_at"] is not None,
        opened_at=row["opened_at"],
        steps=steps,
    )


# --- Rectification ----------------------------------------------------------------------------


class CaseNotFound(LookupError):
    pass


class ChangedMeanwhile(Exception):
    pass


async def take_step(
    case_id: int,
    account_id: int,
    step: CaseStep,
    text: str = "",
    *,
    new_due: dt.date | None = None,
    assignee_id: int | None = None,
    satisfaction: rules.Level | None = None,
    now: dt.datetime | None = None,
) -> CaseView:
    """One step of the case by this person: stored with its time, or rules.StepRefused.
    CaseNotFound when the person may not see the case (another outlet; another's review)."""
    at = _now(now)
    actor = await actor_of(account_id)
    async with write_transaction(RectificationCase._meta.db):
        case = (
            await RectificationCase.select(
                *RectificationCase.all_columns(),
                RectificationCase.review.outlet_id,
                RectificationCase.review.reviewer_id,
                RectificationCase.review.event,
            )
            .where(RectificationCase.id == case_id)
            .first()
        )
        if case is None:
            raise CaseNotFound(case_id)
        is_reviewer = case["review.reviewer_id"] == account_id
        if not is_reviewer and not _office_sees(actor, case["review.outlet_id"]):
            raise CaseNotFound(case_id)
        status = CaseStatus(case["status"])
        to = rules.next_status(status, step, actor.role, is_reviewer, text)
        changes = await _step_changes(step, case, at, new_due, assignee_id, satisfaction)
        changes[RectificationCase.status] = to
        async with tallies.recounted(case["review.event"]):
            updated = (
                await RectificationCase.update(changes)
                .where((RectificationCase.id == case_id) & (RectificationCase.status == status))
                .returning(RectificationCase.id)
            )
            if not updated:
                raise ChangedMeanwhile
            await RectificationStep.insert(
                RectificationStep(
                    case=case_id,
                    step=step,
                    from_status=status,
                    to_status=to,
                    actor_id=account_id,
                    actor_role=actor.role,
                    text=text.strip(),
                    new_due=new_due if step == CaseStep.postpone else None,
                    at=at,
                )
            )
    return (await _cases_by_review([case["review"]]))[case["review"]]


async def _step_changes(
    step: CaseStep,
    case: dict[str, Any],
    at: dt.datetime,
    new_due: dt.date | None,
    assignee_id: int | None,
    satisfaction: rules.Level | None,
) -> dict[Any, Any]:
    if step == CaseStep.contact:
        return {RectificationCase.contacted_at: at}
    if step == CaseStep.assign:
        if assignee_id is None or not await _works_at(assignee_id, case["review.outlet_id"]):
            raise rules.StepRefused("assignee")
        return {RectificationCase.assignee_id: assignee_id}
    if step == CaseStep.postpone:
        if new_due is None or new_due <= case["resolve_due"]:
            raise rules.StepRefused("new_due")
        return {RectificationCase.resolve_due: new_due, RectificationCase.escalated_at: None}
    if step == CaseStep.reply:
        in_time = office_day(at) <= case["resolve_due"]
        return {RectificationCase.replied_at: at, RectificationCase.replied_in_time: in_time}
    if step == CaseStep.confirm:
        if satisfaction is None:
            raise rules.StepRefused("satisfaction")
        return {RectificationCase.satisfaction: int(satisfaction), RectificationCase.closed_at: at}
    if step in (CaseStep.dismiss_appeal, CaseStep.close_unanswered):
        return {RectificationCase.closed_at: at}
    return {}


async def _works_at(account_id: int, outlet_id: int | None) -> bool:
    actor = await actor_of(account_id)
    if actor.role == Account.Role.supervisor:
        return True
    return actor.role == Account.Role.staff and actor.outlet_id == outlet_id


class OfficeCase(msgspec.Struct, frozen=True, kw_only=True):
    """A case in the office's list: no reviewer in it."""

    id: int
    review_id: int
    level: int
    outlet_id: int | None
    matter_code: str
    status: CaseStatus
    due: dt.date | None
    overdue: bool
    escalated: bool


async def office_cases(account_id: int, today: dt.date, open_only: bool = True) -> list[OfficeCase]:
    """The cases staff of an outlet (theirs) or a supervisor (all) work on, soonest due first."""
    actor = await actor_of(account_id)
    query = RectificationCase.select(
        *RectificationCase.all_columns(),
        RectificationCase.review.level,
        RectificationCase.review.outlet_id,
        RectificationCase.review.matter_code,
    )
    if actor.role == Account.Role.staff:
        query = query.where(RectificationCase.review.outlet_id == (actor.outlet_id or 0))
    elif actor.role != Account.Role.supervisor:
        return []
    if open_only:
        query = query.where(RectificationCase.status != CaseStatus.closed)
    cases = [_office_case(row, today) for row in await query]
    return sorted(cases, key=lambda case: (case.due or dt.date.max, case.id))


def due_of(status: CaseStatus, contact_due: dt.date, resolve_due: dt.date) -> dt.date | None:
    clock = rules.clock_of(status)
    if clock == "contact":
        return contact_due
    if clock == "resolve":
        return resolve_due
    return None


def _office_case(row: dict[str, Any], today: dt.date) -> OfficeCase:
    status = CaseStatus(row["status"])
    due = due_of(status, row["contact_due"], row["resolve_due"])
    return OfficeCase(
        id=row["id"],
        review_id=row["review"],
        level=row["review.level"],
        outlet_id=row["review.outlet_id"],
        matter_code=row["review.matter_code"],
        status=status,
        due=due,
        overdue=due is not None and today > due,
        escalated=row["escalated_at"] is not None,
    )


async def escalate_overdue(today: dt.date, now: dt.datetime | None = None) -> list[int]:
    """The periodic job: every case past its clock and not yet escalated is marked for the
    supervisors (their list shows it first); returns the cases escalated."""
    at = _now(now)
    rows = await RectificationCase.select(
        RectificationCase.id,
        RectificationCase.status,
        RectificationCase.contact_due,
        RectificationCase.resolve_due,
    ).where(
        RectificationCase.escalated_at.is_null() & (RectificationCase.status != CaseStatus.closed)
    )
    late = [
        row["id"]
        for row in rows
        if (due := due_of(CaseStatus(row["status"]), row["contact_due"], row["resolve_due"]))
        and today > due
    ]
    if late:
        await RectificationCase.update({RectificationCase.escalated_at: at}).where(
            RectificationCase.id.is_in(late)
        )
    return late


# --- Appeals against a review -----------------------------------------------------------------


class AppealRefused(Exception):
    pass


async def file_appeal(review_id: int, account_id: int, grounds: str) -> None:
    """The office contests a review as mistaken or malicious; it counts until decided."""
    actor = await actor_of(account_id)
    review = await Review.select(Review.outlet_id).where(Review.id == review_id).first()
    if review is None or not _office_sees(actor, review["outlet_id"]):
        raise LookupError(review_id)
    if not grounds.strip():
        raise AppealRefused("grounds")
    try:
        async with write_transaction(ReviewAppeal._meta.db):
            if await ReviewAppeal.exists().where(ReviewAppeal.review == review_id):
                raise AppealRefused("filed")
            await ReviewAppeal.insert(
                ReviewAppeal(review=review_id, grounds=grounds.strip(), filed_by=account_id)
            )
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
        raise AppealRefused("filed") from None


async def decide_appeal(
    review_id: int,
    account_id: int,
    decision: ReviewAppeal.Decision,
    reason: str,
    now: dt.datetime | None = None,
) -> None:
    """A supervisor's decision, with its reason; upheld takes the review out of the figures."""
    actor = await actor_of(account_id)
    if actor.role != Account.Role.supervisor:
        raise AppealRefused("role")
    if not reason.strip():
        raise AppealRefused("reason")
    async with write_transaction(ReviewAppeal._meta.db):
        review = await Review.select(Review.event).where(Review.id == review_id).first()
        if review is None:
            raise AppealRefused("decided")
        async with tallies.recounted(review["event"]):
            updated = await _decide(review_id, account_id, decision, reason, now)
    if not updated:
        raise AppealRefused("decided")


async def _decide(
    review_id: int,
    account_id: int,
    decision: ReviewAppeal.Decision,
    reason: str,
    now: dt.datetime | None,
) -> list[dict[str, Any]]:
    return (
        await ReviewAppeal.update(
            {
                ReviewAppeal.decision: decision,
                ReviewAppeal.decision_reason: reason.strip(),
                ReviewAppeal.decided_by: account_id,
                ReviewAppeal.decided_at: _now(now),
            }
        )
        .where((ReviewAppeal.review == review_id) & ReviewAppeal.decision.is_null())
        .returning(ReviewAppeal.id)
    )


# --- For the office's pages -------------------------------------------------------------------


class ReviewerContact(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    email: str


async def reviewer_contact(case_id: int, account_id: int) -> ReviewerContact | None:
    """Whom a supervisor contacts about the case (the return contact): None for anyone else,
    and for an anonymous review. The staff of the outlet rated never get it."""
    actor = await actor_of(account_id)
    if actor.role != Account.Role.supervisor:
        return None
    case = (
        await RectificationCase.select(RectificationCase.review.reviewer_id)
        .where(RectificationCase.id == case_id)
        .first()
    )
    if case is None or case["review.reviewer_id"] is None:
        return None
    row = (
        await Account.select(Account.display_name, Account.email)
        .where(Account.id == case["review.reviewer_id"])
        .first()
    )
    return ReviewerContact(name=row["display_name"], email=row["email"]) if row else None


async def case_for_office(case_id: int, account_id: int) -> tuple[CaseView, ReviewView]:
    """The case and its review, for staff of the outlet or a supervisor; CaseNotFound else."""
    actor = await actor_of(account_id)
    row = (
        await RectificationCase.select(RectificationCase.review)
        .where(RectificationCase.id == case_id)
        .first()
    )
    if row is None:
        raise CaseNotFound(case_id)
    try:
        review = await review_for_office(row["review"], actor)
    except LookupError as error:
        raise CaseNotFound(case_id) from error
    assert review.case is not None
    return review.case, review


class Colleague(msgspec.Struct, frozen=True):
    account_id: int
    name: str


async def assignable_staff(outlet_id: int | None) -> list[Colleague]:
    """Who may be given a case of this outlet: its staff."""
    if outlet_id is None:
        return []
    rows = await OutletStaff.select(OutletStaff.account, OutletStaff.account.display_name).where(
        OutletStaff.outlet == outlet_id
    )
    return [Colleague(row["account"], row["account.display_name"]) for row in rows]


async def appeal_of(review_id: int) -> dict[str, Any] | None:
    return await ReviewAppeal.select().where(ReviewAppeal.review == review_id).first()


class Desk(msgspec.Struct, frozen=True):
    token: str
    desk: str


async def desks_of(outlet_id: int) -> list[Desk]:
    rows = (
        await DeskCode.select(DeskCode.token, DeskCode.desk)
        .where((DeskCode.outlet_id == outlet_id) & DeskCode.active.eq(True))
        .order_by(DeskCode.desk)
    )
    return [Desk(row["token"], row["desk"]) for row in rows]


async def reviewer_of_case(case_id: int) -> int | None:
    row = (
        await RectificationCase.select(RectificationCase.review.reviewer_id)
        .where(RectificationCase.id == case_id)
        .first()
    )
    return row["review.reviewer_id"] if row else None
