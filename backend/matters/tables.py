from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import Account
from backend.matters.workflow import Status
from backend.outlets.tables import Outlet


class Matter(Table, help_text="One matter a person files: a change of address, a renewal…"):
    reference = Varchar(
        length=16,
        unique=True,
        help_text="What people and addresses call it: random, so that it tells nothing.",
    )
    type_code = Varchar(length=60, index=True, help_text="Its matter type in content/matters.")
    applicant = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    outlet = ForeignKey(references=Outlet, index=True, help_text="Where it is handled.")
    record_number = Varchar(length=40, null=True, default=None, help_text="The record it is about.")
    status = Varchar(length=30, choices=Status, default=Status.draft, index=True)
    answers = Text(default="{}", help_text="The form's answers, JSON, by field key.")
    commitment_version = Varchar(
        length=40, null=True, default=None, help_text="The commitment text version signed."
    )
    submitted_at = Timestamptz(null=True, default=None)
    due_on = Date(null=True, default=None, help_text="The promised date, in working days.")
    due_provisional = Boolean(default=False, help_text="Counted in a year with no calendar.")
    claimed_by = ForeignKey(
        references=Account,
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        help_text="The staff member who took it on, if anyone has.",
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class MatterEvent(Table, help_text="One step of a matter's history (workflow.Transition)."):
    matter = ForeignKey(references=Matter, on_delete=OnDelete.cascade, index=True)
    action = Varchar(length=30)
    from_status = Varchar(length=30)
    to_status = Varchar(length=30)
    actor_id = Integer(help_text="No FK: the history outlives a staff account.")
    actor_role = Varchar(length=20)
    reason_text = Text(default="")
    reason_missing = Text(default="[]", help_text="For a correction: what is missing, JSON list.")
    at = Timestamptz()


class MatterAttachment(Table, help_text="A file a person attached to a matter (attachments.py)."):
    matter = ForeignKey(references=Matter, on_delete=OnDelete.cascade, index=True)
    document_code = Varchar(length=60, help_text="The catalogue Document it carries.")
    token = Varchar(
        length=64, unique=True, help_text="Finds the file under var/attachments; never a path."
    )
    media_type = Varchar(length=40)
    size = Integer()
    sha256 = Varchar(length=64)
    display_name = Varchar(length=200, help_text="The person's file name, cleaned, for display.")
    uploaded_at = Timestamptz(default=TimestamptzNow())
