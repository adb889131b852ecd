"""Web Push against a real push service of our own on 127.0.0.1, decrypted as a browser would."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from backend.auth.tables import Account
from backend.notifications.push import endpoint_allowed, parse_private_key, vapid_private_key
from backend.notifications.service import MAX_DEVICES, Message
from backend.notifications.tables import InboxEntry, PushSubscription
from backend.settings import DEFAULT_PUSH_SERVICES, Settings
from tests.conftest import _free_port, serve
from tests.people import Person

pytestmark = pytest.mark.profiles


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Answers 201, or the status named in the path's first segment (/410/…, /404/…)."""

    origin: str
    deliveries: list[Delivery] = field(default_factory=list)

    def endpoint(self, status: int = 201) -> str:
        return f"{self.origin}/{status}/{secrets.token_urlsafe(16)}"

    def to(self, endpoint: str) -> list[Delivery]:
        path = endpoint.removeprefix(self.origin)
        return [delivery for delivery in self.deliveries if delivery.path == path]


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    service = PushService(origin="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.deliveries.append(
                Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(int(self.path.split("/")[1]))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


class BrowserSubscription:
    """The browser's half of a subscription: its ECDH key pair and auth secret (RFC 8291)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    def to_json(self) -> dict:
        """What PushSubscription.toJSON() gives in a browser."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict:
        # aes128gcm header: salt (16), record size (4), key-id length (1), key id = the
        # sender's one-time ECDH public key, which http_ece takes as `dh` when none is given
        # (given explicitly, http_ece 1.2.1 tries to decode the binary key id as UTF-8).
        sender_key = body[21 : 21 + body[20]]
        assert len(sender_key) == 65 and sender_key[0] == 4
        plaintext = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plaintext)


async def account_id_of(person: Person) -> int:
    return (await Account.objects().where(Account.email == person.email).first()).id


async def subscribed(person: Person, endpoint: str, kinds: tuple[str, ...] = ("status",)):
    """Signed up, opted in to push for `kinds`, with this browser subscribed."""
    await person.sign_up()
    await person.post_form("/account/notifications", {f"push-{kind}": "1" for kind in kinds})
    browser = BrowserSubscription(endpoint)
    response = await person.post_json("/account/push-subscriptions", browser.to_json())
    assert response.status_code == 201, response.text
    return browser, await account_id_of(person)


def status_message(title: str = "专利状态已变更") -> Message:
    return Message(
        kind="status",
        title=title,
        body="ZL 2020 1 0000001.X 已进入实质审查",
        link="/my/records/2020100000001X",
        subject_key=f"test:{secrets.token_hex(6)}",
    )


async def test_the_payload_is_encrypted_for_a_test_subscription_and_delivered_to_a_local_push_endpoint(  # noqa: E501
    person: Person, app, settings: Settings, push_service: PushService
) -> None:
    browser, account_id = await subscribed(person, push_service.endpoint())
    message = status_message()
    assert await app.state.notify.notify(account_id, message)
    await app.state.notify.finish_pushes()

    [delivery] = push_service.to(browser.endpoint)
    assert browser.decrypt(delivery.body) == {
        "title": message.title,
        "body": message.body,
        "link": message.link,
    }
    assert delivery.headers["content-encoding"] == "aes128gcm"
    assert delivery.headers["ttl"] == "86400"
    authorization = delivery.headers["authorization"]
    scheme, _, credentials = authorization.partition(" ")
    parts = dict(part.strip().split("=", 1) for part in credentials.split(","))
    assert scheme == "vapid" and set(parts) == {"t", "k"}
    assert parts["k"] == app.state.push.application_server_key
    assert Vapid02.verify(authorization)
    claims = json.loads(from_b64url(parts["t"].split(".")[1]))
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == settings.vapid_subject


@pytest.mark.parametrize("status", [410, 404])
async def test_a_subscription_the_push_service_calls_gone_is_removed(
    person: Person, app, push_service: PushService, status: int
) -> None:
    browser, account_id = await subscribed(person, push_service.endpoint(status))
    await app.state.notify.notify(account_id, status_message())
    await app.state.notify.finish_pushes()
    assert len(push_service.to(browser.endpoint)) == 1
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == browser.endpoint)


async def test_an_unreachable_push_service_does_not_stop_the_inbox_entry(
    person: Person, app, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}/201/nobody-listens"
    _, account_id = await subscribed(person, endpoint)
    message = status_message("无法推送也要进收件箱")
    assert await app.state.notify.notify(account_id, message)
    await app.state.notify.finish_pushes()
    assert await InboxEntry.exists().where(
        (InboxEntry.account == account_id) & (InboxEntry.title == message.title)
    )
    # A failure that may pass is logged, and the device keeps its subscription.
    assert "push to subscription" in caplog.text
    assert await PushSubscription.exists().where(PushSubscription.endpoint == endpoint)


