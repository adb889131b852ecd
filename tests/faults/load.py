"""Browsers and a bounded load against a fault-test cluster's web workers.

A browser keeps its cookies whichever worker answers (the session is in Redis) and, like a
phone behind a load balancer that lost a worker, sends a submission again with the same
idempotency key when the connection fails or a worker answers 502/503, up to a bound.
"""

from __future__ import annotations

import asyncio
import email
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path

import httpx

RETRYABLE = {502, 503}
ATTEMPTS = 60
RETRY_PAUSE = 0.25
TIMEOUT = httpx.Timeout(20.0)
# A filing the catalogue accepts (tests/matters/test_filing.py's).
PATENT = "201710601862.3"
FILING_STEPS = (
    ("record", {"record_number_other": PATENT}),
    ("holder", {"holder_kind": "enterprise", "credit_code": "91350100M000100Y43"}),
    (
        "change",
        {
            "change_kind": "address",
            "name_before": "测试科技有限公司",
            "address_after": "北京市海淀区知春路1号 100083",
        },
    ),
    ("documents", {}),
)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


@dataclass
class Outcome:
    """What a client saw of one submission: accepted (303) or not, after how many attempts."""

    response: httpx.Response | None
    attempts: int
    statuses: list[int | str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.response is not None and self.response.status_code == 303

    @property
    def location(self) -> str:
        return self.response.headers["location"] if self.response is not None else ""


class Browser:
    def __init__(self, workers: Callable[[], list[str]], outbox: Path) -> None:
        self.workers = workers  # the worker URLs, read again on every attempt
        self.outbox = outbox
        self.client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        self.email = f"faults-{secrets.token_hex(5)}@example.test"
        self._turn = secrets.randbelow(8)

    async def aclose(self) -> None:
        await self.client.aclose()

    def _next_worker(self) -> str:
        urls = self.workers()
        self._turn += 1
        return urls[self._turn % len(urls)]

    async def request(self, method: str, path: str, **options) -> Outcome:
        """Sent to the workers in turn until one answers other than 502/503 (bounded)."""
        outcome = Outcome(None, 0)
        for attempt in range(1, ATTEMPTS + 1):
            outcome.attempts = attempt
            try:
                response = await self.client.request(method, self._next_worker() + path, **options)
            except httpx.TransportError as error:
                outcome.statuses.append(type(error).__name__)
            else:
                outcome.statuses.append(response.status_code)
                if response.status_code not in RETRYABLE:
                    outcome.response = response
                    return outcome
            await asyncio.sleep(RETRY_PAUSE)
        return outcome

    async def get(self, path: str) -> httpx.Response:
        outcome = await self.request("GET", path)
        assert outcome.response is not None, outcome.statuses
        return outcome.response

    async def csrf(self) -> str:
        if "iph_csrf" not in self.client.cookies:
            await self.get("/signin")
        return self.client.cookies["iph_csrf"]

    async def post_form(self, path: str, data: dict[str, str]) -> Outcome:
        return await self.request("POST", path, data={**data, "_csrf_token": await self.csrf()})

    async def post_json(self, path: str, body: dict) -> Outcome:
        token = await self.csrf()
        return await self.request("POST", path, json=body, headers={"x-csrftoken": token})

    async def follow(self, outcome: Outcome) -> httpx.Response:
        assert outcome.accepted, outcome.statuses
        return await self.get(outcome.location)

    # Signing up, as a person does: the code comes by e-mail (the outbox folder) ----------

    async def sign_up(self, name: str = "故障测试用户") -> None:
        sent = await self.post_form("/signup", {"email": self.email, "display_name": name})
        assert sent.accepted, sent.statuses
        verified = await self.post_form("/signin/code/verify", {"code": self._last_code()})
        assert verified.accepted and verified.location == "/account", verified.statuses

    def _last_code(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for path in sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)[::-1]:
                message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
                if message["To"] == self.email:
                    return re.search(r"\b(\d{6})\b", message.get_content()).group(1)
            time.sleep(0.1)
        raise AssertionError(f"no code for {self.email} in {self.outbox}")

    # Filing a matter up to its review screen ------------------------------------------------

    async def matter_ready_to_send(self, kind: str = "bibliographic-change") -> dict[str, str]:
        """A draft filed to its review screen: the send form's fields and its reference."""
        started = await self.post_form(f"/matters/{kind}/new", {})
        assert started.accepted, started.statuses
        reference = re.search(r"/my/matters/([A-Z0-9]+)/steps/", started.location).group(1)
        for step, data in FILING_STEPS:
            done = await self.post_form(f"/my/matters/{reference}/steps/{step}", data)
            assert done.accepted, (step, done.statuses, done.response and done.response.text)
        review = await self.get(f"/my/matters/{reference}/review")
        assert review.status_code == 200, review.text[:500]
        form = {**hidden_fields(review.text), "commitment": "2026-1"}
        assert form.get("idempotency_key"), review.text[:500]
        return {"reference": reference, **form}


async def bounded(concurrency: int, jobs: list) -> list:
    """Run the coroutines with at most `concurrency` at a time; their results in order."""
    slots = asyncio.Semaphore(concurrency)

    async def one(job):
        async with slots:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))
