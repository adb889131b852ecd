"""The one module that imports `webauthn` (py_webauthn): options out, verified facts in.

py_webauthn checks the cryptography; the ceremony rules (challenge single use and expiry,
credential ownership, uniqueness, counters) are the service's (SECURITY.md gotcha 5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

CEREMONY_TIMEOUT_MS = 5 * 60 * 1000
MAX_CREDENTIAL_ID_BYTES = 1023
ALGORITHMS = [
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


class PasskeyRejected(Exception):
    """The response did not verify. The message is for the log, never for the person."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str  # base64url
    public_key: str  # base64url COSE key
    sign_count: int
    backup_eligible: bool
    backed_up: bool
    transports: tuple[str, ...]
    user_verified: bool


@dataclass(frozen=True)
class VerifiedSignIn:
    new_sign_count: int
    backed_up: bool
    user_verified: bool


def _user_verification(required: bool) -> UserVerificationRequirement:
    return (
        UserVerificationRequirement.REQUIRED if required else UserVerificationRequirement.PREFERRED
    )


def registration_options(
    party: RelyingParty,
    *,
    user_handle: str,
    user_name: str,
    display_name: str,
    existing_credential_ids: list[str],
    require_user_verification: bool,
) -> tuple[dict[str, Any], str]:
    """PublicKeyCredentialCreationOptions as JSON-ready dict, and its challenge (base64url)."""
    options = generate_registration_options(
        rp_id=party.id,
        rp_name=party.name,
        user_id=base64url_to_bytes(user_handle),
        user_name=user_name,
        user_display_name=display_name,
        timeout=CEREMONY_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=_user_verification(require_user_verification),
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))
            for credential_id in existing_credential_ids
        ],
        supported_pub_key_algs=ALGORITHMS,
    )
    return json.loads(options_to_json(options)), bytes_to_base64url(options.challenge)


def authentication_options(
    party: RelyingParty, *, allowed_credential_ids: list[str], require_user_verification: bool
) -> tuple[dict[str, Any], str]:
    """Request options; an empty allow list asks for a discoverable credential."""
    options = generate_authentication_options(
        rp_id=party.id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))
            for credential_id in allowed_credential_ids
        ],
        user_verification=_user_verification(require_user_verification),
    )
    return json.loads(options_to_json(options)), bytes_to_base64url(options.challenge)


def credential_id_of(credential: dict[str, Any]) -> str:
    """The credential id a response claims (normalised base64url), to look the passkey up."""
    try:
        raw = base64url_to_bytes(str(credential["rawId"]))
    except (KeyError, ValueError, TypeError) as error:
        raise PasskeyRejected(f"malformed credential id: {error}") from error
    if not raw or len(raw) > MAX_CREDENTIAL_ID_BYTES:
        raise PasskeyRejected("credential id empty or longer than 1023 bytes")
    return bytes_to_base64url(raw)


def user_handle_of(credential: dict[str, Any]) -> str | None:
    handle = (credential.get("response") or {}).get("userHandle")
    if not handle:
        return None
    try:
        return bytes_to_base64url(base64url_to_bytes(str(handle)))
    except ValueError as error:
        raise PasskeyRejected(f"malformed user handle: {error}") from error


def verify_new_passkey(
    party: RelyingParty,
    credential: dict[str, Any],
    *,
    challenge: str,
    require_user_verification: bool,
) -> NewPasskey:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            require_user_presence=True,
            require_user_verification=require_user_verification,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRejected(f"registration: {type(error).__name__}: {error}") from error
    transports = (credential.get("response") or {}).get("transports") or []
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        transports=tuple(str(transport) for transport in transports)[:8],
        user_verified=verified.user_verified,
    )


def verify_sign_in(
    party: RelyingParty,
    credential: dict[str, Any],
    *,
    challenge: str,
    public_key: str,
    require_user_verification: bool,
) -> VerifiedSignIn:
    """Raises PasskeyRejected for a bad signature, origin, RP ID, challenge or missing UP/UV.

    The sign count is compared by the service (a regression is audited as such), so it is not
    handed to py_webauthn here.
    """
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=0,
            require_user_verification=require_user_verification,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRejected(f"sign-in: {type(error).__name__}: {error}") from error
    return VerifiedSignIn(
        new_sign_count=verified.new_sign_count,
        backed_up=verified.credential_backed_up,
        user_verified=verified.user_verified,
    )