async def test_a_push_service_error_is_logged_and_the_subscription_kept(
    person: Person, app, push_service: PushService, caplog: pytest.LogCaptureFixture
) -> None:
    browser, account_id = await subscribed(person, push_service.endpoint(500))
    await app.state.notify.notify(account_id, status_message())
    await app.state.notify.finish_pushes()
    assert len(push_service.to(browser.endpoint)) == 1
    assert "push to subscription" in caplog.text
    assert await PushSubscription.exists().where(PushSubscription.endpoint == browser.endpoint)


async def test_no_push_is_sent_for_a_kind_not_opted_in(
    person: Person, app, push_service: PushService
) -> None:
    browser, account_id = await subscribed(person, push_service.endpoint(), kinds=("deadline",))
    await app.state.notify.notify(account_id, status_message())
    await app.state.notify.finish_pushes()
    assert push_service.to(browser.endpoint) == []


async def test_every_device_of_the_person_gets_the_push(
    person: Person, app, push_service: PushService
) -> None:
    phone, account_id = await subscribed(person, push_service.endpoint())
    laptop = BrowserSubscription(push_service.endpoint())
    assert (
        await person.post_json("/account/push-subscriptions", laptop.to_json())
    ).status_code == 201
    message = status_message()
    await app.state.notify.notify(account_id, message)
    await app.state.notify.finish_pushes()
    for device in (phone, laptop):
        [delivery] = push_service.to(device.endpoint)
        assert device.decrypt(delivery.body)["title"] == message.title


async def test_an_endpoint_outside_the_push_services_is_refused(person: Person) -> None:
    await person.sign_up()
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",  # not on this test run's list
        "http://127.0.0.1.evil.example/201/x",
        "http://10.0.0.1/201/x",
        "file:///etc/passwd",
    ):
        browser = BrowserSubscription(endpoint)
        response = await person.post_json("/account/push-subscriptions", browser.to_json())
        assert response.status_code == 400
        assert response.json() == {
            "ok": False,
            "message": "此浏览器的推送服务不在我们可以发送的范围内。",
        }
        assert not await PushSubscription.exists().where(PushSubscription.endpoint == endpoint)


def test_the_default_push_services_are_the_browser_vendors_over_https() -> None:
    services = Settings(push_services=DEFAULT_PUSH_SERVICES).push_service_list
    allowed = [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
    ]
    refused = [
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://evilfcm.googleapis.com/fcm/send/abc",
        "https://user@fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1/201/x",
        "https://[::1/x",
        "not a url",
    ]
    assert all(endpoint_allowed(url, services) for url in allowed)
    assert not any(endpoint_allowed(url, services) for url in refused)


async def test_keys_that_are_not_a_p256_point_and_16_byte_secret_are_refused(
    person: Person, push_service: PushService
) -> None:
    await person.sign_up()
    good = BrowserSubscription(push_service.endpoint()).to_json()
    bad_keys = [
        {**good["keys"], "p256dh": b64url(b"\x04" + b"\x01" * 64)},  # not on the curve
        {**good["keys"], "p256dh": good["keys"]["p256dh"][:40]},
        {**good["keys"], "auth": b64url(os.urandom(8))},
        {**good["keys"], "auth": "not base64!"},
    ]
    for keys in bad_keys:
        response = await person.post_json("/account/push-subscriptions", {**good, "keys": keys})
        assert response.status_code == 400
        assert response.json()["ok"] is False
    missing = {"endpoint": good["endpoint"]}
    assert (await person.post_json("/account/push-subscriptions", missing)).status_code == 400
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == good["endpoint"])


async def test_subscribing_needs_the_csrf_token_and_a_signed_in_person(
    person: Person, app, push_service: PushService
) -> None:
    await person.sign_up()
    browser = BrowserSubscription(push_service.endpoint())
    response = await person.client.post("/account/push-subscriptions", json=browser.to_json())
    assert response.status_code == 403
    async with serve(app) as stranger_browser:
        await stranger_browser.get("/signin")
        token = stranger_browser.cookies["iph_csrf"]
        response = await stranger_browser.post(
            "/account/push-subscriptions", json=browser.to_json(), headers={"x-csrftoken": token}
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == browser.endpoint)


async def test_a_person_removes_their_own_subscription_and_no_one_elses(
    person: Person, app, mailbox, push_service: PushService
) -> None:
    browser, _ = await subscribed(person, push_service.endpoint())
    async with serve(app) as other_browser:
        other = Person(other_browser, mailbox)
        await other.sign_up()
        response = await other.post_json(
            "/account/push-subscriptions/remove", {"endpoint": browser.endpoint}
        )
        assert response.status_code == 200
    assert await PushSubscription.exists().where(PushSubscription.endpoint == browser.endpoint)
    response = await person.post_json(
        "/account/push-subscriptions/remove", {"endpoint": browser.endpoint}
    )
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == browser.endpoint)


