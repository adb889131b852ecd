"""Account rules. Sign-up, passkeys and sessions arrive with issue 3."""

from __future__ import annotations

import base64
import secrets

from backend.auth.tables import Account


def new_user_handle() -> str:
    """64 random bytes (WebAuthn user handle), base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


async def ensure_account(email: str, display_name: str, role: Account.Role) -> bool:
    """Create the account unless the e-mail already has one; True when it was created."""
    if await Account.exists().where(Account.email == email):
        return False
    await Account(
        email=email, display_name=display_name, role=role, user_handle=new_user_handle()
    ).save()
    return True
