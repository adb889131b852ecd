"""/schema in a phone-sized Chromium that can reach nothing but the app: the API documentation
draws itself from the app's own files, under the app's own policy."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import ConsoleMessage, Page, Route, expect

from tests.browser.conftest import LiveServer, expect_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Kept by the page itself: a violation is reported on the document, whatever logs it.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


async def test_api_docs_show_the_operations_with_no_other_origin_and_no_csp_violation(
    page: Page, live_server: LiveServer
) -> None:
    foreign: list[str] = []

    async def only_the_app(route: Route) -> None:
        if route.request.url.startswith(live_server.url + "/"):
            await route.continue_()
        else:
            foreign.append(route.request.url)
            await route.abort()

    errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    await page.route("**/*", only_the_app)
    page.on("console", keep_error)
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.add_init_script(RECORD_CSP_VIOLATIONS)

    await page.goto("/schema")

    path = page.get_by_text("/api/v1/records/{number}", exact=True)
    await expect(path).to_be_visible()
    operation = page.locator(".opblock", has=path)
    await expect(operation.get_by_text("GET", exact=True)).to_be_visible()
    # Opened, it shows its parameter: the renderer works past the first paint.
    await path.click()
    await expect(operation.get_by_text("Parameters", exact=True)).to_be_visible()
    await expect(operation.locator("[data-param-name='number']")).to_be_visible()
    await expect_no_horizontal_scroll(page)
    assert errors == []  # checked here: the 404 asked for below is logged as an error
    # "Try it out" asks the app itself (connect-src 'self'): a well-formed trademark number that
    # the demo data does not hold is a 404.
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_placeholder("number").fill("12345678")
    await operation.get_by_role("button", name="Execute").click()
    live_status = operation.locator(".live-responses-table tbody .response-col_status")
    await expect(live_status).to_have_text(re.compile(r"^404\b"))

    assert foreign == []
    assert await page.evaluate("window.cspViolations") == []
