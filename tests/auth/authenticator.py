"""A small software WebAuthn authenticator (and client) for tests.

It answers the options JSON that py_webauthn's ``options_to_json`` produces with the credential
JSON a browser's ``PublicKeyCredential.toJSON()`` produces, so tests can drive the passkey routes
without a browser. Every field a relying party must check can be tampered with on purpose through
a keyword argument (origin, RP ID hash, challenge, credential id, UP/UV flags, client data type,
signature counter, signature bytes, user handle).

Format (W3C WebAuthn Level 3):

* authenticatorData = rpIdHash (32) | flags (1) | signCount (4, big-endian)
  [| attestedCredentialData = aaguid (16) | credentialIdLength (2) | credentialId | COSE_Key]
* attestationObject = CBOR {"fmt": "none", "attStmt": {}, "authData": authenticatorData}
* assertion signature = ECDSA P-256 with SHA-256, DER-encoded, over
  authenticatorData || SHA-256(clientDataJSON)

Keys are ES256 (COSE alg -7) only, attestation is always "none" and the AAGUID is all zeros.
The authenticator does not honour ``excludeCredentials`` nor check ``pubKeyCredParams``: it is
the relying party's behaviour that is under test, not the client's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Authenticator data flags.
FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_BE = 0x08  # backup eligible
FLAG_BS = 0x10  # backed up
FLAG_AT = 0x40  # attested credential data included

ES256 = -7
AAGUID_NONE = bytes(16)


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as WebAuthn's JSON forms use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (strict alphabet)."""
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


