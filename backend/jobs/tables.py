from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from backend.auth.tables import Account


class FailedJob(
    Table,
    help_text="A queued job that failed its last attempt (the scale profile's failed list).",
):
    name = Varchar(length=100, help_text="The job's function, e.g. send-email.")
    job_key = Varchar(length=200, help_text="The job's key in the queue.")
    arguments = JSON(help_text="The job's arguments: ids only, never personal data.")
    error = Text(help_text="The last attempt's exception: type and message, no traceback.")
    attempts = Integer()
    timeout_seconds = Integer(help_text="How long each attempt could run; a new try gets as long.")
    request_id = Varchar(
        length=32, null=True, default=None, help_text="The id of the request that queued it."
    )
    queued_at = Timestamptz()
    failed_at = Timestamptz(index=True)
    tried_again_at = Timestamptz(null=True, default=None)
    tried_again_by = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True)
