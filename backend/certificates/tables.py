from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import Account
from backend.inquiries.tables import Record


class Certificate(
    Table,
    help_text="An e-certificate issued to the holder of a granted record: its PDF, as signed, "
    "is kept under var/certificates; the public facts it states are kept here as issued.",
):
    class Status(StrEnum):
        valid = "valid"
        revoked = "revoked"
        superseded = "superseded"

    code = Varchar(
        length=24, unique=True, index=True, help_text="Random: the /verify/{code} address."
    )
    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, index=True)
    holder = ForeignKey(
        references=Account,
        on_delete=OnDelete.set_null,
        null=True,
        index=True,
        help_text="Who asked for it; null once their account is deleted: the certificate, a "
        "public record of the office, stays verifiable (README, Design decisions).",
    )
    status = Varchar(length=12, choices=Status, default=Status.valid)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(
        length=500, default="", help_text="Revoked: the office's reason as typed, shown on /verify."
    )
    superseded_by = Varchar(
        length=24, default="", help_text="Superseded: the code of the current certificate."
    )
    kind = Varchar(length=20, help_text="The record's kind, as issued.")
    number = Varchar(length=20, help_text="The record's number, as issued.")
    title = Varchar(length=300, help_text="The title or the mark, as issued.")
    holder_name = Varchar(length=500, help_text="The holders as the public record names them.")
    granted_on = Date()
    issued_at = Timestamptz(index=True)
    sha256 = Varchar(length=64, help_text="Of the signed PDF as issued.")
    pdf_path = Varchar(length=200, help_text="Under var/certificates: from the code's hash.")


class ShareLink(Table, help_text="A link at which a holder shows one certificate for a while."):
    certificate = ForeignKey(references=Certificate, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, help_text="SHA-256 of the token in the link.")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)


class EvaluationReport(
    Table, help_text="A patent evaluation report on a utility-model or design patent."
):
    class Conclusion(StrEnum):
        no_defects_found = "no_defects_found"
        some_claims_defective = "some_claims_defective"
        all_claims_defective = "all_claims_defective"

    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, index=True)
    issued_on = Date()
    conclusion = Varchar(length=30, choices=Conclusion)


class ApiKey(Table, help_text="A key another system calls the data interface with."):
    name = Varchar(length=100, help_text="Whose system it is, as the administrator named it.")
    key_hash = Varchar(length=64, unique=True, help_text="SHA-256 of the key; the key is not kept.")
    prefix = Varchar(length=12, help_text="The key's first characters, to tell keys apart.")
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class ApiCall(Table, help_text="One call of the data interface: the audit of who asked what."):
    key_id = Integer(
        null=True, default=None, index=True, help_text="No FK: null when no valid key was sent."
    )
    path = Varchar(length=200)
    status = Integer()
    client_ip = Varchar(length=64, default="")
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
