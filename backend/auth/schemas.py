from __future__ import annotations

from typing import Annotated, Any

import msgspec


class SignUpForm(msgspec.Struct):
    email: str = ""
    display_name: str = ""
    next: str = "/account"


class CodeRequestForm(msgspec.Struct):
    email: str = ""
    next: str = "/account"


class CodeForm(msgspec.Struct):
    code: str = ""


class RecoveryForm(msgspec.Struct):
    email: str = ""
    code: str = ""
    next: str = "/account"


class DeleteForm(msgspec.Struct):
    confirm: str = ""


class RenameForm(msgspec.Struct):
    name: str = ""


class CeremonyOptions(msgspec.Struct):
    """What the browser needs to call navigator.credentials.create() or .get()."""

    ceremony: str
    publicKey: dict[str, Any]


class RegistrationAnswer(msgspec.Struct):
    ceremony: Annotated[str, msgspec.Meta(max_length=64)]
    credential: dict[str, Any]
    name: Annotated[str, msgspec.Meta(max_length=60)] = ""


class SignInAnswer(msgspec.Struct):
    ceremony: Annotated[str, msgspec.Meta(max_length=64)]
    credential: dict[str, Any]
    next: str = "/account"


class CeremonyResult(msgspec.Struct):
    ok: bool
    redirect: str = ""
    message: str = ""


class AccountExport(msgspec.Struct):
    account: dict[str, Any]
    passkeys: list[dict[str, Any]]
    recovery_codes_left: int
    audit_events: list[dict[str, Any]]
