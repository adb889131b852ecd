"""Matters: a person starts one as a draft, submits it once, and the office works it to its end.

The rules of who may do what are workflow.py's; this module stores what it decides: each
transition as a MatterEvent and the matter's status beside it, in one transaction, the
matter's row locked against a concurrent action (a version check on `updated_at`). A submission
runs under its Idempotency-Key (backend/idempotency): a double tap or a retry after a lost answer
makes one matter and gets the first answer. A submitted matter is due `promised.working_days`
working days after the day it arrived (backend/working_days), provisional when the calendar does
not cover those days.

Who may see a matter: its applicant, staff of its outlet, any supervisor. Everyone else is told
it does not exist (`MatterNotFound`), never that it is someone else's.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from backend.auth.tables import Account
from backend.business_register.service import BusinessRegister
from backend.core.database import execute, read_by_key, write_transaction
from backend.idempotency import service as idempotency
from backend.matters import queue_shown, register_lookup, workflow
from backend.matters.catalogue import Matter as MatterType
from backend.matters.catalogue import catalogue
from backend.matters.tables import Matter, MatterEvent
from backend.matters.workflow import Action, Actor, Reason, Refusal, Status, Transition
from backend.outlets.staff import actor_of
from backend.outlets.tables import Outlet
from backend.reviews import service as reviews
from backend.working_days import service as working_days

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
REFERENCE_LENGTH = 10
SUBMISSION_SCOPE = "matter-submission"
QUEUE_PAGE = 25  # a phone's screenful or two; the rest a link away (QueuePage.next_after)


class MatterNotFound(LookupError):
    """No such matter, or not one this person may see (the same answer: 404)."""


class UnknownMatterType(LookupError):
    pass


class ActionRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


class ChangedMeanwhile(Exception):
    """Someone else acted on the matter between reading and writing: read it again."""


class MatterView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    reference: str
    type_code: str
    status: Status
    applicant_id: int
    outlet_id: int
    record_number: str | None
    answers: dict[str, Any]
    commitment_version: str | None
    submitted_at: dt.datetime | None
    due_on: dt.date | None
    due_provisional: bool
    history: tuple[Transition, ...]


class QueueEntry(msgspec.Struct, frozen=True, kw_only=True):
    matter: MatterView
    due_status: working_days.DueStatus | None
    claimed_by: str = ""  # the display name of who took it on


class QueuePosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where a page of the queue ends: the next page starts after this matter."""

    due_on: dt.date
    matter_id: int


