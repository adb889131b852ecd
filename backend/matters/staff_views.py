"""The staff queue and a matter as staff see them: the service's views turned into rows and
words in the person's language, and the forms' input read leniently (a filter that names
nothing known filters nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import msgspec

from backend.auth.tables import Account
from backend.core import i18n
from backend.matters import answers as rules
from backend.matters import service, workflow
from backend.matters import wording as words
from backend.matters.catalogue import Field, catalogue
from backend.matters.workflow import Action, Actor, ReasonRule, Status
from backend.working_days.service import DueStatus

OPEN_STATUSES = tuple(
    status for status in Status if status != Status.draft and status not in workflow.CLOSED
)
STAFF_ACTIONS = frozenset(
    action for (_, action), rule in workflow.TRANSITIONS.items() if rule.by & workflow.OFFICE
)


class QueueFilters(msgspec.Struct, frozen=True, kw_only=True):
    outlet_id: int | None = None
    type_code: str = ""
    status: Status | None = None
    overdue_only: bool = False
    after: service.QueuePosition | None = None

    @classmethod
    def read(
        cls, outlet: str, type_code: str, status: str, overdue: str, after: str, actor: Actor
    ) -> QueueFilters:
        """Only a supervisor chooses the outlet; staff always see their own. A position that
        cannot be read starts at the first page."""
        chosen = outlet.strip()
        return cls(
            outlet_id=int(chosen)
            if chosen.isdigit() and actor.role == Account.Role.supervisor
            else None,
            type_code=type_code if catalogue().get(type_code) else "",
            status=Status(status) if status in OPEN_STATUSES else None,
            overdue_only=overdue == "1",
            after=_position(after),
        )

    def next_page_query(self, after: service.QueuePosition) -> str:
        """The query string of the page after `after`, with these filters."""
        chosen = {
            "outlet": self.outlet_id or "",
            "type": self.type_code,
            "status": self.status or "",
            "overdue": "1" if self.overdue_only else "",
            "after": f"{after.due_on.isoformat()}.{after.matter_id}",
        }
        return urlencode({key: value for key, value in chosen.items() if value})


def _position(after: str) -> service.QueuePosition | None:
    day, _, matter_id = after.partition(".")
    try:
        return service.QueuePosition(due_on=dt.date.fromisoformat(day), matter_id=int(matter_id))
    except ValueError:
        return None


class QueueRow(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    type_name: str
    status_name: str
    submitted_on: dt.date | None
    due_on: dt.date | None
    due_status: str  # a DueStatus, or "" when there is no due date
    provisional: bool
    claimed_by: str


def queue_rows(entries: list[service.QueueEntry]) -> list[QueueRow]:
    return [
        QueueRow(
            reference=entry.matter.reference,
            type_name=words.type_name(entry.matter.type_code),
            status_name=words.status_name(entry.matter.status),
            submitted_on=entry.matter.submitted_at.date() if entry.matter.submitted_at else None,
            due_on=entry.matter.due_on,
            due_status=entry.due_status or "",
            provisional=entry.matter.due_provisional,
            claimed_by=entry.claimed_by,
        )
        for entry in entries
    ]


def filter_choices(outlets: list[tuple[int, str]]) -> dict[str, Any]:
    """The options of the queue's filters, in the person's language."""
    locale = i18n.current_locale()
    return {
        "types": [(kind.code, kind.name.of(locale)) for kind in catalogue().matters],
        "statuses": [(status.value, words.status_name(status)) for status in OPEN_STATUSES],
        "outlets": outlets,
    }


class Answer(msgspec.Struct, frozen=True):
    label: str
    value: str


class Step(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime
    action_name: str
    status_name: str
    by: str
    text: str
    missing: tuple[str, ...]


class ActionForm(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    name: str
    rule: str  # a ReasonRule


def _shown(field: Field | None, value: Any) -> str:
    if field is not None and field.choices:
        locale = i18n.current_locale()
        labels = {choice.value: choice.label.of(locale) for choice in field.choices}
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(one), str(one)) for one in values)
    if isinstance(value, list):
        return "、".join(str(one) for one in value)
    if isinstance(value, bool):
        return i18n.gettext("Yes") if value else i18n.gettext("No")
    return str(value)


def answers_of(matter: service.MatterView) -> list[Answer]:
    """The answers in the form's order, each under its question; keys the form no longer asks
    come last under their own key."""
    kind = catalogue().get(matter.type_code)
    fields = {field.key: field for field in kind.fields} if kind else {}
    locale = i18n.current_locale()
    ordered = [key for key in fields if key in matter.answers]
    ordered += [
        key for key in matter.answers if key not in fields and key != rules.REGISTER_CHECK
    ]  # the register's answer has its own part of the page (matters/_register_check.html)
    return [
        Answer(
            label=fields[key].label.of(locale) if key in fields else key,
            value=_shown(fields.get(key), matter.answers[key]),
        )
        for key in ordered
    ]


def register_of(matter: service.MatterView) -> dict[str, Any]:
    kind = catalogue().get(matter.type_code)
    return words.register_context(kind, matter.answers) if kind else {"register": None}


def steps_of(matter: service.MatterView) -> list[Step]:
    return [
        Step(
            at=step.at,
            action_name=words.action_name(step.action),
            status_name=words.status_name(step.to_status),
            by=words.role_name(step.actor_role),
            text=step.reason.text if step.reason else "",
            missing=step.reason.missing if step.reason else (),
        )
        for step in matter.history
    ]


def action_forms(matter: service.MatterView, actor: Actor) -> list[ActionForm]:
    state = workflow.MatterState(
        applicant_id=matter.applicant_id, outlet_id=matter.outlet_id, history=matter.history
    )
    return [
        ActionForm(
            action=action.value,
            name=words.action_name(action),
            rule=workflow.reason_rule(action).value,
        )
        for action in workflow.next_actions(state, actor)
        if action in STAFF_ACTIONS
    ]


def staff_action(value: str) -> Action | None:
    """The office's action named in the address, or None (404) for anything else."""
    return Action(value) if value in STAFF_ACTIONS else None


def reason_from(action: Action, text: str, missing: str) -> workflow.Reason:
    """What the form gave: one missing item a line, for a correction; the text for the rest."""
    items = tuple(line for line in missing.splitlines() if line.strip())
    if workflow.reason_rule(action) == ReasonRule.what_is_missing:
        return workflow.Reason(text=text, missing=items)
    return workflow.Reason(text=text)


def due_words(due_status: str) -> str:
    if due_status == DueStatus.overdue:
        return i18n.gettext("Overdue")
    if due_status == DueStatus.due_soon:
        return i18n.gettext("Due within 2 working days")
    return ""
