"""The API documentation at /schema: drawn from the app's own files, under the pages' policy."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.core.security import BASELINE_HEADERS, CONTENT_SECURITY_POLICY

# Every URL an element of the page names: src=, href= (scripts, styles, icon, links).
URL_ATTRIBUTE = re.compile(r"""\s(?:src|href)=["']([^"']*)["']""")


async def test_the_api_docs_page_names_only_urls_of_its_own_origin(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/schema")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No other host anywhere: no CDN script, no web font, no badge (the spec is fetched apart).
    assert "http://" not in html and "https://" not in html
    urls = URL_ATTRIBUTE.findall(html)
    assert urls, html
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "/schema/openapi.json" in html


async def test_the_api_docs_page_needs_no_inline_script_or_style(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/schema")).text

    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<[^>]+\son[a-z]+=", html) is None


async def test_the_api_docs_page_keeps_the_pages_policy_unchanged(
    client: httpx.AsyncClient,
) -> None:
    """Swagger UI runs under the strict policy as it is: no 'unsafe-inline', no blob: worker."""
    response = await client.get("/schema")

    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for name, value in BASELINE_HEADERS.items():
        assert response.headers.get(name) == value, name


async def test_the_api_docs_scripts_and_styles_are_served_by_the_app(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/schema")).text
    assets = [url for url in URL_ATTRIBUTE.findall(html) if url.startswith("/static/")]

    assert {url.rsplit(".", 1)[-1].split("?")[0] for url in assets} >= {"js", "css"}
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "max-age=31536000, public", url
        assert "?v=" in url, url


async def test_the_openapi_document_is_still_served_as_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/records/{number}" in response.json()["paths"]


@pytest.mark.parametrize(
    "path",
    [
        "/schema/swagger",
        "/schema/redoc",
        "/schema/elements",
        "/schema/rapidoc",
        "/schema/scalar",
        "/schema/oauth2-redirect.html",
    ],
)
async def test_litestars_other_renderers_are_not_served(
    client: httpx.AsyncClient, path: str
) -> None:
    """Each would load its renderer from a CDN, which the policy blocks: a blank page."""
    response = await client.get(path)

    assert response.status_code == 404
    assert "http://" not in response.text and "https://" not in response.text
