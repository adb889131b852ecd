"""Account rules: one-time e-mail codes, passkey ceremonies, recovery codes, passkey management.

Everything a person can get wrong raises an exception the routes turn into a message; every
sign-in outcome is audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.stores.base import Store

from backend.auth import audit, limits
from backend.auth.audit import RequestMeta
from backend.auth.passkeys import (
    PasskeyRejected,
    RelyingParty,
    authentication_options,
    credential_id_of,
    registration_options,
    user_handle_of,
    verify_new_passkey,
    verify_sign_in,
)
from backend.auth.tables import Account, Passkey, RecoveryCode
from backend.core import i18n
from backend.core.database import read_by_key, write_transaction
from backend.notifications.email import MailSender

CODE_LIFETIME = timedelta(minutes=10)
CEREMONY_LIFETIME = timedelta(minutes=5)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i


class SignInFailed(Exception):
    """One answer for every failed sign-in, whatever the reason (kept for the audit log)."""


class CodeProblem(Exception):
    """The e-mail code was wrong, expired or tried too often; `reason` picks the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PasskeyProblem(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class AuthEnvironment:
    """What the auth rules need from outside: wired once in create_app."""

    party: RelyingParty
    challenges: Store
    codes: Store
    mail: MailSender
    secret: bytes
    clock: Callable[[], datetime]

    def now_seconds(self) -> int:
        return int(self.clock().timestamp())

    def keyed_hash(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()


def new_user_handle() -> str:
    """64 random bytes (WebAuthn user handle), base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def normalise_email(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def requires_user_verification(account: Account) -> bool:
    return account.role != Account.Role.applicant


async def ensure_account(
    email: str, display_name: str, role: Account.Role, chosen_locale: str | None = None
) -> bool:
    """Create the account unless the e-mail already has one; True when it was created.

    `chosen_locale` only when the person chose it: accounts made for someone (`create-staff`,
    the demo) have none, so their browser's language decides until they switch.
    """
    if await Account.exists().where(Account.email == email):
        return False
    await Account(
        email=email,
        display_name=display_name,
        role=role,
        user_handle=new_user_handle(),
        chosen_locale=chosen_locale if chosen_locale in i18n.LOCALES else None,
    ).save()
    return True


_ACCOUNT_BY_ID = (
    f"SELECT {', '.join(column._meta.db_column_name for column in Account._meta.columns)}"
    f" FROM {Account._meta.tablename} WHERE id = {{}}"
)


async def account_by_id(account_id: int) -> Account | None:
    """One read by key (on SQLite on the event loop): every signed-in request makes it
    (CurrentAccountMiddleware), where Piccolo's `objects()` cost ~0.9 ms of a rating (bench/)."""
    rows = await read_by_key(Account, _ACCOUNT_BY_ID, account_id)
    return Account(**rows[0], _exists_in_db=True) if rows else None


# One-time e-mail codes: sign-up, and the fallback sign-in.


async def request_code(
    env: AuthEnvironment, email: str, display_name: str | None, meta: RequestMeta
) -> None:
    """Send a 6-digit code. The answer is the same whether or not the address has an account."""
    email = normalise_email(email)
    now = env.now_seconds()
    await limits.check(limits.CODE_REQUESTS_PER_ADDRESS, env.keyed_hash(email), now)
    await limits.check(limits.CODE_REQUESTS_PER_CLIENT, meta.client_ip, now)
    code = f"{secrets.randbelow(10**6):06d}"
    pending = {
        "code_hash": env.keyed_hash(f"{email}:{code}"),
        "issue": secrets.token_hex(8),
        "display_name": display_name,
        "issued_at": now,
    }
    await env.codes.set(
        _code_key(env, email), json.dumps(pending), expires_in=int(CODE_LIFETIME.total_seconds())
    )
    _ = i18n.gettext
    await env.mail.send(
        email,
        _("Your IP Handheld code: %(code)s") % {"code": code},
        _(
            "Your one-time code is %(code)s. It works for 10 minutes.\n\n"
            "If you did not ask for it, ignore this message; nothing will change."
        )
        % {"code": code},
    )


def _code_key(env: AuthEnvironment, email: str) -> str:
    return f"code:{env.keyed_hash(email)}"


async def verify_code(
    env: AuthEnvironment,
    email: str,
    code: str,
    meta: RequestMeta,
    reading_locale: str | None = None,
) -> Account:
    """The account the code opens (created now for a sign-up). Raises CodeProblem.

    A new account keeps `reading_locale`, the language the person signed up in (their switch or
    their browser's, never the default that no one chose) as its language.
    """
    email = normalise_email(email)
    now = env.now_seconds()
    raw = await env.codes.get(_code_key(env, email))
    pending = json.loads(raw) if raw else None
    if pending is None or now - pending["issued_at"] > CODE_LIFETIME.total_seconds():
        await audit.record("code-sign-in", "failure", meta, target="expired or never sent")
        raise CodeProblem("expired")
    tries, _ = await limits.count_attempt(
        f"code-tries:{pending['issue']}", limits.CODE_TRIES.window_seconds, now
    )
    if tries > limits.CODE_TRIES.attempts:
        await env.codes.delete(_code_key(env, email))
        await audit.record("code-sign-in", "failure", meta, target="too many tries")
        raise CodeProblem("too-many-tries")
    expected = pending["code_hash"]
    if not hmac.compare_digest(expected, env.keyed_hash(f"{email}:{code.strip()}")):
        await audit.record("code-sign-in", "failure", meta, target="wrong code")
        raise CodeProblem("wrong")
    await env.codes.delete(_code_key(env, email))
    account = await Account.objects().where(Account.email == email).first()
    if account is None:
        if not pending["display_name"]:
            raise CodeProblem("no-account")
        await ensure_account(email, pending["display_name"], Account.Role.applicant, reading_locale)
        account = await Account.objects().where(Account.email == email).first()
        await audit.record(
            "account-created", "success", meta, actor_id=account.id, actor_role=account.role
        )
    await audit.record(
        "code-sign-in", "success", meta, actor_id=account.id, actor_role=account.role
    )
    return account


# Passkey ceremonies. The challenge lives in the store (shared by every worker), is used once,
# and expires after 5 minutes by the app's clock.


async def _start_ceremony(env: AuthEnvironment, purpose: str, challenge: str, **extra: Any) -> str:
    ceremony = secrets.token_urlsafe(24)
    state = {"purpose": purpose, "challenge": challenge, "issued_at": env.now_seconds(), **extra}
    await env.challenges.set(
        f"ceremony:{ceremony}", json.dumps(state), expires_in=int(CEREMONY_LIFETIME.total_seconds())
    )
    return ceremony


async def _take_ceremony(env: AuthEnvironment, ceremony: str, purpose: str) -> dict[str, Any]:
    """The ceremony's state, once: a replay, an expired or a foreign ceremony is refused."""
    key = f"ceremony:{ceremony[:64]}"
    raw = await env.challenges.get(key)
    await env.challenges.delete(key)
    if raw is None:
        raise PasskeyRejected("unknown, used or expired ceremony")
    state = json.loads(raw)
    if state["purpose"] != purpose:
        raise PasskeyRejected("ceremony for another purpose")
    now = env.now_seconds()
    if now - state["issued_at"] > CEREMONY_LIFETIME.total_seconds():
        raise PasskeyRejected("challenge expired")
    if not await limits.first_use(f"ceremony:{ceremony}", now):
        raise PasskeyRejected("ceremony already used")
    return state


async def begin_registration(env: AuthEnvironment, account: Account) -> tuple[dict, str]:
    existing = await Passkey.select(Passkey.credential_id).where(Passkey.account == account.id)
    options, challenge = registration_options(
        env.party,
        user_handle=account.user_handle,
        user_name=account.email,
        display_name=account.display_name,
        existing_credential_ids=[row["credential_id"] for row in existing],
        require_user_verification=requires_user_verification(account),
    )
    ceremony = await _start_ceremony(env, "register", challenge, account_id=account.id)
    return options, ceremony


async def finish_registration(
    env: AuthEnvironment,
    account: Account,
    ceremony: str,
    credential: dict[str, Any],
    name: str,
    meta: RequestMeta,
) -> Passkey:
    try:
        state = await _take_ceremony(env, ceremony, "register")
        if state.get("account_id") != account.id:
            raise PasskeyRejected("ceremony of another account")
        credential_id_of(credential)  # refuses oversized ids before any work
        new = verify_new_passkey(
            env.party,
            credential,
            challenge=state["challenge"],
            require_user_verification=requires_user_verification(account),
        )
        if await Passkey.exists().where(Passkey.credential_id == new.credential_id):
            raise PasskeyRejected("credential id already registered")
    except PasskeyRejected as error:
        await audit.record(
            "passkey-added",
            "failure",
            meta,
            actor_id=account.id,
            actor_role=account.role,
            target=str(error),
        )
        raise PasskeyProblem("rejected") from error
    passkey = Passkey(
        account=account.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        name=(name.strip() or default_passkey_name(new.backup_eligible))[:60],
        transports=",".join(new.transports),
        backup_eligible=new.backup_eligible,
        backed_up=new.backed_up,
    )
    await passkey.save()
    await audit.record(
        "passkey-added",
        "success",
        meta,
        actor_id=account.id,
        actor_role=account.role,
        target=f"passkey {passkey.id}",
    )
    return passkey


def default_passkey_name(synced: bool) -> str:
    _ = i18n.gettext
    return _("Synced passkey") if synced else _("Passkey on this device")


async def begin_sign_in(env: AuthEnvironment) -> tuple[dict, str]:
    """Options for a discoverable credential: no user name needed, nothing about accounts said."""
    options, challenge = authentication_options(
        env.party, allowed_credential_ids=[], require_user_verification=False
    )
    return options, await _start_ceremony(env, "sign-in", challenge)


async def finish_sign_in(
    env: AuthEnvironment, ceremony: str, credential: dict[str, Any], meta: RequestMeta
) -> Account:
    await limits.check(limits.SIGN_IN_ATTEMPTS_PER_CLIENT, meta.client_ip, env.now_seconds())
    account: Account | None = None
    try:
        # Look the credential up first, so that every failure is audited against its account.
        passkey = (
            await Passkey.objects()
            .where(Passkey.credential_id == credential_id_of(credential))
            .first()
        )
        account = await account_by_id(passkey.account) if passkey else None
        state = await _take_ceremony(env, ceremony, "sign-in")
        if passkey is None or account is None:
            raise PasskeyRejected("unknown credential")
        handle = user_handle_of(credential)
        if handle is not None and handle != account.user_handle:
            raise PasskeyRejected("user handle of another account")
        verified = verify_sign_in(
            env.party,
            credential,
            challenge=state["challenge"],
            public_key=passkey.public_key,
            require_user_verification=requires_user_verification(account),
        )
        await _advance_sign_count(passkey, verified.new_sign_count, verified.backed_up, env)
    except PasskeyRejected as error:
        await audit.record(
            "passkey-sign-in",
            "failure",
            meta,
            actor_id=account.id if account else None,
            actor_role=account.role if account else "",
            target=str(error),
        )
        raise SignInFailed from error
    await audit.record(
        "passkey-sign-in",
        "success",
        meta,
        actor_id=account.id,
        actor_role=account.role,
        target=f"passkey {passkey.id}",
    )
    return account


async def _advance_sign_count(
    passkey: Passkey, new_count: int, backed_up: bool, env: AuthEnvironment
) -> None:
    """A counter that does not move forward means a cloned authenticator: refuse."""
    if (new_count or passkey.sign_count) and new_count <= passkey.sign_count:
        raise PasskeyRejected(
            f"counter regression: {new_count} after {passkey.sign_count} (possible clone)"
        )
    updated = (
        await Passkey.update(
            {
                Passkey.sign_count: new_count,
                Passkey.last_used_at: env.clock(),
                Passkey.backed_up: backed_up,
            }
        )
        .where((Passkey.id == passkey.id) & (Passkey.sign_count == passkey.sign_count))
        .returning(Passkey.id)
    )
    if not updated:
        raise PasskeyRejected("counter changed by a parallel sign-in")


# Recovery codes: 10, shown once, stored as keyed hashes, each usable once.


def _normalise_recovery_code(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


async def new_recovery_codes(
    env: AuthEnvironment, account: Account, meta: RequestMeta
) -> list[str]:
    """Replace every recovery code of the account; the plain codes exist only in the answer."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    async with write_transaction(Account._meta.db):
        await RecoveryCode.delete().where(RecoveryCode.account == account.id)
        await RecoveryCode.insert(
            *(RecoveryCode(account=account.id, code_hash=env.keyed_hash(code)) for code in codes)
        )
    await audit.record(
        "recovery-codes-created", "success", meta, actor_id=account.id, actor_role=account.role
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


async def unused_recovery_codes(account_id: int) -> int:
    return await RecoveryCode.count().where(
        (RecoveryCode.account == account_id) & RecoveryCode.used_at.is_null()
    )


async def sign_in_with_recovery_code(
    env: AuthEnvironment, email: str, code: str, meta: RequestMeta
) -> Account:
    now = env.now_seconds()
    await limits.check(limits.SIGN_IN_ATTEMPTS_PER_CLIENT, meta.client_ip, now)
    account = await Account.objects().where(Account.email == normalise_email(email)).first()
    code_hash = env.keyed_hash(_normalise_recovery_code(code))
    used = []
    if account is not None:
        used = (
            await RecoveryCode.update({RecoveryCode.used_at: env.clock()})
            .where(
                (RecoveryCode.account == account.id)
                & (RecoveryCode.code_hash == code_hash)
                & RecoveryCode.used_at.is_null()
            )
            .returning(RecoveryCode.id)
        )
    if not used:
        await audit.record(
            "recovery-code-used", "failure", meta, actor_id=account.id if account else None
        )
        raise SignInFailed
    await audit.record(
        "recovery-code-used", "success", meta, actor_id=account.id, actor_role=account.role
    )
    return account


# Managing passkeys on /account.


async def passkeys_of(account_id: int) -> list[Passkey]:
    return await Passkey.objects().where(Passkey.account == account_id).order_by(Passkey.id)


async def _own_passkey(account: Account, passkey_id: int) -> Passkey:
    passkey = (
        await Passkey.objects()
        .where((Passkey.id == passkey_id) & (Passkey.account == account.id))
        .first()
    )
    if passkey is None:
        raise PasskeyProblem("not-found")
    return passkey


async def rename_passkey(account: Account, passkey_id: int, name: str) -> None:
    passkey = await _own_passkey(account, passkey_id)
    if not name.strip():
        raise PasskeyProblem("name-empty")
    await Passkey.update({Passkey.name: name.strip()[:60]}).where(Passkey.id == passkey.id)


async def remove_passkey(account: Account, passkey_id: int, meta: RequestMeta) -> None:
    """The last passkey goes only when recovery codes remain, so the person is never locked out."""
    passkey = await _own_passkey(account, passkey_id)
    others = await Passkey.count().where(
        (Passkey.account == account.id) & (Passkey.id != passkey.id)
    )
    if others == 0 and await unused_recovery_codes(account.id) == 0:
        raise PasskeyProblem("last-passkey")
    await Passkey.delete().where(Passkey.id == passkey.id)
    await audit.record(
        "passkey-removed",
        "success",
        meta,
        actor_id=account.id,
        actor_role=account.role,
        target=f"passkey {passkey.id}",
    )


async def end_all_sessions(account: Account, meta: RequestMeta) -> None:
    """Raise the account's session epoch: every session started before stops working."""
    await Account.update({Account.session_epoch: Account.session_epoch + 1}).where(
        Account.id == account.id
    )
    await audit.record(
        "signed-out-everywhere", "success", meta, actor_id=account.id, actor_role=account.role
    )


async def remember_locale(account: Account, locale: str) -> None:
    """The account's language, used on any device where no language was chosen yet."""
    await Account.update({Account.chosen_locale: locale}).where(Account.id == account.id)
    account.chosen_locale = locale


async def adopt_reading_locale(account: Account, reading_locale: str | None) -> None:
    """An account without a language takes the one its person is reading (staff enrolment)."""
    if account.chosen_locale is None and reading_locale in i18n.LOCALES:
        await remember_locale(account, reading_locale)


async def check_limit(
    name: str, attempts: int, window_seconds: int, subject: str, now: int
) -> None:
    """For other domains: count one attempt under a named limit (raises limits.RateLimited)."""
    await limits.check(limits.Limit(name, attempts, window_seconds), subject, now)
