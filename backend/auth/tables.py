from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Timestamptz, Varchar
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
    locale = Varchar(length=10, default="zh_Hans", help_text="Preferred UI locale.")
    user_handle = Varchar(
        length=100,
        unique=True,
        help_text="WebAuthn user handle: 64 random bytes, base64url; never the e-mail.",
    )
    created_at = Timestamptz(default=TimestamptzNow())