@dataclass
class SoftCredential:
    """One discoverable ES256 credential held by a :class:`SoftAuthenticator`.

    ``sign_count`` is the value the authenticator last reported (0 right after registration).
    """

    id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def id_b64(self) -> str:
        """The credential id as base64url, as in the JSON ``id`` field."""
        return b64url_encode(self.id)

    def cose_public_key(self) -> bytes:
        """The public key as a CBOR COSE_Key (EC2, ES256, P-256), as stored by the relying party."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: ES256,  # alg
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def spki_public_key(self) -> bytes:
        """The public key as DER SubjectPublicKeyInfo (the JSON ``response.publicKey``)."""
        return self.private_key.public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo
        )


@dataclass(kw_only=True)
class SoftAuthenticator:
    """A platform authenticator plus the browser glue around it, entirely in memory.

    ``origin`` goes into clientDataJSON, ``rp_id`` is used when the options carry none.
    ``user_verification`` is the default for the UV flag; ``backup_eligible`` and ``backed_up``
    set the BE and BS flags on every response (BS without BE is allowed, to test rejection).
    """

    origin: str = "http://localhost:8000"
    rp_id: str = "localhost"
    user_verification: bool = True
    backup_eligible: bool = False
    backed_up: bool = False
    credentials: list[SoftCredential] = field(default_factory=list, init=False)

    # -- ceremonies ---------------------------------------------------------------------------

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        credential_id: bytes | None = None,
        user_present: bool = True,
        user_verified: bool | None = None,
        client_data_type: str = "webauthn.create",
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialCreationOptions JSON with a registration credential JSON.

        ``options`` is the dict form of the options (``json.loads(options_to_json(...))``). The new
        credential is kept in :attr:`credentials` (scoped to the options' RP ID and user id) even
        when a keyword tampers with the answer. Each keyword overrides exactly one field:
        ``origin`` (clientDataJSON), ``rp_id`` (its SHA-256 becomes rpIdHash), ``challenge``,
        ``credential_id`` (e.g. reuse an existing one), ``user_present``/``user_verified`` (UP/UV
        flags; UV defaults to the authenticator's setting) and ``client_data_type``.
        """
        options_rp_id = str(options.get("rp", {}).get("id") or self.rp_id)
        credential = SoftCredential(
            id=credential_id if credential_id is not None else secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=options_rp_id,
            user_handle=b64url_decode(options["user"]["id"]),
        )
        self.credentials.append(credential)

        client_data = self._client_data(
            client_data_type,
            challenge if challenge is not None else b64url_decode(options["challenge"]),
            origin,
        )
        cose_key = credential.cose_public_key()
        attested = AAGUID_NONE + len(credential.id).to_bytes(2, "big") + credential.id + cose_key
        auth_data = self._auth_data(
            rp_id if rp_id is not None else options_rp_id,
            user_present=user_present,
            user_verified=user_verified,
            sign_count=credential.sign_count,
            attested_credential_data=attested,
        )
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": credential.id_b64,
            "rawId": credential.id_b64,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url_encode(client_data),
                "attestationObject": b64url_encode(attestation_object),
                "authenticatorData": b64url_encode(auth_data),
                "transports": ["internal"],
                "publicKey": b64url_encode(credential.spki_public_key()),
                "publicKeyAlgorithm": ES256,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def sign_in(
        self,
        options: dict[str, Any],
        *,
        credential: SoftCredential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        user_present: bool = True,
        user_verified: bool | None = None,
        sign_count: int | None = None,
        tamper_signature: bool = False,
        include_user_handle: bool = True,
        client_data_type: str = "webauthn.get",
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialRequestOptions JSON with an authentication credential JSON.

        The credential is ``credential`` if given; else the first held credential listed in
        ``options["allowCredentials"]``; else (discoverable sign-in, empty or missing list) the
        first credential for the options' RP ID. Raises :class:`LookupError` if none fits.

        The credential's counter goes up by one per call and is reported; an explicit
        ``sign_count`` is reported instead and leaves the stored counter alone (to test
        regression). ``tamper_signature`` flips a bit in the last byte of the DER signature.
        ``include_user_handle=False`` leaves ``userHandle`` out. ``origin``, ``rp_id``
        (rpIdHash), ``challenge``, ``user_present``/``user_verified`` and ``client_data_type``
        override one field each, as in :meth:`register`.
        """
        options_rp_id = str(options.get("rpId") or self.rp_id)
        if credential is None:
            credential = self._pick(options, options_rp_id)
        if sign_count is None:
            credential.sign_count += 1
            sign_count = credential.sign_count

        client_data = self._client_data(
            client_data_type,
            challenge if challenge is not None else b64url_decode(options["challenge"]),
            origin,
        )
        auth_data = self._auth_data(
            rp_id if rp_id is not None else options_rp_id,
            user_present=user_present,
            user_verified=user_verified,
            sign_count=sign_count,
        )
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        if tamper_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])

        response: dict[str, Any] = {
            "clientDataJSON": b64url_encode(client_data),
            "authenticatorData": b64url_encode(auth_data),
            "signature": b64url_encode(signature),
        }
        if include_user_handle:
            response["userHandle"] = b64url_encode(credential.user_handle)
        return {
            "id": credential.id_b64,
            "rawId": credential.id_b64,
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # -- pieces -------------------------------------------------------------------------------

    def _pick(self, options: dict[str, Any], rp_id: str) -> SoftCredential:
        allowed = [b64url_decode(item["id"]) for item in options.get("allowCredentials") or []]
        for credential in self.credentials:
            if (credential.id in allowed) if allowed else (credential.rp_id == rp_id):
                return credential
        raise LookupError(f"no credential for RP {rp_id!r} among {len(allowed)} allowed ids")

    def _client_data(self, type_: str, challenge: bytes, origin: str | None) -> bytes:
        # Same member order and compact form as browsers serialise it.
        return json.dumps(
            {
                "type": type_,
                "challenge": b64url_encode(challenge),
                "origin": origin if origin is not None else self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode("utf-8")

    def _auth_data(
        self,
        rp_id: str,
        *,
        user_present: bool,
        user_verified: bool | None,
        sign_count: int,
        attested_credential_data: bytes = b"",
    ) -> bytes:
        uv = self.user_verification if user_verified is None else user_verified
        flags = (
            (FLAG_UP if user_present else 0)
            | (FLAG_UV if uv else 0)
            | (FLAG_BE if self.backup_eligible else 0)
            | (FLAG_BS if self.backed_up else 0)
            | (FLAG_AT if attested_credential_data else 0)
        )
        return (
            hashlib.sha256(rp_id.encode("utf-8")).digest()
            + bytes([flags])
            + sign_count.to_bytes(4, "big")
            + attested_credential_data
        )
