"""Telling holders about their records: status changes, and deadlines at 30, 7 and 1 days.

Messages are written in each recipient's own language. The daily scan sends, for each
deadline, the reminder of the nearest threshold not yet passed, so a day the scan did not run
is caught up the next day, and a second run on the same day sends nothing (dedupe keys).
"""

from __future__ import annotations

import datetime as dt

from backend.auth import audit
from backend.auth.audit import RequestMeta
from backend.auth.tables import Account
from backend.core import i18n
from backend.inquiries.schemas import DeadlineView, StatusChangeForm
from backend.inquiries.service import bound_account_ids, change_status, next_deadline
from backend.inquiries.stages import stage_view
from backend.inquiries.tables import Record, RecordBinding
from backend.notifications.service import Message, Notifier, locale_of

REMINDER_DAYS = (30, 7, 1)


async def record_status_change(
    record: Record,
    form: StatusChangeForm,
    today: dt.date,
    notifier: Notifier,
    meta: RequestMeta,
    staff: Account,
) -> int:
    """Record the new stage, audit the staff action, notify every bound account once."""
    event = await change_status(
        record, form.stage, form.official_status, form.note, form.document, today
    )
    await audit.record(
        "record-status-changed",
        "success",
        meta,
        actor_id=staff.id,
        actor_role=staff.role,
        target=f"{record.number} -> {form.stage}",
    )
    sent = 0
    for account_id in await bound_account_ids(record):
        with i18n.using_locale(await locale_of(account_id)):
            stage = stage_view(form.stage)
            message = Message(
                kind="status",
                title=i18n.gettext("%(number)s is now: %(stage)s")
                % {"number": record.number, "stage": stage.name},
                body=f"{stage.meaning} {stage.next_step}",
                link=f"/my/records/{record.number}",
                subject_key=f"event:{event.id}",
            )
        sent += await notifier.notify(account_id, message)
    return sent


def reminder_threshold(days_left: int) -> int | None:
    """The smallest of 30/7/1 at or above days_left (None while more than 30 days remain)."""
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due and days_left >= 0 else None


def _deadline_message(record: Record, deadline: DeadlineView, threshold: int) -> Message:
    _ = i18n.gettext
    if deadline.kind == "annual-fee":
        title = _("Annual fee for %(number)s due in %(days)d days") % {
            "number": record.number,
            "days": deadline.days_left,
        }
    else:
        title = _("Renewal of %(number)s due in %(days)d days") % {
            "number": record.number,
            "days": deadline.days_left,
        }
    body = _("Due on %(date)s.") % {"date": i18n.format_date(deadline.due_date)}
    if deadline.amount_yuan:
        body += " " + _("Amount: %(amount)s.") % {"amount": i18n.format_money(deadline.amount_yuan)}
    return Message(
        kind="deadline",
        title=title,
        body=body,
        link=f"/my/records/{record.number}",
        subject_key=f"{record.id}:{deadline.kind}:{deadline.due_date.isoformat()}:{threshold}",
    )


async def send_deadline_reminders(today: dt.date, notifier: Notifier) -> int:
    """The daily scan; returns how many reminders were sent."""
    bindings = await RecordBinding.select(RecordBinding.account, RecordBinding.record).where(
        RecordBinding.status == RecordBinding.Status.bound
    )
    records = {
        record.id: record
        for record in await Record.objects().where(
            Record.id.is_in([row["record"] for row in bindings] or [-1])
        )
    }
    sent = 0
    for row in bindings:
        record = records[row["record"]]
        deadline = next_deadline(record, today)
        if deadline is None or (threshold := reminder_threshold(deadline.days_left)) is None:
            continue
        with i18n.using_locale(await locale_of(row["account"])):
            message = _deadline_message(record, deadline, threshold)
        sent += await notifier.notify(row["account"], message)
    return sent
