"""What the browser sends for Web Push: PushSubscription.toJSON(), or just its endpoint."""

from __future__ import annotations

from typing import Annotated

import msgspec

Endpoint = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PushKeys(msgspec.Struct):
    p256dh: Annotated[str, msgspec.Meta(max_length=100)]
    auth: Annotated[str, msgspec.Meta(max_length=50)]


class PushSubscriptionJSON(msgspec.Struct):
    """`expirationTime` and any other field the browser adds are ignored."""

    endpoint: Endpoint
    keys: PushKeys


class PushEndpoint(msgspec.Struct):
    endpoint: Endpoint


class PushResult(msgspec.Struct, omit_defaults=True):
    ok: bool
    message: str = ""
