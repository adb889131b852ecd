"""Redis unavailable (shut down with its data kept, then started again): signing in says the
service is temporarily unavailable, nothing crashes, signed-in sessions work again once Redis
is back, and jobs queued before the outage run after it, each once."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.cluster import Cluster, wait_until
from tests.faults.conftest import live_urls
from tests.faults.load import Browser
from tests.notifications.test_push import (  # noqa: F401 - push_service is a fixture
    BrowserSubscription,
    PushService,
    push_service,
)

pytestmark = pytest.mark.faults
UNAVAILABLE = "服务暂时不可用"
BACK_WITHIN = 10.0
SENDS = 6


async def subscribed(applicant: Browser, service: PushService) -> BrowserSubscription:
    """Push for status messages (a matter sent is one) to this phone, on our push service."""
    preferences = await applicant.post_form("/account/notifications", {"push-status": "1"})
    assert preferences.accepted, preferences.statuses
    phone = BrowserSubscription(service.endpoint())
    added = await applicant.post_json("/account/push-subscriptions", phone.to_json())
    assert added.response.status_code == 201, added.statuses
    return phone


def pushed_links(service: PushService, phone: BrowserSubscription) -> list[str]:
    return [phone.decrypt(d.body)["link"] for d in service.to(phone.endpoint)]


async def test_redis_away_refuses_sign_in_politely_and_everything_resumes_when_it_returns(
    cluster: Cluster,
    applicant: Browser,
    push_service: PushService,  # noqa: F811
) -> None:
    phone = await subscribed(applicant, push_service)
    drafts = [await applicant.matter_ready_to_send() for _ in range(SENDS)]
    cluster.worker.stop()  # the queue waits: these pushes are queued, not yet sent
    for draft in drafts:
        sent = await applicant.post_form(f"/my/matters/{draft['reference']}/send", draft)
        assert sent.accepted, sent.statuses
    assert pushed_links(push_service, phone) == []

    visitor = Browser(lambda: live_urls(cluster), cluster.var / "outbox")
    await visitor.csrf()
    await asyncio.to_thread(cluster.stop_redis)
    try:
        for url in live_urls(cluster):
            form = await visitor.client.get(f"{url}/signin")
            started = time.monotonic()
            code = await visitor.client.post(
                f"{url}/signin/code",
                data={
                    "email": visitor.email,
                    "next": "/account",
                    "_csrf_token": await visitor.csrf(),
                },
            )
            refused_in = time.monotonic() - started
            signed_in = await applicant.client.get(f"{url}/my/matters")
            ready = await visitor.client.get(f"{url}/readyz")
            assert form.status_code == 200
            assert code.status_code == 503 and UNAVAILABLE in code.text, code.text[:300]
            assert code.headers["retry-after"] == "5"
            assert refused_in < 2.0, refused_in
            assert signed_in.status_code == 503 and UNAVAILABLE in signed_in.text
            assert ready.status_code == 503 and "store" in ready.text
    finally:
        await visitor.aclose()
        await asyncio.to_thread(cluster.start_redis)
    came_back = time.monotonic()

    async def session_works() -> bool:
        pages = [await applicant.client.get(f"{url}/my/matters") for url in live_urls(cluster)]
        return all(page.status_code == 200 for page in pages)

    while not await session_works():
        assert time.monotonic() - came_back < BACK_WITHIN, "the session did not come back"
        await asyncio.sleep(0.2)
    page = await applicant.get("/my/matters")
    assert all(draft["reference"] in page.text for draft in drafts)
    assert all(worker.running for worker in cluster.web)

    cluster.start_worker()  # the queued pushes go out, each once
    expected = sorted(f"/my/matters/{draft['reference']}" for draft in drafts)
    await asyncio.to_thread(
        wait_until, lambda: len(pushed_links(push_service, phone)) >= SENDS, 60, "queued pushes"
    )
    await asyncio.sleep(3)  # time for a second delivery, were there one
    assert sorted(pushed_links(push_service, phone)) == expected

    # The queue worker lives through an outage of its own and takes the next job, once.
    last = await applicant.matter_ready_to_send()
    worker = cluster.worker.popen.pid
    await asyncio.to_thread(cluster.stop_redis)
    await asyncio.sleep(3)
    await asyncio.to_thread(cluster.start_redis)
    await asyncio.sleep(1)
    sent = await applicant.post_form(f"/my/matters/{last['reference']}/send", last)
    assert sent.accepted, sent.statuses
    await asyncio.to_thread(
        wait_until, lambda: len(pushed_links(push_service, phone)) > SENDS, 60, "the next push"
    )
    await asyncio.sleep(2)
    assert cluster.worker.running and cluster.worker.popen.pid == worker
    assert sorted(pushed_links(push_service, phone)) == sorted(
        [*expected, f"/my/matters/{last['reference']}"]
    )
