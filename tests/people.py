"""People who talk to the app like a browser would: sign up, add passkeys, sign in."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import httpx

from tests.auth.authenticator import SoftAuthenticator

if TYPE_CHECKING:
    from tests.conftest import Mailbox

ORIGIN = "http://testserver.local"
RP_ID = "testserver.local"


async def csrf_token_of(client: httpx.AsyncClient) -> str:
    """The token a browser's script sends: the CSRF cookie, which any form page sets."""
    if "iph_csrf" not in client.cookies:
        await client.get("/signin")
    return client.cookies["iph_csrf"]


class Person:
    """A browser (cookie jar) with an authenticator, signing up and in through the HTTP API."""

    def __init__(self, client: httpx.AsyncClient, mailbox: Mailbox) -> None:
        self.client = client
        self.mailbox = mailbox
        self.email = f"person-{secrets.token_hex(4)}@example.test"
        self.authenticator = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)

    async def csrf(self) -> str:
        return await csrf_token_of(self.client)

    async def post_form(self, url: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(
            url, data={**data, "_csrf_token": await self.csrf()}, follow_redirects=True
        )

    async def post_json(self, url: str, body: dict | None = None) -> httpx.Response:
        token = await self.csrf()
        return await self.client.post(url, json=body or {}, headers={"x-csrftoken": token})

    def last_code(self) -> str:
        body = self.mailbox.last_to(self.email).get_content()
        return re.search(r"\b(\d{6})\b", body).group(1)

    async def sign_up(self, name: str = "测试用户") -> httpx.Response:
        await self.post_form("/signup", {"email": self.email, "display_name": name})
        return await self.post_form("/signin/code/verify", {"code": self.last_code()})

    async def registration_options(self) -> dict:
        response = await self.post_json("/account/passkeys/options")
        assert response.status_code == 201, response.text
        return response.json()

    async def add_passkey(self, **tamper) -> httpx.Response:
        options = await self.registration_options()
        credential = self.authenticator.register(options["publicKey"], **tamper)
        return await self.post_json(
            "/account/passkeys", {"ceremony": options["ceremony"], "credential": credential}
        )

    async def sign_in_options(self) -> dict:
        response = await self.post_json("/auth/passkeys/sign-in/options")
        assert response.status_code == 201, response.text
        return response.json()

    async def answer_sign_in(self, options: dict, credential: dict) -> httpx.Response:
        return await self.post_json(
            "/auth/passkeys/sign-in", {"ceremony": options["ceremony"], "credential": credential}
        )

    async def sign_in_with_passkey(self, **tamper) -> httpx.Response:
        options = await self.sign_in_options()
        credential = self.authenticator.sign_in(options["publicKey"], **tamper)
        return await self.answer_sign_in(options, credential)

    async def sign_out(self) -> None:
        await self.post_form("/signout", {})

    async def is_signed_in(self) -> bool:
        response = await self.client.get("/account", follow_redirects=False)
        return response.status_code == 200
