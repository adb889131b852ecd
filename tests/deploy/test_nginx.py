"""deploy/nginx/iph.conf run by Debian's nginx on loopback in front of two web workers.

The workers are started as deploy/run-scale.sh starts them, sharing one SQLite file and the file
stores of their var dir; nginx reads a copy of the repository's site file with free ports, a
certificate made for the test and that var dir put in (tests/scale_cluster.py), and is asked
over TLS and HTTP/2 as a phone would. The last test stops one worker with SIGTERM while a
request of its own is in flight.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import brotli
import httpx
import pytest

from backend.core.security import BASELINE_HEADERS, HSTS, SANDBOXED_FILE_POLICY
from backend.core.static_assets import STATIC_DIR
from backend.inquiries.marks import keep_mark_image
from tests.core.test_metrics import requests_of, samples
from tests.scale_cluster import STOP_TIMEOUT, FrontNginx, WebWorkers, nginx_missing

# Requests that change something or call the API, per client and minute: low, to reach it.
RATE_LIMIT = 5
YEAR_IMMUTABLE = "public, max-age=31536000, immutable"

MISSING = nginx_missing()
INSTALL = "`make nginx-deps` as root installs Debian's nginx and libnginx-mod-http-brotli-static"
if MISSING and os.environ.get("CI") != "true":  # on CI (make test installs them) it fails
    pytest.skip(f"{MISSING}: {INSTALL} (or set IPH_NGINX)", allow_module_level=True)


@dataclass
class FrontDoor:
    nginx: FrontNginx
    workers: WebWorkers

    @property
    def url(self) -> str:
        return self.nginx.url

    @property
    def var_dir(self) -> Path:
        return self.workers.var_dir

    def client(self, address: str = "127.0.0.1") -> httpx.Client:
        """A phone at `address` (any 127.x.y.z reaches nginx on loopback, from its own address)."""
        transport = httpx.HTTPTransport(
            http2=True,
            local_address=address,
            verify=ssl.create_default_context(cafile=self.nginx.cert_file),
        )
        return httpx.Client(base_url=self.url, transport=transport, timeout=30)

    def log_lines(self, path: str) -> list[str]:
        """Access log lines of requests for `path`, oldest first (nginx writes each at once)."""
        lines = self.nginx.access_log.read_text().splitlines()
        return [line for line in lines if f" {path} HTTP/" in line]


@pytest.fixture(scope="module")
def front_door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDoor]:
    if MISSING:
        pytest.fail(f"{MISSING}: {INSTALL}")
    directory = tmp_path_factory.mktemp("nginx")
    workers = WebWorkers(directory / "var", 2, {"IPH_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)})
    nginx = FrontNginx(directory, workers)  # its ports first: the workers' origin is its URL
    workers.settings["IPH_ORIGIN"] = nginx.url
    with workers, nginx:
        yield FrontDoor(nginx, workers)


def _upstreams(lines: list[str]) -> list[str]:
    return [line.rsplit("upstream=", 1)[1] for line in lines]


def test_pages_come_from_the_workers_over_http2_with_the_apps_headers_and_no_copy_in_nginx(
    front_door: FrontDoor,
) -> None:
    worker = front_door.workers.workers[0]
    direct = httpx.get(f"{worker.url}/guides", headers={"Accept-Encoding": "br"})
    with front_door.client() as phone:
        answers = [phone.get("/guides", headers={"Accept-Encoding": "br"}) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.http_version == "HTTP/2"
        assert answer.headers.get("cache-control") == direct.headers.get("cache-control")
        # Compressed once, by the app.
        assert answer.headers["content-encoding"] == "br"
        assert "指南" in answer.text
        # The app's origin is https: HSTS from the app itself.
        assert answer.headers["strict-transport-security"] == HSTS
    upstreams = _upstreams(front_door.log_lines("/guides"))
    assert len(upstreams) == 2 and "-" not in upstreams  # both asked of a worker


def test_static_files_come_from_nginx_pre_compressed_with_a_years_cache(
    front_door: FrontDoor,
) -> None:
    with front_door.client() as phone:
        page = phone.get("/")
        link = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page.text)
        assert link, "the home page links its stylesheet"
        source = (STATIC_DIR / "css" / "app.css").read_bytes()
        by_encoding = {
            encoding: phone.get(link.group(1), headers={"Accept-Encoding": encoding})
            for encoding in ("br", "gzip", "identity")
        }
    from_app = front_door.workers.workers[0].url + link.group(1)  # the same URL, of a worker
    for encoding, answer in by_encoding.items():
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == YEAR_IMMUTABLE
        assert "accept-encoding" in answer.headers["vary"].lower()
        assert answer.headers["content-type"].startswith("text/css")
        for name, value in {**BASELINE_HEADERS, "Strict-Transport-Security": HSTS}.items():
            assert answer.headers[name] == value, name
        assert answer.headers.get("content-encoding", "identity") == encoding
    # httpx decodes br and gzip itself: the same file under every encoding.
    assert all(answer.content == source for answer in by_encoding.values())
    # The very bytes the app sends, brotli at its quality (nothing compressed twice).
    assert brotli.decompress(_raw_body(front_door, link.group(1), "br")) == source
    assert _raw_body(front_door, link.group(1), "br") == _raw_app_body(from_app, "br")
    assert gzip.decompress(_raw_body(front_door, link.group(1), "gzip")) == source
    assert set(_upstreams(front_door.log_lines("/static/css/app.css"))) == {"-"}


def _raw_body(door: FrontDoor, path: str, encoding: str) -> bytes:
    with (
        door.client() as phone,
        phone.stream("GET", path, headers={"Accept-Encoding": encoding}) as answer,
    ):
        return b"".join(answer.iter_raw())


def _raw_app_body(url: str, encoding: str) -> bytes:
    with httpx.stream("GET", url, headers={"Accept-Encoding": encoding}) as answer:
        return b"".join(answer.iter_raw())


def test_mark_images_come_from_nginx_sandboxed_with_a_years_cache(front_door: FrontDoor) -> None:
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(64)  # named by its content: a new name each run
    address = keep_mark_image(image, ".png", front_door.var_dir / "marks")
    with front_door.client() as phone:
        answer = phone.get(address)
    assert answer.status_code == 200
    assert answer.content == image
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"] == YEAR_IMMUTABLE
    assert answer.headers["content-security-policy"] == SANDBOXED_FILE_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert _upstreams(front_door.log_lines(address)) == ["-"]
    # The app answers the same address with the same file: pages link one URL for both.
    assert httpx.get(front_door.workers.workers[0].url + address).content == image


def test_the_service_worker_is_asked_of_a_worker_every_time(front_door: FrontDoor) -> None:
    with front_door.client() as phone:
        answers = [phone.get("/sw.js") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert all(answer.headers["cache-control"] == "no-cache" for answer in answers)
    upstreams = _upstreams(front_door.log_lines("/sw.js"))
    assert len(upstreams) == 2 and "-" not in upstreams


def test_metrics_are_not_served_to_the_internet(front_door: FrontDoor) -> None:
    with front_door.client() as phone:
        answers = [phone.get(path) for path in ("/metrics", "/metrics/", "/metrics/jobs")]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert set(_upstreams(front_door.log_lines("/metrics"))) == {"-"}


def test_plain_http_is_sent_to_https(front_door: FrontDoor) -> None:
    answer = httpx.get(front_door.nginx.http_url + "/records?q=1", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://127.0.0.1/records?q=1"


def test_rate_limits_count_the_client_nginx_saw_whatever_it_claims(front_door: FrontDoor) -> None:
    """API calls are counted per client: nginx passes the phone's address, the workers believe
    it from nginx alone, and a client's own X-Forwarded-For is replaced, not believed."""
    with front_door.client("127.0.0.2") as phone, front_door.client("127.0.0.3") as other:
        statuses = [phone.get("/api/v1/records/ZL000000000").status_code for _ in range(RATE_LIMIT)]
        assert 429 not in statuses
        assert phone.get("/api/v1/records/ZL000000000").status_code == 429
        spoofed = phone.get(
            "/api/v1/records/ZL000000000", headers={"X-Forwarded-For": "198.51.100.7"}
        )
        assert spoofed.status_code == 429
        # Another phone (and not nginx's own 127.0.0.1, which every request comes from) is
        # counted apart.
        assert other.get("/api/v1/records/ZL000000000").status_code != 429


