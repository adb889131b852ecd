"""A GI product's page is served from the page cache, and the GI and authorised-user imports
(in another process, as an administrator runs them) make it fresh again.

"Served from the cache" is shown as for record pages (tests/inquiries/test_record_page_cache.py):
the database is changed behind the app's back, and a cached page still shows the old text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from backend.geo_indications.tables import GIProduct
from tests.conftest import serve
from tests.geo_indications.test_check import a_product, fresh_code, write_lines

pytestmark = pytest.mark.profiles
BROWSER = {"Accept-Encoding": "br, gzip"}


def run_import(kind: str, file: Path) -> str:
    command = [sys.executable, "-m", "litestar", "--app", "backend.app:app", "iph", "import"]
    done = subprocess.run(
        [*command, kind, str(file)],
        env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_visitor_gets_the_cached_page_with_no_cookie_and_no_token(
    client: httpx.AsyncClient, app, tmp_path: Path
) -> None:
    name, product_id = await a_product(tmp_path)
    first = await client.get(f"/gi/{product_id}", headers=BROWSER)
    await GIProduct.update({GIProduct.name: f"{name}改"}).where(GIProduct.id == product_id)
    async with serve(app) as other_visitor:
        again = await other_visitor.get(f"/gi/{product_id}", headers=BROWSER)
    assert first.status_code == again.status_code == 200
    assert again.headers["content-encoding"] == "br"
    assert name in again.text and f"{name}改" not in again.text
    assert "set-cookie" not in first.headers and "set-cookie" not in again.headers
    assert "_csrf_token" not in again.text


async def test_a_gi_import_that_changes_a_product_refreshes_its_page(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    name, product_id = await a_product(tmp_path)
    await client.get(f"/gi/{product_id}", headers=BROWSER)
    changed = {"name": name, "province": "四川", "source": "test", "announcement": "测试公告"}
    output = run_import("gi", write_lines(tmp_path / "changed.jsonl", [changed]))
    assert "updated 1" in output
    page = await client.get(f"/gi/{product_id}", headers=BROWSER)
    assert "测试公告" in page.text


async def test_an_authorised_user_import_refreshes_the_page_that_lists_them(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    name, product_id = await a_product(tmp_path)
    await client.get(f"/gi/{product_id}", headers=BROWSER)
    user = {"product": name, "province": "四川省", "producer": f"{name}合作社"}
    users = [{**user, "code": fresh_code(), "source": "test"}]
    output = run_import("gi-users", write_lines(tmp_path / "users.jsonl", users))
    assert "created 1" in output
    page = await client.get(f"/gi/{product_id}", headers=BROWSER)
    assert f"{name}合作社" in page.text


async def test_each_language_is_cached_apart_and_the_front_door_answers_a_hit(
    client: httpx.AsyncClient, app, tmp_path: Path
) -> None:
    from backend.core.page_cache import page_key

    _, product_id = await a_product(tmp_path)
    chinese = await client.get(f"/gi/{product_id}", headers=BROWSER)
    english = await client.get(f"/gi/{product_id}", headers={**BROWSER, "Accept-Language": "en"})
    assert chinese.headers["content-language"] == "zh-Hans"
    assert english.headers["content-language"] == "en"
    store = app.stores.get("response_cache")
    assert await store.get(page_key(f"/gi/{product_id}", "en", False, "br"))
