"""The shell over HTTP: locales, errors, security headers, CSRF, htmx fragments, PWA files."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.core.security import BASELINE_HEADERS
from tests.conftest import serve
from tests.people import csrf_token_of

HOME_HEADINGS = {
    "zh_Hans": ("zh-Hans", "知识产权服务，掌上办理"),
    "zh_Hant": ("zh-Hant", "知識產權服務，掌上辦理"),
    "en": ("en", "Intellectual-property services in your hand"),
}


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "page has no <html lang>"
    return match.group(1)


@pytest.mark.parametrize("locale", sorted(HOME_HEADINGS))
async def test_home_page_is_served_in_each_locale_chosen_by_cookie(
    client: httpx.AsyncClient, locale: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/")
    assert response.status_code == 200
    lang, heading = HOME_HEADINGS[locale]
    assert html_lang(response.text) == lang
    assert heading in response.text


@pytest.mark.parametrize(
    ("accept_language", "expected_lang"),
    [
        ("en-US,en;q=0.9", "en"),
        ("zh-TW,zh;q=0.8", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("fr-FR,de;q=0.5", "zh-Hans"),
        ("fr,en;q=0.4", "en"),
        ("", "zh-Hans"),
    ],
)
async def test_accept_language_picks_the_locale_when_no_choice_was_made(
    client: httpx.AsyncClient, accept_language: str, expected_lang: str
) -> None:
    response = await client.get("/", headers={"Accept-Language": accept_language})
    assert html_lang(response.text) == expected_lang


async def test_the_switch_cookie_wins_over_accept_language(client: httpx.AsyncClient) -> None:
    client.cookies.set("iph_locale", "zh_Hant")
    response = await client.get("/", headers={"Accept-Language": "en"})
    assert html_lang(response.text) == "zh-Hant"


async def test_switching_language_sets_the_cookie_and_returns_to_the_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/preferences/locale",
        data={"locale": "en", "next": "/search"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/search"
    assert "iph_locale=en" in response.headers["set-cookie"]
    assert html_lang((await client.get("/search")).text) == "en"


@pytest.mark.parametrize("next_url", ["//evil.example/", "https://evil.example/", "/\\evil"])
async def test_switching_language_never_redirects_off_the_site(
    client: httpx.AsyncClient, next_url: str
) -> None:
    response = await client.post(
        "/preferences/locale",
        data={"locale": "en", "next": next_url},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_an_unknown_locale_is_refused_with_a_readable_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/preferences/locale", data={"locale": "xx"})
    assert response.status_code == 400
    assert "请求无法处理" in response.text
    assert "iph_locale" not in response.headers.get("set-cookie", "")


async def test_elder_mode_persists_in_a_cookie_and_changes_the_layout(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/preferences/elder-mode",
        data={"enabled": "1"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "app-body--elder" in response.text
    assert 'aria-pressed="true"' in response.text


@pytest.mark.parametrize(
    ("locale", "title"),
    [("zh_Hans", "页面不存在"), ("zh_Hant", "頁面不存在"), ("en", "Page not found")],
)
async def test_not_found_page_is_localized_and_shows_no_internals(
    client: httpx.AsyncClient, locale: str, title: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert title in response.text
    assert "Traceback" not in response.text
    assert html_lang(response.text) == HOME_HEADINGS[locale][0]


async def test_api_errors_are_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["title"] == "Page not found"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=fee",
        "/offline",
        "/no/such/page",
        "/manifest.webmanifest",
        "/sw.js",
        "/static/css/app.css",
        "/healthz",
    ],
)
async def test_security_headers_are_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    for name, value in BASELINE_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-request-id"]


async def test_pages_need_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<[^>]+\son[a-z]+=", html) is None


async def test_csrf_rejects_a_post_without_a_token(client: httpx.AsyncClient) -> None:
    await client.get("/signin")
    response = await client.post("/signup", data={"email": "a@example.test"})
    assert response.status_code == 403


async def test_csrf_rejects_a_token_from_another_client(client: httpx.AsyncClient, app) -> None:
    async with serve(app) as other:
        other_token = await csrf_token_of(other)
    await client.get("/signin")
    response = await client.post(
        "/signup", data={"email": "a@example.test"}, headers={"x-csrftoken": other_token}
    )
    assert response.status_code == 403


async def test_csrf_accepts_the_header_htmx_sends(client: httpx.AsyncClient) -> None:
    token = await csrf_token_of(client)
    response = await client.post(
        "/signup",
        data={"email": "a@example.test", "display_name": "测试"},
        headers={"x-csrftoken": token, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303  # on to the code form


async def test_pages_carry_no_per_visitor_token_but_set_the_cookie_scripts_read(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    token = client.cookies["iph_csrf"]
    assert token not in response.text
    assert "csrf-token" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
@pytest.mark.parametrize("path", ["/preferences/locale", "/preferences/elder-mode"])
async def test_preference_forms_refuse_requests_from_another_site(
    client: httpx.AsyncClient, headers: dict[str, str], path: str
) -> None:
    response = await client.post(path, data={"locale": "en", "enabled": "1"}, headers=headers)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_preference_forms_accept_a_same_origin_browser_post(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/preferences/locale",
        data={"locale": "en", "next": "/"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver.local"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "iph_locale=en" in response.headers["set-cookie"]


async def test_anonymous_visitors_get_no_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert "iph_session" not in response.headers.get("set-cookie", "")


async def test_search_answers_htmx_with_the_fragment_and_the_browser_with_the_page(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set("iph_locale", "en")
    page = await client.get("/search", params={"q": "trademark"})
    fragment = await client.get(
        "/search",
        params={"q": "trademark"},
        headers={"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    history = await client.get(
        "/search",
        params={"q": "trademark"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in page.text and "<html" not in fragment.text and "<html" in history.text
    for response in (page, fragment):
        assert "Check a patent or trademark" in response.text
        assert "HX-Request" in response.headers["vary"]


async def test_search_with_no_match_says_what_to_do(client: httpx.AsyncClient) -> None:
    client.cookies.set("iph_locale", "en")
    response = await client.get("/search", params={"q": "zzzz-no-such-thing"})
    assert "Nothing found for “zzzz-no-such-thing”" in response.text
    assert "Try fewer or other words" in response.text


async def test_search_terms_are_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": "<script>alert(1)</script> {{7*7}}"})
    assert "<script>alert(1)" not in response.text
    assert "{{7*7}}" in response.text


@pytest.mark.parametrize(("locale", "name"), [("zh_Hans", "知识产权掌上办"), ("en", "IP Handheld")])
async def test_manifest_is_in_the_page_locale_with_installable_icons(
    client: httpx.AsyncClient, locale: str, name: str
) -> None:
    client.cookies.set("iph_locale", locale)
    response = await client.get("/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == name
    assert manifest["display"] == "standalone"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        icon_response = await client.get(icon["src"])
        assert icon_response.status_code == 200
        assert icon_response.content.startswith(b"\x89PNG")


async def test_service_worker_is_served_from_the_root_uncached_with_its_version(
    client: httpx.AsyncClient, app
) -> None:
    response = await client.get("/sw.js")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"].startswith("text/javascript")
    assert f'const SHELL_VERSION = "{app.state.assets.shell_version}"' in response.text
    assert "__PRECACHE_URLS__" not in response.text
    for url in app.state.assets.shell_urls:
        assert url in response.text
        assert (await client.get(url)).status_code == 200


async def test_html_is_compressed_for_browsers_that_ask(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["content-encoding"] in {"br", "gzip"}


async def test_static_files_are_cacheable_for_a_year(client: httpx.AsyncClient, app) -> None:
    response = await client.get(app.state.assets.url("css/app.css"))
    assert "max-age=31536000" in response.headers["cache-control"]


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


async def test_the_shared_page_shell_returns_each_page_to_itself_and_marks_its_section(
    client: httpx.AsyncClient,
) -> None:
    guides = await client.get("/guides")
    search = await client.get("/search", params={"q": "专利"})
    odd = await client.get('/guides/"><x>')
    assert guides.text.count('name="next" value="/guides"') == 2  # language and elder mode
    assert search.text.count('name="next" value="/search"') == 2
    assert 'href="/guides" aria-current="page"' in guides.text
    assert 'aria-current="page"' not in search.text
    assert "<x>" not in odd.text and "&#34;&gt;&lt;x&gt;" in odd.text


@pytest.mark.parametrize(
    ("accept", "encoding"), [("br, gzip", "br"), ("gzip", "gzip"), ("identity", "identity")]
)
async def test_static_files_are_served_pre_compressed_and_revalidated_by_etag(
    client: httpx.AsyncClient, accept: str, encoding: str
) -> None:
    import gzip

    import brotli

    from backend.core.static_assets import STATIC_DIR

    raw = (STATIC_DIR / "vendor" / "htmx-4.0.1.min.js").read_bytes()
    headers = {"Accept-Encoding": accept}
    async with client.stream("GET", "/static/vendor/htmx-4.0.1.min.js", headers=headers) as first:
        body = b"".join([chunk async for chunk in first.aiter_raw()])
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, "identity": bytes}[encoding]
    assert decode(body) == raw
    assert first.headers.get("content-encoding", "identity") == encoding
    assert first.headers["cache-control"] == "max-age=31536000, public"
    assert first.headers["content-type"].startswith("text/javascript")
    again = await client.get(
        "/static/vendor/htmx-4.0.1.min.js",
        headers={**headers, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", ["/static/nothing.js", "/static/../backend/app.py", "/static/"])
async def test_only_the_shells_own_static_files_are_served(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 404