def test_requests_are_spread_over_both_workers(front_door: FrontDoor) -> None:
    with front_door.client() as phone:
        assert all(phone.get("/healthz").status_code == 200 for _ in range(4))
    upstreams = set(_upstreams(front_door.log_lines("/healthz")))
    assert upstreams == {f"127.0.0.1:{worker.port}" for worker in front_door.workers.workers}


def _offline_pages_counted(port: int) -> float:
    """What one worker's /metrics (asked on loopback, as Prometheus on this machine would) says
    of `GET /offline` answered 200, by every worker."""
    scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=STOP_TIMEOUT)
    assert scrape.status_code == 200, scrape.status_code
    return requests_of(samples(scrape.text), "/offline")


def test_either_worker_s_metrics_count_the_requests_both_answered(front_door: FrontDoor) -> None:
    first, second = front_door.workers.workers
    before = _offline_pages_counted(first.port)
    with front_door.client() as phone:
        assert all(phone.get("/offline").status_code == 200 for _ in range(6))
    assert set(_upstreams(front_door.log_lines("/offline"))) == {
        f"127.0.0.1:{worker.port}" for worker in front_door.workers.workers
    }
    assert _offline_pages_counted(second.port) == _offline_pages_counted(first.port) == before + 6


def _read_response(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_worker_stopped_with_sigterm_finishes_its_request_in_flight_while_nginx_uses_the_other(
    front_door: FrontDoor,
) -> None:
    """Last in this file: it stops the first worker."""
    stopping, other = front_door.workers.workers
    body = b"locale=en&next=%2Fguides"
    with socket.create_connection(("127.0.0.1", stopping.port), timeout=STOP_TIMEOUT) as request:
        # Expect: 100-continue makes the worker say when the app starts reading the body: from
        # then on the request is in flight, and the rest of the body is ours to send.
        request.sendall(
            b"POST /preferences/locale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body)
        )
        assert request.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        stopping.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:  # it stops taking connections as soon as it has the signal
            try:
                socket.create_connection(("127.0.0.1", stopping.port), timeout=1).close()
            except ConnectionRefusedError:
                break
            assert time.monotonic() < deadline, "the stopping worker still takes connections"
            time.sleep(0.05)
        # uvicorn says so once it waits for the requests it has: ours is the one.
        while "Waiting for connections to close" not in stopping.log():
            assert time.monotonic() < deadline, stopping.log()
            time.sleep(0.05)
        with front_door.client() as phone:
            assert [phone.get("/healthz").status_code for _ in range(4)] == [200] * 4
        assert stopping.running, "the worker left before answering its request in flight"
        request.sendall(body)
        response = _read_response(request)
    assert response.startswith(b"HTTP/1.1 303 "), response[:200]
    assert b"location: /guides" in response.lower()
    assert b"iph_locale=en" in response  # the whole answer: its cookie too
    # uvicorn ends by raising the signal it stopped for again, once the app's shutdown has run.
    assert stopping.popen.wait(timeout=STOP_TIMEOUT) == -signal.SIGTERM
    log = stopping.log()
    assert "Application shutdown complete" in log, log
    assert "Traceback" not in log
    # Each answered by the other worker, some after nginx found the stopping one refusing
    # ("upstream=<stopping>, <other>").
    last = _upstreams(front_door.log_lines("/healthz")[-4:])
    assert {tried.split(", ")[-1] for tried in last} == {f"127.0.0.1:{other.port}"}
