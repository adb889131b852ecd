"""Staff enrolment: an admin issues a one-time link (24 hours) at which the person adds a passkey.

Staff, supervisors and admins must use a passkey with user verification; they never sign up.
The account is made without a language (the admin's is not theirs): enrolling is their sign-up,
so it takes the language they enrol in, as a sign-up does.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from backend.auth import audit, service
from backend.auth.audit import RequestMeta
from backend.auth.service import AuthEnvironment
from backend.auth.tables import Account, EnrolmentLink

ENROLMENT_LIFETIME = timedelta(hours=24)
STAFF_ROLES = (Account.Role.staff, Account.Role.supervisor, Account.Role.admin)


class EnrolmentLinkInvalid(Exception):
    """Unknown, used or expired: one answer for all three."""


async def issue_enrolment_link(
    env: AuthEnvironment, email: str, role: Account.Role, meta: RequestMeta
) -> str:
    """Create (or promote) the account and return a fresh enrolment token."""
    email = service.normalise_email(email)
    await service.ensure_account(email, email.split("@")[0], role)
    account = await Account.objects().where(Account.email == email).first()
    if account.role != role:
        await Account.update({Account.role: role}).where(Account.id == account.id)
        await audit.record(
            "role-changed",
            "success",
            meta,
            actor_id=account.id,
            actor_role=role,
            target=f"{account.role} -> {role}",
        )
    token = secrets.token_urlsafe(32)
    await EnrolmentLink(
        account=account.id,
        token_hash=env.keyed_hash(token),
        expires_at=env.clock() + ENROLMENT_LIFETIME,
    ).save()
    await audit.record(
        "enrolment-link-issued", "success", meta, actor_id=account.id, actor_role=role
    )
    return token


async def _valid_link(env: AuthEnvironment, token: str) -> EnrolmentLink:
    link = (
        await EnrolmentLink.objects()
        .where(EnrolmentLink.token_hash == env.keyed_hash(token))
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= env.clock():
        raise EnrolmentLinkInvalid
    return link


async def account_for_link(env: AuthEnvironment, token: str) -> Account:
    link = await _valid_link(env, token)
    return await service.account_by_id(link.account)


async def begin_enrolment(env: AuthEnvironment, token: str) -> tuple[dict, str]:
    return await service.begin_registration(env, await account_for_link(env, token))


async def finish_enrolment(
    env: AuthEnvironment,
    token: str,
    ceremony: str,
    credential: dict[str, Any],
    meta: RequestMeta,
    reading_locale: str | None = None,
) -> Account:
    """A refused passkey leaves the link usable for another try; a saved one uses it up."""
    link = await _valid_link(env, token)
    account = await service.account_by_id(link.account)
    await service.finish_registration(env, account, ceremony, credential, "", meta)
    await service.adopt_reading_locale(account, reading_locale)
    await EnrolmentLink.update({EnrolmentLink.used_at: env.clock()}).where(
        EnrolmentLink.id == link.id
    )
    return account
