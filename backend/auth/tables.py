from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Account(Table, help_text="One person: one account for every service of the app."):
    class Role(StrEnum):
        applicant = "applicant"
        staff = "staff"
        supervisor = "supervisor"
        admin = "admin"

    email = Varchar(length=254, unique=True, index=True)
    display_name = Varchar(length=100)
    role = Varchar(length=20, choices=Role, default=Role.applicant)
    chosen_locale = Varchar(
        length=10,
        null=True,
        default=None,
        help_text="The UI locale the person chose (the switch, or the language they signed up "
        "in); null: none, their browser's language decides.",
    )
    user_handle = Varchar(
        length=100,
        unique=True,
        help_text="WebAuthn user handle: 64 random bytes, base64url; never the e-mail.",
    )
    session_epoch = Integer(
        default=0, help_text="Raised by 'sign out of all devices': older sessions stop working."
    )
    created_at = Timestamptz(default=TimestamptzNow())


class Passkey(Table, help_text="A WebAuthn credential registered to an account."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    credential_id = Varchar(length=1400, unique=True, help_text="base64url, at most 1023 bytes.")
    public_key = Text(help_text="COSE public key, base64url.")
    sign_count = BigInt(default=0)
    name = Varchar(length=60)
    transports = Varchar(length=200, default="", help_text="Comma-separated hints.")
    backup_eligible = Boolean(default=False)
    backed_up = Boolean(default=False, help_text="Synced passkey (backup state flag).")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table, help_text="Single-use recovery codes, stored only as keyed hashes."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, unique=True)
    used_at = Timestamptz(null=True, default=None)


class EnrolmentLink(Table, help_text="Admin-issued one-time link at which staff add a passkey."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class AttemptCounter(
    Table, help_text="Atomic counters for rate limits that must hold across workers."
):
    key = Varchar(length=200, unique=True)
    window_start = BigInt(help_text="Unix seconds: compared in portable SQL.")
    count = Integer(default=0)


class AuditEvent(
    Table,
    help_text="Security audit log. The application inserts and reads; only the purge job deletes.",
):
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, default=None, index=True, help_text="No FK: outlives accounts.")
    actor_role = Varchar(length=20, default="")
    event = Varchar(length=50)
    outcome = Varchar(length=20)
    target = Varchar(length=200, default="")
    client_ip = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")
    request_id = Varchar(length=32, default="")