class QueuePage(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[QueueEntry]
    next_after: QueuePosition | None  # None: this is the last page


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def matter_type(code: str) -> MatterType:
    found = catalogue().get(code)
    if found is None:
        raise UnknownMatterType(code)
    return found


async def outlet_for(kind: MatterType, province_code: str = "") -> int:
    """The outlet a new matter goes to: one of the types the catalogue says handle it, in the
    applicant's province where there is one, else the first such outlet anywhere."""
    candidates = Outlet.select(Outlet.id, Outlet.province_code).where(
        Outlet.type.is_in(list(kind.outlet_types))
    )
    rows = await candidates.order_by(Outlet.id)
    if not rows:
        raise LookupError(f"no outlet handles {kind.code}")
    in_province = [row for row in rows if province_code and row["province_code"] == province_code]
    return (in_province or rows)[0]["id"]


# Reading.


async def _history(matter_id: int) -> tuple[Transition, ...]:
    rows = (
        await MatterEvent.select().where(MatterEvent.matter == matter_id).order_by(MatterEvent.id)
    )
    return tuple(_transition(row) for row in rows)


def _transition(row: dict[str, Any]) -> Transition:
    return Transition(
        from_status=Status(row["from_status"]),
        to_status=Status(row["to_status"]),
        action=Action(row["action"]),
        actor_id=row["actor_id"],
        actor_role=Account.Role(row["actor_role"]),
        reason=Reason(
            text=row["reason_text"],
            missing=tuple(msgspec.json.decode(row["reason_missing"])),
        ).cleaned(),
        at=row["at"],
    )


async def _view(row: dict[str, Any], with_history: bool = True) -> MatterView:
    """The matter of this row; `with_history=False` leaves the history out (a list of many)."""
    return _view_with(row, await _history(row["id"]) if with_history else ())


def _view_with(row: dict[str, Any], history: tuple[Transition, ...]) -> MatterView:
    return MatterView(
        id=row["id"],
        reference=row["reference"],
        type_code=row["type_code"],
        status=Status(row["status"]),
        applicant_id=row["applicant"],
        outlet_id=row["outlet"],
        record_number=row["record_number"],
        answers=msgspec.json.decode(row["answers"]),
        commitment_version=row["commitment_version"],
        submitted_at=row["submitted_at"],
        due_on=row["due_on"],
        due_provisional=row["due_provisional"],
        history=history,
    )


def may_see(matter: MatterView, actor: Actor) -> bool:
    if actor.role == Account.Role.supervisor:
        return True
    if actor.role == Account.Role.staff:
        return actor.outlet_id == matter.outlet_id
    return actor.role == Account.Role.applicant and matter.applicant_id == actor.account_id


_MATTER_COLUMNS = (
    "id",
    "reference",
    "type_code",
    "applicant",
    "outlet",
    "record_number",
    "status",
    "answers",
    "commitment_version",
    "submitted_at",
    "due_on",
    "due_provisional",
)
_EVENT_COLUMNS = (
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "actor_role",
    "reason_text",
    "reason_missing",
    "at",
)
# The matter by its reference and its history (a handful of events) joined: one read by key.
_MATTER_AND_HISTORY = (
    f"SELECT {', '.join(f'm.{name}' for name in _MATTER_COLUMNS)}, e.id AS event_id, "
    f"{', '.join(f'e.{name}' for name in _EVENT_COLUMNS)}"
    f" FROM {Matter._meta.tablename} m LEFT JOIN {MatterEvent._meta.tablename} e"
    " ON e.matter = m.id WHERE m.reference = {} ORDER BY e.id"
)


async def matter_for(reference: str, actor: Actor) -> MatterView:
    """The matter, if `actor` may see it; MatterNotFound otherwise. One read by key (on SQLite
    on the event loop outside a transaction), where the matter and its history were two Piccolo
    statements through a thread, asked up to three times a send (bench/README.md)."""
    rows = await read_by_key(Matter, _MATTER_AND_HISTORY, reference)
    if not rows:
        raise MatterNotFound(reference)
    history = tuple(_transition(row) for row in rows if row["event_id"] is not None)
    matter = _view_with(rows[0], history)
    if not may_see(matter, actor):
        raise MatterNotFound(reference)
    return matter


async def matters_of(account_id: int) -> list[MatterView]:
    """A person's own matters, the latest change first."""
    rows = (
        await Matter.select()
        .where(Matter.applicant == account_id)
        .order_by(Matter.updated_at, ascending=False)
    )
    return [await _view(row) for row in rows]


# Writing.


async def start_matter(
    account_id: int,
    type_code: str,
    record_number: str | None = None,
    province_code: str = "",
) -> MatterView:
    """A draft of this type for this person, kept on the server until they submit it."""
    kind = matter_type(type_code)
    outlet = await outlet_for(kind, province_code)
    reference = new_reference()
    await Matter.insert(
        Matter(
            reference=reference,
            type_code=kind.code,
            applicant=account_id,
            outlet=outlet,
            record_number=record_number,
        )
    )
    return await matter_for(reference, await actor_of(account_id))


async def save_answers(
    reference: str,
    account_id: int,
    answers: dict[str, Any],
    register: BusinessRegister | None = None,
) -> MatterView:
    """Keep the draft's answers (merged into those kept). Only the applicant, only a draft or a
    matter whose correction was asked for. When `answers` hold the holder's credit code, the
    business `register` is asked about it and its answer kept with them (register_lookup.py)."""
    actor = await actor_of(account_id)
    matter = await matter_for(reference, actor)
    if matter.applicant_id != account_id:
        raise ActionRefused(Refusal.not_your_matter)
    if matter.status not in (Status.draft, Status.correction_requested):
        raise ActionRefused(Refusal.not_allowed_in_state)
    merged = {**matter.answers, **answers}
    if register is not None:
        merged = await register_lookup.with_register_check(
            matter_type(matter.type_code), matter.answers, merged, answers, register
        )
    values: dict[Any, Any] = {
        Matter.answers: msgspec.json.encode(merged).decode(),
        Matter.updated_at: dt.datetime.now(dt.UTC),
    }
    number = record_number_answered(matter_type(matter.type_code), merged)
    if number is not None:  # the record the matter is about, for the queue and the staff page
        values[Matter.record_number] = number
    await Matter.update(values).where(Matter.id == matter.id)
    return await matter_for(reference, actor)


def record_number_answered(kind: MatterType, answers: dict[str, Any]) -> str | None:
    """The canonical number answered to the matter's record question, if it has one."""
    for group in kind.questions:
        for field in group.fields:
            if field.kind == "record_number" and answers.get(field.key):
                return str(answers[field.key])[:40]
    return None


async def submit_matter(
    reference: str,
    account_id: int,
    key: str,
    answers: dict[str, Any],
    commitment_version: str | None = None,
    now: dt.datetime | None = None,
    tell: Callable[[MatterView], Awaitable[object]] | None = None,
    as_read: tuple[MatterView, Actor] | None = None,
) -> tuple[str, bool]:
    """Submit the draft with these answers under the Idempotency-Key `key`: (its reference,
    whether this was a repeat). The same key with other answers raises idempotency.KeyReused.
    `tell(matter)`, the matter as sent, runs in the submission's transaction (the applicant's
    inbox message: written with the matter or not at all, and not for a repeat). `as_read`: the
    matter and the person as the caller read them just now (the send's route), not read again:
    a draft has no history to change meanwhile, and the update stores nothing unless the matter
    is a draft still (ChangedMeanwhile)."""
    payload = {"matter": reference, "answers": answers, "commitment": commitment_version}
    matter, actor = as_read or (None, await actor_of(account_id))

    async def write() -> None:
        sent = await _apply(
            reference,
            actor,
            Action.submit,
            None,
            now,
            as_read=matter,
            answers=answers,
            commitment_version=commitment_version,
        )
        if tell is not None:
            await tell(sent)

    answer, repeated = await idempotency.once(
        SUBMISSION_SCOPE,
        f"account:{account_id}",
        key,
        payload,
        write,
        known_answer={"reference": reference},
    )
    return answer["reference"], repeated


async def act(
    reference: str,
    account_id: int,
    action: Action,
    reason: Reason | None = None,
    now: dt.datetime | None = None,
) -> MatterView:
    """Take `action` on the matter as this person: the transition stored, or ActionRefused."""
    actor = await actor_of(account_id)
    async with write_transaction(Matter._meta.db):
        await _apply(reference, actor, action, reason, now)
    return await matter_for(reference, actor)


_EVENT_INSERTED = ("matter", *_EVENT_COLUMNS)
# A transition's two statements, raw (database.execute): a send's and a staff action's
# transaction then builds no Piccolo query (bench/README.md "Signed-in POSTs").
_INSERT_EVENT = (
    f"INSERT INTO {MatterEvent._meta.tablename} ({', '.join(_EVENT_INSERTED)})"
    f" VALUES ({', '.join('{}' for _ in _EVENT_INSERTED)})"
)


@functools.cache
def _update_of(columns: tuple[str, ...]) -> str:
    """The matter's update of `columns`, if its status is still the one read."""
    assignments = ", ".join(f"{column} = {{}}" for column in columns)
    return (
        f"UPDATE {Matter._meta.tablename} SET {assignments}"
        " WHERE id = {} AND status = {} RETURNING id"
    )


async def _apply(
    reference: str,
    actor: Actor,
    action: Action,
    reason: Reason | None,
    now: dt.datetime | None,
    as_read: MatterView | None = None,
    **changes: Any,
) -> MatterView:
    """Inside the caller's transaction: the workflow's transition stored with the matter's new
    status (and `changes`), or ActionRefused / ChangedMeanwhile. The matter as it now is.
    `as_read`: the matter as read by the caller for `actor` (submit_matter's)."""
    at = now or dt.datetime.now(dt.UTC)
    matter = as_read or await matter_for(reference, actor)
    state = workflow.MatterState(
        applicant_id=matter.applicant_id, outlet_id=matter.outlet_id, history=matter.history
    )
    decided = workflow.apply(state, action, actor, reason, at)
    if isinstance(decided, Refusal):
        raise ActionRefused(decided)
    # The matter's fields the transition changes, as the view holds them; stored as below.
    moved: dict[str, Any] = {"status": decided.to_status}
    moved |= {name: changes[name] for name in ("answers", "commitment_version") if name in changes}
    if action == Action.submit:
        due = working_days.add_working_days(
            decided.at.date(),
            matter_type(matter.type_code).promised.working_days,
            await working_days.load_calendar(),
        )
        moved |= {
            "submitted_at": decided.at,
            "due_on": due.date,
            "due_provisional": due.provisional,
        }
    values = {name: _stored(value) for name, value in moved.items()} | {"updated_at": decided.at}
    updated = await execute(
        Matter, _update_of(tuple(values)), *values.values(), matter.id, str(matter.status)
    )
    if not updated:
        raise ChangedMeanwhile(reference)
    given = decided.reason or Reason()
    await execute(
        MatterEvent,
        _INSERT_EVENT,
        matter.id,
        str(decided.action),
        str(decided.from_status),
        str(decided.to_status),
        decided.actor_id,
        str(decided.actor_role),
        given.text,
        msgspec.json.encode(list(given.missing)).decode(),
        decided.at,
    )
    await queue_shown.queue_changed(matter.outlet_id)
    if _ends_a_service(decided):  # its one rating opens with it, in the same transaction
        await reviews.matter_ended(
            reference,
            matter.type_code,
            matter.outlet_id,
            matter.applicant_id,
            decided.to_status,
            decided.at,
        )
    return msgspec.structs.replace(matter, history=(*matter.history, decided), **moved)


def _stored(value: Any) -> Any:
    """A view's field as its column holds it: the answers as JSON, a status as its text."""
    if isinstance(value, dict):
        return msgspec.json.encode(value).decode()
    return str(value) if isinstance(value, Status) else value


def _ends_a_service(transition: Transition) -> bool:
    """Completed, or withdrawn after it was sent: the service given may be rated (a draft
    withdrawn was never a service)."""
    if transition.to_status == Status.completed:
        return True
    return transition.to_status == Status.withdrawn and transition.from_status != Status.draft


# The staff queue.


async def queue_for(
    actor: Actor,
    outlet_id: int | None = None,
    type_code: str = "",
    status: Status | None = None,
    overdue_only: bool = False,
    today: dt.date | None = None,
    after: QueuePosition | None = None,
) -> QueuePage:
    """A page of the open matters the staff member may act on (their outlet's; a supervisor's:
    any, or the outlet chosen), the earliest due first, from `after` on, each with how its clock
    stands and who took it on (without their histories: matter_for gives one matter's)."""
    if actor.role not in (Account.Role.staff, Account.Role.supervisor):
        raise ActionRefused(Refusal.role_not_allowed)
    query = Matter.select(
        *Matter.all_columns(), Matter.claimed_by.display_name.as_alias("claimed_by_name")
    ).where(Matter.status.not_in([Status.draft, *workflow.CLOSED]))
    if actor.role == Account.Role.staff:
        query = query.where(Matter.outlet == actor.outlet_id)
    elif outlet_id is not None:
        query = query.where(Matter.outlet == outlet_id)
    if type_code:
        query = query.where(Matter.type_code == type_code)
    if status is not None:
        query = query.where(Matter.status == status)
    today = today or dt.date.today()
    if overdue_only:  # overdue: from the day after the due date (working_days.due_status)
        query = query.where(Matter.due_on < today)
    if after is not None:
        query = query.where(
            (Matter.due_on > after.due_on)
            | ((Matter.due_on == after.due_on) & (Matter.id > after.matter_id))
        )
    # A page (and one more row, to know whether there is another), in due-date order.
    rows = await query.order_by(Matter.due_on).order_by(Matter.id).limit(QUEUE_PAGE + 1)
    calendar = await working_days.load_calendar()
    entries = []
    for row in rows[:QUEUE_PAGE]:
        matter = await _view(row, with_history=False)  # one statement for the whole queue
        due = (
            working_days.Due(date=matter.due_on, provisional=matter.due_provisional)
            if matter.due_on
            else None
        )
        state = working_days.due_status(due, today, calendar) if due else None
        claimed_by = row["claimed_by_name"] or ""  # None when no one took it on
        entries.append(QueueEntry(matter=matter, due_status=state, claimed_by=claimed_by))
    last = entries[-1].matter if entries else None
    more = len(rows) > QUEUE_PAGE and last is not None and last.due_on is not None
    next_after = QueuePosition(due_on=last.due_on, matter_id=last.id) if more else None
    return QueuePage(entries=entries, next_after=next_after)


async def claim(reference: str, account_id: int) -> MatterView:
    """The staff member takes the open matter on (from whoever had it): the queue shows who.
    Only staff of its outlet or a supervisor; MatterNotFound for anyone who may not see it."""
    actor = await actor_of(account_id)
    matter = await matter_for(reference, actor)
    if actor.role not in (Account.Role.staff, Account.Role.supervisor):
        raise ActionRefused(Refusal.role_not_allowed)
    if matter.status == Status.draft or matter.status in workflow.CLOSED:
        raise ActionRefused(Refusal.not_allowed_in_state)
    await Matter.update({Matter.claimed_by: account_id}).where(Matter.id == matter.id)
    await queue_shown.queue_changed(matter.outlet_id)
    return matter


async def claimants(matter_ids: list[int]) -> dict[int, str]:
    """Who took each of these matters on (matter id → display name); unclaimed ones left out."""
    if not matter_ids:
        return {}
    rows = await Matter.select(Matter.id, Matter.claimed_by.display_name.as_alias("name")).where(
        Matter.id.is_in(matter_ids) & Matter.claimed_by.is_not_null()
    )
    return {row["id"]: row["name"] for row in rows}


async def queue_outlets() -> list[tuple[int, str]]:
    """(id, name) of the outlets with open matters: a supervisor's choice of outlet, by name.

    One probe of the matter table's outlet index for each outlet of a type that handles
    matters, stopping at its first open matter: reading every open matter for their outlets
    (SELECT DISTINCT) took 44 ms a page at 100,000 matters on PostgreSQL (bench/README.md)."""
    kinds = catalogue().matters
    types = sorted({str(outlet_type) for kind in kinds for outlet_type in kind.outlet_types})
    not_open = [str(status) for status in (Status.draft, *workflow.CLOSED)]
    if not types:
        return []
    rows = await Outlet.raw(
        "SELECT id, name FROM outlet"
        f" WHERE type IN ({', '.join('{}' for _ in types)}) AND EXISTS (SELECT 1 FROM matter"
        " WHERE matter.outlet = outlet.id"
        f" AND matter.status NOT IN ({', '.join('{}' for _ in not_open)}))",
        *types,
        *not_open,
    )
    return sorted(((row["id"], row["name"]) for row in rows), key=lambda pair: pair[1])
