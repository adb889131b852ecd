"""Web Push: the app's VAPID key, which subscriptions we accept, and sending one message.

The only module that imports pywebpush and py_vapid. Push is a courtesy, never the only channel:
the browsers' push services are often unreachable from mainland China, so the inbox is always
written first and a failed push is only logged.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

# The push service's answer when a subscription has ended (unsubscribed, expired, uninstalled).
GONE = frozenset({404, 410})
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _from_b64url(text: str) -> bytes:
    if not BASE64URL.match(text):
        raise ValueError("not base64url")
    unpadded = text.rstrip("=")
    return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """PEM (what we write to var/), or base64url DER or raw 32 bytes (py_vapid's forms)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        key = Vapid.from_string(text).private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the VAPID private key must be an EC P-256 key")
    return key


def _create_key_file(path: Path) -> None:
    """Written beside the target and linked into place, so workers starting at once share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(pem)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process was first: its key is the one
    finally:
        draft.unlink()


def vapid_private_key(configured: str, key_file: Path) -> ec.EllipticCurvePrivateKey:
    """The configured key, or one made at first start and kept in key_file."""
    if configured:
        return parse_private_key(configured)
    if not key_file.exists():
        _create_key_file(key_file)
    return parse_private_key(key_file.read_text())


def endpoint_allowed(endpoint: str, services: tuple[str, ...]) -> bool:
    """Only https URLs on a known push service's host (or a subdomain of one).

    The server POSTs to whatever endpoint a signed-in person registers; without this list that
    would let anyone aim it at hosts inside our own network. An entry `http://host` allows plain
    http to that one host (a local test push service).
    """
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    for entry in services:
        scheme, _, service_host = entry.lower().rpartition("://")
        if parts.scheme == (scheme or "https") and (
            host == service_host or host.endswith(f".{service_host}")
        ):
            return True
    return False


def keys_valid(p256dh: str, auth: str) -> bool:
    """p256dh an uncompressed P-256 point, auth 16 bytes: what every browser sends (RFC 8291)."""
    try:
        point, secret = _from_b64url(p256dh), _from_b64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        return False
    return len(point) == 65 and len(secret) == 16


class PushSender:
    """Encrypts (aes128gcm) and signs (VAPID, RFC 8292) one message for one subscription."""

    def __init__(
        self,
        private_key: ec.EllipticCurvePrivateKey,
        subject: str,
        services: tuple[str, ...],
        ttl: int = 24 * 3600,
        timeout: float = 10.0,
    ) -> None:
        self.vapid = Vapid(private_key)
        self.subject = subject
        self.services = services
        self.ttl = ttl
        self.timeout = timeout

    @property
    def application_server_key(self) -> str:
        """The public key for pushManager.subscribe(): an uncompressed point, base64url."""
        point = self.vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(point)

    def accepts(self, endpoint: str) -> bool:
        return endpoint_allowed(endpoint, self.services)

    async def send(self, endpoint: str, p256dh: str, auth: str, payload: dict[str, str]) -> bool:
        """True when the push service took it; False when it says the subscription is gone.

        Any other failure (refused, unreachable, timed out, an endpoint no longer allowed)
        raises: the caller logs it and keeps the subscription.
        """
        if not self.accepts(endpoint):
            raise ValueError("push endpoint outside IPH_PUSH_SERVICES")
        try:
            await webpush_async(
                subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                data=msgspec.json.encode(payload).decode(),
                vapid_private_key=self.vapid,
                # A new dict each time: pywebpush writes this endpoint's `aud` and `exp` into it.
                vapid_claims={"sub": self.subject},
                ttl=self.ttl,
                timeout=self.timeout,
            )
        except WebPushException as error:
            if error.status_code in GONE:
                return False
            raise
        return True
