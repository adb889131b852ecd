"""Error pages without internals, and one structured log line per request."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from litestar import get

from tests.conftest import serve


@get("/boom")
async def boom() -> str:
    raise RuntimeError("secret internal detail")


@pytest.mark.parametrize(
    ("locale", "title"), [("zh_Hans", "出错了"), ("en", "Something went wrong")]
)
async def test_a_server_error_shows_a_localized_page_without_the_stack_trace(
    make_app, locale: str, title: str
) -> None:
    app = make_app()
    app.register(boom)
    async with serve(app) as client:
        client.cookies.set("iph_locale", locale)
        response = await client.get("/boom")
    assert response.status_code == 500
    assert title in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.text


async def test_each_request_logs_one_json_line_with_its_id_and_no_query(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="backend.request"):
        response = await client.get("/search", params={"q": "张三 13800000000"})
        await client.get("/no/such/page")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "backend.request"]
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/search", 200),
        ("/no/such/page", 404),
    ]
    assert lines[0]["request_id"] == response.headers["x-request-id"]
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("backend"))
    assert "13800000000" not in ours and "张三" not in ours