async def test_a_browser_subscribed_again_by_someone_else_now_notifies_only_them(
    person: Person, app, mailbox, push_service: PushService
) -> None:
    browser, first_id = await subscribed(person, push_service.endpoint())
    await person.sign_out()
    async with serve(app) as same_device:
        second = Person(same_device, mailbox)
        await second.sign_up()
        response = await second.post_json("/account/push-subscriptions", browser.to_json())
        assert response.status_code == 201
        second_id = await account_id_of(second)
    rows = await PushSubscription.objects().where(PushSubscription.endpoint == browser.endpoint)
    assert [row.account for row in rows] == [second_id]
    await app.state.notify.notify(first_id, status_message())
    await app.state.notify.finish_pushes()
    assert push_service.to(browser.endpoint) == []


async def test_the_preferences_page_offers_push_per_kind_and_carries_the_server_key(
    person: Person, app
) -> None:
    await person.sign_up()
    page = (await person.client.get("/account/notifications")).text
    assert 'name="push-status"' in page and 'name="push-deadline"' in page
    assert f'data-server-key="{app.state.push.application_server_key}"' in page
    assert "/static/js/push.js?v=" in page
    assert "允许在此设备上接收通知" in page
    # The button stays hidden until push.js has found PushManager in the browser.
    assert "data-push-device" in page and "hidden>" in page
    key = from_b64url(app.state.push.application_server_key)
    assert len(key) == 65 and key[0] == 4


async def test_the_service_worker_shows_pushes_and_opens_their_link(person: Person) -> None:
    source = (await person.client.get("/sw.js")).text
    assert 'addEventListener("push"' in source and "showNotification" in source
    assert 'addEventListener("notificationclick"' in source and "openWindow" in source


def test_the_vapid_key_is_made_once_and_kept_private_in_var(tmp_path) -> None:
    key_file = tmp_path / "var" / "vapid_private.pem"
    first = vapid_private_key("", key_file)
    second = vapid_private_key("", key_file)
    assert first.private_numbers() == second.private_numbers()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(key_file.parent.iterdir()) == [key_file]  # no draft left behind


def test_a_configured_vapid_key_wins_in_pem_or_base64url_form(tmp_path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_file = tmp_path / "vapid_private.pem"
    for configured in (pem, b64url(der)):
        assert vapid_private_key(configured, key_file).private_numbers() == key.private_numbers()
    assert not key_file.exists()
    with pytest.raises(ValueError):
        parse_private_key(
            ec.generate_private_key(ec.SECP384R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )


def test_the_vapid_subject_must_be_a_mailto_or_https_url() -> None:
    assert Settings(vapid_subject="https://ip.example.gov.cn/contact").vapid_subject
    with pytest.raises(ValueError):
        Settings(vapid_subject="admin@localhost")


async def test_a_person_keeps_only_their_newest_subscriptions(
    person: Person, push_service: PushService
) -> None:
    first, account_id = await subscribed(person, push_service.endpoint())
    for _ in range(MAX_DEVICES):
        device = BrowserSubscription(push_service.endpoint())
        response = await person.post_json("/account/push-subscriptions", device.to_json())
        assert response.status_code == 201
    assert await PushSubscription.count().where(PushSubscription.account == account_id) == (
        MAX_DEVICES
    )
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == first.endpoint)


async def test_a_long_message_is_cut_to_fit_a_push_and_the_inbox_keeps_all_of_it(
    person: Person, app, push_service: PushService
) -> None:
    browser, account_id = await subscribed(person, push_service.endpoint())
    long_message = Message(
        kind="status",
        title="标" * 300,
        body="长" * 5000,
        link="/my/inbox",
        subject_key=f"test:{secrets.token_hex(6)}",
    )
    await app.state.notify.notify(account_id, long_message)
    await app.state.notify.finish_pushes()
    [delivery] = push_service.to(browser.endpoint)
    assert len(delivery.body) <= 4096  # what push services accept (RFC 8030 §7.2)
    payload = browser.decrypt(delivery.body)
    assert payload["body"] == "长" * 600 and payload["title"] == "标" * 200
    entry = await InboxEntry.objects().where(InboxEntry.account == account_id).first()
    assert entry.body == long_message.body


async def test_the_data_export_lists_devices_preferences_and_inbox_without_the_endpoint(
    person: Person, app, push_service: PushService
) -> None:
    endpoint = push_service.endpoint()
    _, account_id = await subscribed(person, endpoint)
    await app.state.notify.notify(account_id, status_message("导出测试"))
    await app.state.notify.finish_pushes()
    response = await person.client.get("/account/export")
    assert response.status_code == 200
    data = response.json()["notifications"]
    assert data["push_devices"] == [
        {"push_service": "127.0.0.1", "created_at": data["push_devices"][0]["created_at"]}
    ]
    assert {"kind": "status", "email": False, "push": True} in data["preferences"]
    assert [entry["title"] for entry in data["inbox"]] == ["导出测试"]
    assert endpoint not in response.text
