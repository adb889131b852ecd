"""Sessions: rotated at sign-in, ended by idle and absolute timeouts, by sign-out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.auth.tables import Account
from tests.auth.conftest import Person
from tests.conftest import serve

pytestmark = pytest.mark.profiles


def session_cookie(person: Person) -> str | None:
    return person.client.cookies.get("iph_session")


async def test_the_session_id_changes_at_sign_in_and_the_old_one_is_dead(
    registered: Person, app
) -> None:
    await registered.post_form("/signin/code", {"email": registered.email})  # makes a session
    planted = session_cookie(registered)
    assert planted
    response = await registered.sign_in_with_passkey()
    assert response.status_code == 200
    assert registered.client.cookies.get("iph_csrf")  # the CSRF cookie survives sign-in
    fresh = session_cookie(registered)
    assert fresh and fresh != planted
    assert await app.stores.get("sessions").get(planted) is None
    async with serve(app) as attacker:
        attacker.cookies.set("iph_session", planted)
        assert (await attacker.get("/account", follow_redirects=False)).status_code == 303


async def test_a_signed_out_person_is_sent_to_sign_in_and_back(person: Person) -> None:
    response = await person.client.get("/account/activity", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%2Factivity"
    page = await person.client.get(response.headers["location"])
    assert 'name="next" value="/account/activity"' in page.text


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/", "/\\evil"])
async def test_sign_in_never_sends_anyone_off_the_site(registered: Person, next_url: str) -> None:
    options = await registered.sign_in_options()
    credential = registered.authenticator.sign_in(options["publicKey"])
    response = await registered.post_json(
        "/auth/passkeys/sign-in",
        {"ceremony": options["ceremony"], "credential": credential, "next": next_url},
    )
    assert response.json()["redirect"] == "/account"


async def advance_clock(app, by: timedelta):
    real = app.state.auth.clock
    app.state.auth.clock = lambda: real() + by
    return real


async def test_an_idle_session_ends_after_30_minutes(registered: Person, app) -> None:
    await registered.sign_in_with_passkey()
    real = await advance_clock(app, timedelta(minutes=29))
    try:
        assert await registered.is_signed_in()  # and this request counts as activity
        app.state.auth.clock = lambda: real() + timedelta(minutes=29 + 31)
        assert not await registered.is_signed_in()
    finally:
        app.state.auth.clock = real


async def test_a_request_that_changes_nothing_in_the_session_does_not_write_it(
    registered: Person, app
) -> None:
    """The session is written when it changes: last_seen at most once a minute, and with it the
    store's expiry and the cookie's."""
    await registered.sign_in_with_passkey()
    session_id = session_cookie(registered)
    store = app.stores.get("sessions")
    as_signed_in = await store.get(session_id)
    for _ in range(3):
        response = await registered.client.get("/account")
        assert response.status_code == 200
        assert "iph_session" not in response.headers.get("set-cookie", "")
    assert await store.get(session_id) == as_signed_in
    real = await advance_clock(app, timedelta(minutes=2))
    try:
        response = await registered.client.get("/account")
        assert f"iph_session={session_id}" in response.headers.get("set-cookie", "")
        assert await store.get(session_id) != as_signed_in
    finally:
        app.state.auth.clock = real


async def test_a_staff_session_idles_out_after_15_minutes(registered: Person, app) -> None:
    await Account.update({Account.role: Account.Role.staff}).where(
        Account.email == registered.email
    )
    await registered.sign_in_with_passkey()
    real = await advance_clock(app, timedelta(minutes=16))
    try:
        assert not await registered.is_signed_in()
    finally:
        app.state.auth.clock = real


async def test_a_busy_session_still_ends_12_hours_after_sign_in(registered: Person, app) -> None:
    await registered.sign_in_with_passkey()
    real = app.state.auth.clock
    try:
        for minutes in range(20, 12 * 60, 20):  # active every 20 minutes
            app.state.auth.clock = lambda m=minutes: real() + timedelta(minutes=m)
            assert await registered.is_signed_in(), minutes
        app.state.auth.clock = lambda: real() + timedelta(hours=12, minutes=1)
        assert not await registered.is_signed_in()
    finally:
        app.state.auth.clock = real


async def test_sign_out_ends_the_session_on_the_server(registered: Person, app) -> None:
    await registered.sign_in_with_passkey()
    session_id = session_cookie(registered)
    await registered.sign_out()
    assert await app.stores.get("sessions").get(session_id) is None
    async with serve(app) as other:
        other.cookies.set("iph_session", session_id)
        assert (await other.get("/account", follow_redirects=False)).status_code == 303


async def test_sign_out_of_all_devices_ends_every_session(registered: Person, app, mailbox) -> None:
    await registered.sign_in_with_passkey()
    async with serve(app) as second_client:
        second = Person(second_client, mailbox)
        second.email, second.authenticator = registered.email, registered.authenticator
        await second.sign_in_with_passkey()
        assert await second.is_signed_in()
        await registered.post_form("/account/sign-out-everywhere", {})
        assert not await second.is_signed_in()
    assert not await registered.is_signed_in()


async def test_session_cookies_are_httponly_and_samesite(registered: Person) -> None:
    response = await registered.sign_in_with_passkey()
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("iph_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_a_signed_in_persons_language_choice_follows_them_to_a_new_device(
    registered: Person, app, mailbox
) -> None:
    await registered.sign_in_with_passkey()
    await registered.post_form("/preferences/locale", {"locale": "en", "next": "/"})
    async with serve(app) as new_device:
        other = Person(new_device, mailbox)
        other.email, other.authenticator = registered.email, registered.authenticator
        await other.sign_in_with_passkey()
        page = await new_device.get("/account")
    assert '<html lang="en"' in page.text
