from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import Account


class InboxEntry(Table, help_text="The in-app inbox: always written, whatever else is sent."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, help_text="status | deadline")
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    dedupe_key = Varchar(
        length=120, unique=True, help_text="account:kind:subject; a reminder is written once."
    )
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)
    # Each channel is claimed before it is sent and marked after: a send is never made twice
    # (at most once), even when the job sending it dies and is run again (service.py).
    email_claimed_at = Timestamptz(null=True, default=None, help_text="E-mail send begun.")
    email_sent_at = Timestamptz(null=True, default=None, help_text="E-mail handed to the server.")
    push_claimed_at = Timestamptz(null=True, default=None, help_text="Pushes begun.")
    push_sent_at = Timestamptz(null=True, default=None, help_text="Pushes handed to the services.")


class NotificationPreference(Table, help_text="Per-kind opt-in for e-mail and Web Push."):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)
    email = Boolean(default=False)
    push = Boolean(default=False)


class PushSubscription(
    Table, help_text="A browser's Web Push subscription (PushSubscription.toJSON()), per device."
):
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    endpoint = Varchar(
        length=1000,
        unique=True,
        help_text="The push service's URL for this device; a capability, kept secret.",
    )
    p256dh = Varchar(length=100, help_text="The browser's ECDH P-256 public key, base64url.")
    auth = Varchar(length=50, help_text="The browser's 16-byte auth secret, base64url.")
    created_at = Timestamptz(default=TimestamptzNow())
