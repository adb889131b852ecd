"""No dead ends: every same-origin link and GET form on every page a person can reach leads to a
working page, in every language, for a visitor, the demo applicant, demo staff and the demo
supervisor.

The server is the one `make run` would give a newcomer (`litestar iph setup`: demo accounts,
records and guides). The crawl is plain HTTP (a browser adds nothing to where a link leads);
it lives beside the browser tests for their live server and mail catcher.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pytest

from tests.auth.authenticator import SoftAuthenticator
from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Paths that a later issue builds, each with the feature that builds it and what should link to
# it then. Nothing links to them until then (the test below); each answers 404 today, so an
# entry must go (and its links come back) when its feature is built. Empty when all are done.
NOT_BUILT_YET: dict[str, str] = {}
LOCALES = ("zh_Hans", "zh_Hant", "en")
# A crawl that finds more has found a loop of ever-new addresses. (The GI directory's 4,400
# products alone give about 2,700 addresses: its pages of 20 from every shape followed.)
MAX_PAGES = 5000
PAGES_PER_SHAPE = 40
# Addresses of one link shape (/gi/<id>, /gi?page=<n>&province=<name>) fetched: every shape is
# fetched, and this many of each, not the thousands of GI pages that one template draws alike.
FETCHES_PER_LINK_SHAPE = 40
_VARIABLE = re.compile(r"[0-9%]|[^\x00-\x7f]|^.{25,}$")
DEMO_STAFF = "staff@demo.iph.example"  # the demo applicant: conftest.demo_applicant_state
DEMO_SUPERVISOR = "supervisor@demo.iph.example"


class LinksAndForms(HTMLParser):
    """The addresses a page leads to: <a href> and GET forms, submitted as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in attributes:
            self.addresses.append(attributes["href"])
        elif tag == "form" and attributes.get("method", "get").lower() == "get":
            self._form = (attributes.get("action", ""), [])
        elif tag in {"input", "select", "textarea"} and self._form and attributes.get("name"):
            self._add_field(attributes)

    def _add_field(self, attributes: dict[str, str]) -> None:
        if attributes.get("type") not in {"submit", "button", "checkbox", "radio"}:
            self._form[1].append((attributes["name"], attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form:
            action, fields = self._form
            self.addresses.append(f"{action}?{urlencode(fields)}" if fields else action)
            self._form = None


def not_built(path: str) -> bool:
    """A path of NOT_BUILT_YET; an entry ending in /ABC stands for any last segment (a
    completed matter links /rate/<its reference>)."""
    bare = path.split("?")[0]
    if bare in NOT_BUILT_YET:
        return True
    return any(
        entry.endswith("/ABC") and bare.startswith(entry[: -len("ABC")]) for entry in NOT_BUILT_YET
    )


def same_origin_paths(base: str, page_url: str, html: str) -> list[str]:
    parser = LinksAndForms()
    parser.feed(html)
    paths = []
    for address in parser.addresses:
        if address.startswith(("mailto:", "tel:", "javascript:")):
            continue
        target = urlsplit(urljoin(page_url, address))
        if f"{target.scheme}://{target.netloc}" != base:
            continue
        paths.append(target.path + (f"?{target.query}" if target.query else ""))
    return paths


def shape_of(path: str) -> tuple[str, ...]:
    """Pages alike in shape (/guides/a, /guides/b; /gi?province=…): the first segment, the
    depth and the query's keys. Their links come from one template, so a few of each tell."""
    parts = urlsplit(path)
    segments = [segment for segment in parts.path.split("/") if segment]
    query_keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return (segments[0] if segments else "", str(len(segments)), *query_keys)


def link_shape(path: str) -> str:
    """Addresses alike but for their ids, numbers, names or free text: those parts of the path
    and the query's values become `*` (/gi/123 and /gi/456 are /gi/*; /gi?view=map stays)."""
    parts = urlsplit(path)
    segments = ["*" if _VARIABLE.search(s) else s for s in parts.path.split("/")]
    pairs = sorted(
        (key, "*" if _VARIABLE.search(value) else value)
        for key, _, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    query = "&".join(f"{key}={value}" for key, value in pairs)
    return "/".join(segments) + (f"?{query}" if query else "")


async def crawl(client: httpx.AsyncClient, start: str) -> tuple[dict[str, str], set[str]]:
    """Every page reachable from `start`: the broken ones (path: why) and all the paths seen.

    The first FETCHES_PER_LINK_SHAPE addresses found of each link shape are fetched; the links
    of at most PAGES_PER_SHAPE pages of each page shape are followed (a directory of thousands
    of records would otherwise be read whole).
    """
    broken: dict[str, str] = {}
    seen, queue = {start}, deque([(start, "(start)")])
    followed: Counter[tuple[str, ...]] = Counter()
    fetched: Counter[str] = Counter()
    while queue:
        path, linked_from = queue.popleft()
        if fetched[link_shape(path)] >= FETCHES_PER_LINK_SHAPE:
            continue
        fetched[link_shape(path)] += 1
        response = await client.get(path, follow_redirects=True)
        if response.status_code >= 400:
            broken[path] = f"{response.status_code}, linked from {linked_from}"
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        if followed[shape_of(path)] >= PAGES_PER_SHAPE:
            continue
        followed[shape_of(path)] += 1
        for found in same_origin_paths(
            str(client.base_url).rstrip("/"), str(response.url), response.text
        ):
            if found not in seen:
                seen.add(found)
                queue.append((found, path))
        assert len(seen) < MAX_PAGES, f"more than {MAX_PAGES} addresses from {start}"
    return broken, seen


async def csrf(client: httpx.AsyncClient) -> str:
    if "iph_csrf" not in client.cookies:
        await client.get("/signin")
    return client.cookies["iph_csrf"]


async def enrol_demo_staff(
    client: httpx.AsyncClient, server: LiveServer, email: str = DEMO_STAFF, role: str = "staff"
) -> None:
    """A fresh enrolment link for the demo staff account (as `make run` prints one), used with
    a passkey that verifies the user, as staff must. (Another demo account and its role: the
    demo supervisor, say.)"""
    printed = server.cli("iph", "create-staff", "--email", email, "--role", role).stdout
    token = re.search(r"/enrol/(\S+)", printed).group(1)
    headers = {"x-csrftoken": await csrf(client)}
    options = (await client.post(f"/enrol/{token}/options", headers=headers)).json()
    credential = SoftAuthenticator(origin=server.url, rp_id="localhost").register(
        options["publicKey"]
    )
    answer = await client.post(
        f"/enrol/{token}",
        json={"ceremony": options["ceremony"], "credential": credential},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text


def visitor(server: LiveServer, locale: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, cookies={"iph_locale": locale}, timeout=30)


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_link_and_form_from_the_home_page_leads_to_a_working_page(
    live_server: LiveServer, locale: str
) -> None:
    async with visitor(live_server, locale) as client:
        broken, seen = await crawl(client, "/")
    assert not broken, broken
    assert not {path for path in seen if not_built(path)}


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_link_and_form_of_the_demo_applicant_leads_to_a_working_page(
    live_server: LiveServer, demo_applicant_state: dict, locale: str
) -> None:
    async with visitor(live_server, locale) as client:
        for cookie in demo_applicant_state["cookies"]:
            client.cookies.set(cookie["name"], cookie["value"])
        client.cookies.set("iph_locale", locale)
        broken, seen = await crawl(client, "/my/records")
    assert not broken, broken
    assert any(path.startswith("/my/records/") for path in seen), "the demo records are listed"
    assert not {path for path in seen if not_built(path)}


async def test_every_link_and_form_of_demo_staff_leads_to_a_working_page(
    live_server: LiveServer,
) -> None:
    async with visitor(live_server, "zh_Hans") as client:
        await enrol_demo_staff(client, live_server)
        broken, seen = await crawl(client, "/my/records")
    assert not broken, broken
    assert any(path.startswith("/staff") for path in seen), "staff see their console"
    assert not {path for path in seen if not_built(path)}


async def test_every_link_and_form_of_the_demo_supervisor_leads_to_a_working_page(
    live_server: LiveServer,
) -> None:
    """The supervisor's console adds pages staff do not see: the review figures and the
    revocation of e-certificates (its search form as it stands: /staff/certificates?q=)."""
    async with visitor(live_server, "zh_Hans") as client:
        await enrol_demo_staff(client, live_server, DEMO_SUPERVISOR, "supervisor")
        broken, seen = await crawl(client, "/staff")
    assert not broken, broken
    assert {"/staff/certificates", "/supervisor"} <= seen, "supervisors see their pages"
    assert not {path for path in seen if not_built(path)}


@pytest.mark.parametrize("path", sorted(NOT_BUILT_YET))
async def test_a_path_not_built_yet_is_still_not_built(live_server: LiveServer, path: str) -> None:
    """When this fails the feature is built: take its entry out of NOT_BUILT_YET and link it."""
    async with visitor(live_server, "zh_Hans") as client:
        response = await client.get(path)
    assert response.status_code == 404, NOT_BUILT_YET[path]
