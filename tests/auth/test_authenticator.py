"""The test authenticator's answers, checked by py_webauthn itself (no app involved)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidBackupFlags,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import CredentialDeviceType, PublicKeyCredentialDescriptor
from webauthn.registration.verify_registration_response import VerifiedRegistration

from tests.auth.authenticator import SoftAuthenticator, SoftCredential, b64url_decode

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


def registration_options(user_id: bytes = b"user-1") -> tuple[dict[str, Any], bytes]:
    options = generate_registration_options(
        rp_id=RP_ID, rp_name="IP Handheld", user_name="alice", user_id=user_id
    )
    return json.loads(options_to_json(options)), options.challenge


def authentication_options(
    allow: list[bytes] | None = None,
) -> tuple[dict[str, Any], bytes]:
    options = generate_authentication_options(
        rp_id=RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allow or []],
    )
    return json.loads(options_to_json(options)), options.challenge


def verify_registration(answer: dict[str, Any], challenge: bytes) -> VerifiedRegistration:
    return verify_registration_response(
        credential=answer,
        expected_challenge=challenge,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
        require_user_verification=True,
    )


def verify_sign_in(
    answer: dict[str, Any], challenge: bytes, public_key: bytes, current_count: int
) -> VerifiedAuthentication:
    return verify_authentication_response(
        credential=answer,
        expected_challenge=challenge,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
        credential_public_key=public_key,
        credential_current_sign_count=current_count,
        require_user_verification=True,
    )


def registered(authenticator: SoftAuthenticator) -> tuple[SoftCredential, bytes]:
    """Register one credential; return it with the public key the RP would have stored."""
    options, challenge = registration_options()
    verified = verify_registration(authenticator.register(options), challenge)
    return authenticator.credentials[-1], verified.credential_public_key


# -- registration -------------------------------------------------------------------------------


def test_a_good_registration_verifies_and_the_authenticator_keeps_the_credential() -> None:
    authenticator = SoftAuthenticator()
    options, challenge = registration_options(user_id=b"user-42")
    answer = authenticator.register(options)

    verified = verify_registration(answer, challenge)

    credential = authenticator.credentials[0]
    assert verified.credential_id == credential.id
    assert verified.credential_public_key == credential.cose_public_key()
    assert verified.sign_count == 0
    assert verified.user_verified is True
    assert verified.fmt == "none"
    assert credential.user_handle == b"user-42"
    assert credential.rp_id == RP_ID
    assert answer["id"] == answer["rawId"] == credential.id_b64
    assert "=" not in answer["response"]["attestationObject"]


def test_a_chosen_credential_id_is_the_one_registered() -> None:
    authenticator = SoftAuthenticator()
    options, challenge = registration_options()

    verified = verify_registration(
        authenticator.register(options, credential_id=b"x" * 20), challenge
    )

    assert verified.credential_id == b"x" * 20


@pytest.mark.parametrize(
    "tampering",
    [
        {"origin": "http://evil.example:8000"},
        {"rp_id": "evil.example"},
        {"challenge": b"another challenge"},
        {"user_verified": False},
        {"user_present": False},
        {"client_data_type": "webauthn.get"},
    ],
    ids=["origin", "rp_id", "challenge", "uv", "up", "type"],
)
def test_a_tampered_registration_is_refused(tampering: dict[str, Any]) -> None:
    options, challenge = registration_options()
    answer = SoftAuthenticator().register(options, **tampering)

    with pytest.raises(InvalidRegistrationResponse):
        verify_registration(answer, challenge)


def test_an_authenticator_without_user_verification_is_refused_when_uv_is_required() -> None:
    options, challenge = registration_options()
    answer = SoftAuthenticator(user_verification=False).register(options)

    with pytest.raises(InvalidRegistrationResponse, match="User verification"):
        verify_registration(answer, challenge)


# -- sign-in ------------------------------------------------------------------------------------


def test_a_good_sign_in_verifies_and_the_counter_goes_up_by_one_each_time() -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)

    counts = []
    current = 0
    for _ in range(2):
        options, challenge = authentication_options(allow=[credential.id])
        answer = authenticator.sign_in(options)
        verified = verify_sign_in(answer, challenge, public_key, current)
        current = verified.new_sign_count
        counts.append(current)
        assert verified.credential_id == credential.id
        assert verified.user_verified is True
        assert b64url_decode(answer["response"]["userHandle"]) == credential.user_handle

    assert counts == [1, 2]
    assert credential.sign_count == 2


def test_a_discoverable_sign_in_picks_the_credential_for_the_rp_id() -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)
    options, challenge = authentication_options()
    assert options["allowCredentials"] == []

    answer = authenticator.sign_in(options)

    assert verify_sign_in(answer, challenge, public_key, 0).credential_id == credential.id


def test_the_allowed_credential_is_picked_among_several() -> None:
    authenticator = SoftAuthenticator()
    registered(authenticator)
    second, public_key = registered(authenticator)
    options, challenge = authentication_options(allow=[second.id])

    answer = authenticator.sign_in(options)

    assert verify_sign_in(answer, challenge, public_key, 0).credential_id == second.id


def test_signing_in_with_no_matching_credential_raises_lookup_error() -> None:
    authenticator = SoftAuthenticator()
    registered(authenticator)
    options, _ = authentication_options(allow=[b"unknown"])

    with pytest.raises(LookupError):
        authenticator.sign_in(options)


def test_a_user_handle_can_be_left_out() -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)
    options, challenge = authentication_options(allow=[credential.id])

    answer = authenticator.sign_in(options, include_user_handle=False)

    assert "userHandle" not in answer["response"]
    verify_sign_in(answer, challenge, public_key, 0)


def test_a_tampered_signature_is_refused() -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)
    options, challenge = authentication_options(allow=[credential.id])

    answer = authenticator.sign_in(options, tamper_signature=True)

    with pytest.raises(InvalidAuthenticationResponse, match="signature"):
        verify_sign_in(answer, challenge, public_key, 0)


@pytest.mark.parametrize(
    "tampering",
    [
        {"origin": "http://evil.example:8000"},
        {"rp_id": "evil.example"},
        {"challenge": b"another challenge"},
        {"user_verified": False},
        {"user_present": False},
        {"client_data_type": "webauthn.create"},
    ],
    ids=["origin", "rp_id", "challenge", "uv", "up", "type"],
)
def test_a_tampered_sign_in_is_refused(tampering: dict[str, Any]) -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)
    options, challenge = authentication_options(allow=[credential.id])

    answer = authenticator.sign_in(options, **tampering)

    with pytest.raises(InvalidAuthenticationResponse):
        verify_sign_in(answer, challenge, public_key, 0)


def test_a_lower_explicit_counter_is_refused_and_leaves_the_stored_counter_alone() -> None:
    authenticator = SoftAuthenticator()
    credential, public_key = registered(authenticator)
    for _ in range(3):
        authenticator.sign_in(authentication_options(allow=[credential.id])[0])
    options, challenge = authentication_options(allow=[credential.id])

    answer = authenticator.sign_in(options, sign_count=2)

    with pytest.raises(InvalidAuthenticationResponse, match="sign count"):
        verify_sign_in(answer, challenge, public_key, 3)
    assert credential.sign_count == 3


def test_another_credentials_key_does_not_verify_the_signature() -> None:
    authenticator = SoftAuthenticator()
    first, _ = registered(authenticator)
    _, other_key = registered(authenticator)
    options, challenge = authentication_options(allow=[first.id])

    answer = authenticator.sign_in(options)

    with pytest.raises(InvalidAuthenticationResponse, match="signature"):
        verify_sign_in(answer, challenge, other_key, 0)


# -- backup flags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligible", "backed_up", "device_type"),
    [
        (False, False, CredentialDeviceType.SINGLE_DEVICE),
        (True, False, CredentialDeviceType.MULTI_DEVICE),
        (True, True, CredentialDeviceType.MULTI_DEVICE),
    ],
)
def test_backup_flags_come_through_registration_and_sign_in(
    eligible: bool, backed_up: bool, device_type: CredentialDeviceType
) -> None:
    authenticator = SoftAuthenticator(backup_eligible=eligible, backed_up=backed_up)
    options, challenge = registration_options()

    registration = verify_registration(authenticator.register(options), challenge)
    assert registration.credential_device_type == device_type
    assert registration.credential_backed_up is backed_up

    options, challenge = authentication_options()
    answer = authenticator.sign_in(options)
    sign_in = verify_sign_in(answer, challenge, registration.credential_public_key, 0)
    assert sign_in.credential_device_type == device_type
    assert sign_in.credential_backed_up is backed_up


def test_backed_up_without_backup_eligible_raises_invalid_backup_flags_not_invalid_response() -> (
    None
):
    # py_webauthn 3.0.1 raises InvalidBackupFlags, which is not an InvalidRegistrationResponse.
    options, challenge = registration_options()
    answer = SoftAuthenticator(backup_eligible=False, backed_up=True).register(options)

    with pytest.raises(InvalidBackupFlags):
        verify_registration(answer, challenge)
