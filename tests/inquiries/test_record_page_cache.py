"""The public record page is served from the response cache and forgotten when the record changes.

"Served from the cache" is shown by changing the database behind the app's back: a cached page
still shows the old title; a page the app forgot shows the new one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from backend.auth.tables import Account
from backend.core.page_cache import PageStore
from backend.inquiries.importer import import_file
from backend.inquiries.tables import Record
from tests.conftest import serve
from tests.inquiries.test_records import new_patent_number, record_line, unique_name, write_lines
from tests.people import Person

pytestmark = pytest.mark.profiles
BROWSER = {"Accept-Encoding": "br, gzip"}


@pytest.fixture
async def record(tmp_path: Path, client: httpx.AsyncClient) -> Record:
    number = new_patent_number()
    line = record_line(number, title=f"一种{unique_name()}播种机")
    result = await import_file(write_lines(tmp_path / "one.jsonl", [line]))
    assert result.created == 1, result.problems
    return await Record.objects().where(Record.number == number).first()


async def rename_behind_the_apps_back(record: Record) -> str:
    title = f"一种{unique_name()}收割机"
    await Record.update({Record.title: title}).where(Record.id == record.id)
    return title


async def test_a_visitor_gets_the_cached_page_until_the_record_changes(
    client: httpx.AsyncClient, record: Record
) -> None:
    first = await client.get(f"/records/{record.number}", headers=BROWSER)
    new_title = await rename_behind_the_apps_back(record)
    again = await client.get(f"/records/{record.number}", headers=BROWSER)
    assert first.status_code == again.status_code == 200
    assert again.headers["content-encoding"] == "br"
    assert record.title in again.text and new_title not in again.text


async def test_every_typed_form_of_a_number_shares_one_cached_page(
    client: httpx.AsyncClient, record: Record
) -> None:
    await client.get(f"/records/{record.number}")
    new_title = await rename_behind_the_apps_back(record)
    typed = await client.get(f"/records/cn{record.number.replace('.', '')}")
    assert record.title in typed.text and new_title not in typed.text


async def test_each_language_elder_mode_and_encoding_is_cached_apart(
    client: httpx.AsyncClient, record: Record
) -> None:
    await client.get(f"/records/{record.number}")
    new_title = await rename_behind_the_apps_back(record)
    english = await client.get(f"/records/{record.number}", headers={"Accept-Language": "en"})
    client.cookies.set("iph_elder", "1")
    elder = await client.get(f"/records/{record.number}")
    gzip = await client.get(f"/records/{record.number}", headers={"Accept-Encoding": "gzip"})
    assert english.headers["content-language"] == "en"
    assert 'class="app-body app-body--elder"' in elder.text
    assert gzip.headers["content-encoding"] == "gzip"
    assert all(new_title in page.text for page in (english, elder, gzip))


async def test_a_cached_page_sets_no_cookie_and_carries_no_per_visitor_token(
    client: httpx.AsyncClient, app, record: Record
) -> None:
    first = await client.get(f"/records/{record.number}")
    async with serve(app) as other_visitor:
        second = await other_visitor.get(f"/records/{record.number}")
    assert "set-cookie" not in first.headers and "set-cookie" not in second.headers
    assert first.text == second.text
    assert "_csrf_token" not in second.text


async def test_a_signed_in_person_never_gets_or_fills_the_shared_copy(
    person: Person, client: httpx.AsyncClient, record: Record
) -> None:
    await person.sign_up()
    signed_in = await person.client.get(f"/records/{record.number}")
    anonymous = await client.get(f"/records/{record.number}")
    new_title = await rename_behind_the_apps_back(record)
    signed_in_again = await person.client.get(f"/records/{record.number}")
    assert "/my/inbox/badge" in signed_in.text and "/my/inbox/badge" not in anonymous.text
    assert new_title in signed_in_again.text


async def test_htmx_requests_are_not_served_from_the_cache(
    client: httpx.AsyncClient, record: Record
) -> None:
    await client.get(f"/records/{record.number}")
    new_title = await rename_behind_the_apps_back(record)
    fragment = await client.get(f"/records/{record.number}", headers={"HX-Request": "true"})
    assert new_title in fragment.text


async def test_a_status_change_in_the_staff_console_refreshes_the_public_page(
    client: httpx.AsyncClient, app, mailbox, record: Record
) -> None:
    await client.get(f"/records/{record.number}", headers=BROWSER)
    async with serve(app) as staff_browser:
        staff = Person(staff_browser, mailbox)
        await staff.sign_up()
        await Account.update({Account.role: "staff"}).where(Account.email == staff.email)
        response = await staff.post_form(
            f"/staff/records/{record.number}/status",
            {"stage": "lapsed_restorable", "official_status": "未缴年费专利权终止,等恢复"},
        )
        assert response.status_code == 200
    page = await client.get(f"/records/{record.number}", headers=BROWSER)
    assert "未缴年费专利权终止,等恢复" in page.text


async def test_an_import_in_another_process_refreshes_the_public_page(
    client: httpx.AsyncClient, record: Record, tmp_path: Path
) -> None:
    await client.get(f"/records/{record.number}", headers=BROWSER)
    renamed = f"一种{unique_name()}脱粒机"
    changed = write_lines(tmp_path / "changed.jsonl", [record_line(record.number, title=renamed)])
    command = [sys.executable, "-m", "litestar", "--app", "backend.app:app"]
    done = subprocess.run(
        [*command, "iph", "import", "records", str(changed)],
        env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "updated 1" in done.stdout
    page = await client.get(f"/records/{record.number}", headers=BROWSER)
    assert renamed in page.text


async def test_the_front_door_answers_a_hit_without_the_app_and_passes_everything_else_on(
    client: httpx.AsyncClient, app, record: Record
) -> None:
    from litestar.stores.memory import MemoryStore
    from msgspec.msgpack import encode

    from backend.core.page_cache import front_door, page_key

    store, reached = MemoryStore(), []
    path = f"/records/{record.number}"
    stored = [{"type": "http.response.start", "status": 200, "headers": []}]
    stored.append({"type": "http.response.body", "body": b"from the cache"})
    await store.set(page_key(path, "zh_Hans", False, "br"), encode(stored))

    async def the_app(scope, receive, send) -> None:
        reached.append((scope["path"], scope["query_string"]))

    door = front_door(the_app, store, ("/records/",))

    async def get(path: str, query: bytes = b"", **headers: str) -> list[dict]:
        sent: list[dict] = []
        raw = [(b"accept-encoding", b"br"), *((k.encode(), v.encode()) for k, v in headers.items())]
        scope = {"type": "http", "method": "GET", "path": path, "query_string": query}

        async def send(message: dict) -> None:
            sent.append(message)

        await door({**scope, "headers": raw}, None, send)
        return sent

    assert (await get(path))[1]["body"] == b"from the cache"
    assert reached == []
    await get(path, b"x=1")
    await get(path, **{"hx-request": "true"})
    await get(path, cookie="iph_session=abc")
    await get(path, cookie="iph_locale=en")
    await get("/records")
    assert len(reached) == 5


async def test_a_miss_reads_the_store_once_and_a_signed_in_view_never(
    client: httpx.AsyncClient, person: Person, app, record: Record
) -> None:
    reads: list[str] = []
    page_store = app.stores.get("response_cache")
    original = page_store.store

    class Counted(PageStore):
        async def get(self, key: str, renew_for=None):
            reads.append(key)
            return await original.get(key, renew_for)

    page_store.store = Counted(original)
    try:
        await client.get(f"/records/{record.number}")  # a miss: rendered and stored
        await client.get(f"/records/{record.number}")  # a hit at the front door
        anonymous_reads = list(reads)
        await person.sign_up()
        reads.clear()
        await person.client.get(f"/records/{record.number}")
    finally:
        page_store.store = original
    assert len(anonymous_reads) == 2 and len(set(anonymous_reads)) == 1
    assert reads == []
