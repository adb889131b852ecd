"""Trademark search by photo in a real 360 × 740 phone Chromium: a photo chosen, the crop box
dragged and moved with the keys around the mark, the browser's crop (shrunk to 1024 px, JPEG)
sent by htmx, the results and one of them opened; axe on the way, in elder mode too (a corner
dragged by touch); the form without JavaScript; a refusal on the form.

The marks are the live server's demo marks (`litestar iph setup`); the photos are made here from
one of their images, read from the server's own folder, on a ground larger than the mark so
that the crop matters. Each test searches once or twice: a client may search 10 times a minute.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image, ImageDraw
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    PHONE,
    LiveServer,
    expect_no_axe_violations,
    expect_no_horizontal_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PHOTO_SIDE = 3000  # a phone camera's photo: the mark fills its top-left quarter
RESULTS_HEADING = "与您的照片相像的商标"
# A search reads the photo's text and shapes on two shared cores: seconds, not milliseconds.
SEARCH_TIMEOUT_MS = 30_000


def a_demo_mark(server: LiveServer) -> tuple[str, str, Image.Image]:
    """Number, title and image of the first demo mark with an image (PNG)."""
    uri = f"{(server.var_dir / 'iph.sqlite3').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        number, title, address = connection.execute(
            "select number, title, mark_image from record where kind = 'trademark' "
            "and mark_image like '%.png' order by id limit 1"
        ).fetchone()
    with Image.open(server.var_dir / "marks" / address.removeprefix("/marks/")) as image:
        return number, title, image.convert("RGB")


def photo_of(mark: Image.Image, folder: Path) -> Path:
    """The mark in the top-left quarter of a large grey photo with other shapes in the rest."""
    photo = Image.new("RGB", (PHOTO_SIDE, PHOTO_SIDE), (205, 200, 190))
    half = PHOTO_SIDE // 2
    photo.paste(mark.resize((half, half)), (0, 0))
    draw = ImageDraw.Draw(photo)
    draw.ellipse((half + 200, half + 200, PHOTO_SIDE - 200, PHOTO_SIDE - 200), fill=(40, 90, 160))
    draw.rectangle((200, half + 300, half - 300, PHOTO_SIDE - 300), fill=(160, 60, 40))
    path = folder / "IMG_2041.JPG"
    photo.save(path, "JPEG", quality=90)
    return path


# What the form sends as its photo once the script has put the crop in (Playwright does not
# expose the body of a fetch that carries a file, so it is read from the form, as htmx reads it).
SENT_PHOTO = """async () => {
  const file = new FormData(document.getElementById("mark-form")).getAll("photo")
    .find((entry) => entry.size > 0);
  const bitmap = await createImageBitmap(file);
  return { type: file.type, size: file.size, width: bitmap.width, height: bitmap.height };
}"""


@pytest_asyncio.fixture(loop_scope="session")
async def phone(browser: Browser, live_server: LiveServer) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(20_000)
    yield context
    await context.close()


async def box_of(page: Page, selector: str) -> dict[str, float]:
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


async def drag(page: Page, selector: str, to_x: float, to_y: float) -> None:
    """Press on the middle of `selector`, move to (to_x, to_y) in steps, let go."""
    box = await box_of(page, selector)
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(to_x, to_y, steps=8)
    await page.mouse.up()


async def touch_drag(page: Page, selector: str, to_x: float, to_y: float) -> None:
    """A finger on the middle of `selector`, moved to (to_x, to_y), lifted (Chromium's touch
    events through CDP: Playwright's own touchscreen only taps)."""
    box = await box_of(page, selector)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = await page.context.new_cdp_session(page)
    await cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
    )
    for step in range(1, 9):
        point = {"x": x + (to_x - x) * step / 8, "y": y + (to_y - y) * step / 8}
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


async def frame_the_top_left_quarter(page: Page) -> None:
    """Drag the bottom-right corner to the middle of the photo, then nudge it with the keys."""
    # In the middle of the screen, clear of the bottom navigation (as the script leaves it).
    await page.locator("#mark-crop-stage").evaluate("el => el.scrollIntoView({block: 'center'})")
    stage = await box_of(page, "#mark-crop-stage")
    middle_x, middle_y = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2
    await drag(page, ".app-crop__handle--se", middle_x + 8, middle_y + 8)
    handle = page.locator(".app-crop__handle--se")
    await handle.focus()
    for _ in range(2):  # each arrow press moves a corner by 2% of the photo
        await handle.press("ArrowLeft")
        await handle.press("ArrowUp")
    stage = await box_of(page, "#mark-crop-stage")  # the page may have scrolled to the handle
    crop = await box_of(page, "#mark-crop-box")
    assert abs(crop["x"] - stage["x"]) <= 2 and abs(crop["y"] - stage["y"]) <= 2
    assert abs(crop["width"] - stage["width"] / 2) <= stage["width"] * 0.05, (crop, stage)
    assert abs(crop["height"] - stage["height"] / 2) <= stage["height"] * 0.05, (crop, stage)


async def test_a_photo_framed_in_the_crop_box_finds_its_mark_and_opens_the_record(
    phone: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    number, title, mark = a_demo_mark(live_server)
    page = await phone.new_page()
    await page.goto("/search/image")
    await expect(page.get_by_role("heading", level=1)).to_have_text("以图搜商标")
    await expect(page.locator("#mark-privacy")).to_contain_text("不会被保存")
    await expect(page.locator("#mark-crop")).to_be_hidden()
    await expect_no_axe_violations(page)

    await page.locator("#photo").set_input_files(photo_of(mark, tmp_path))
    await expect(page.locator("#mark-crop")).to_be_visible()
    await expect_no_horizontal_scroll(page)
    await frame_the_top_left_quarter(page)
    await expect_no_axe_violations(page)

    async with page.expect_request(
        lambda request: request.method == "POST" and request.url.endswith("/search/image")
    ) as sent:
        await page.get_by_role("button", name="搜索商标").click()
    request = await sent.value
    assert request.headers.get("hx-request") == "true"
    photo = await page.evaluate(SENT_PHOTO)
    # The crop of the top-left 1500 px square, shrunk to 1024: the mark alone, as a JPEG, a
    # small part of the 3000 px photo's bytes.
    assert photo["type"] == "image/jpeg"
    assert max(photo["width"], photo["height"]) == 1024, photo
    assert abs(photo["width"] - photo["height"]) <= 40, photo
    assert photo["size"] < (tmp_path / "IMG_2041.JPG").stat().st_size / 2, photo

    results = page.locator("#mark-results")
    await expect(results.get_by_role("heading", name=RESULTS_HEADING)).to_be_focused(
        timeout=SEARCH_TIMEOUT_MS
    )
    links = results.locator(".app-marks__text > a")
    found = [
        href.removeprefix("/records/")
        for href in await links.evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
    ]
    assert number in found[:10], found
    assert page.url == f"{live_server.url}/search/image"
    await expect_no_horizontal_scroll(page)
    await expect_no_axe_violations(page)

    await results.locator(f'a[href="/records/{number}"]').click()
    await page.wait_for_url(f"{live_server.url}/records/{number}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(title)


async def test_elder_mode_the_form_the_crop_box_and_the_results_pass_axe(
    phone: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    _, _, mark = a_demo_mark(live_server)
    await phone.add_cookies([{"name": "iph_elder", "value": "1", "url": live_server.url}])
    page = await phone.new_page()
    await page.goto("/search/image")
    await expect(page.locator("body")).to_have_class("app-body app-body--elder")
    await expect_no_axe_violations(page)

    await page.locator("#photo").set_input_files(photo_of(mark, tmp_path))
    await expect(page.locator("#mark-crop")).to_be_visible()
    handles = page.locator(".app-crop__handle")
    for index in range(await handles.count()):  # each corner a 60 px target in elder mode
        box = await handles.nth(index).bounding_box()
        assert box and box["width"] >= 60 and box["height"] >= 60, box
    # A finger drags the top-left corner to the middle: the box is the bottom-right quarter.
    stage = await box_of(page, "#mark-crop-stage")
    middle = (stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
    await touch_drag(page, ".app-crop__handle--nw", *middle)
    crop = await box_of(page, "#mark-crop-box")
    assert abs(crop["x"] - middle[0]) <= 4 and abs(crop["y"] - middle[1]) <= 4, (crop, stage)
    assert abs(crop["x"] + crop["width"] - stage["x"] - stage["width"]) <= 2, (crop, stage)
    await expect_no_horizontal_scroll(page)
    await page.get_by_role("button", name="搜索商标").click()
    await expect(page.locator("#mark-results h2")).to_be_focused(timeout=SEARCH_TIMEOUT_MS)
    await expect_no_horizontal_scroll(page)
    await expect_no_axe_violations(page)


async def test_without_javascript_the_whole_photo_is_posted_and_the_page_lists_the_marks(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    number, _, mark = a_demo_mark(live_server)
    path = tmp_path / "mark.png"
    mark.resize((1600, 1600)).save(path, "PNG")  # larger than the search takes: the server shrinks
    context = await browser.new_context(
        base_url=live_server.url, java_script_enabled=False, **PHONE
    )
    try:
        page = await context.new_page()
        await page.goto("/search/image")
        await expect(page.locator("#mark-crop")).to_be_hidden()
        await page.locator("#photo").set_input_files(path)
        await page.locator("#kind").select_option("")
        async with page.expect_navigation():
            await page.get_by_role("button", name="搜索商标").click()
        await expect(page.get_by_role("heading", name=RESULTS_HEADING)).to_be_visible(
            timeout=SEARCH_TIMEOUT_MS
        )
        links = page.locator("#mark-results .app-marks__text > a")
        hrefs = await links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
        assert f"/records/{number}" in hrefs[:10], hrefs
        await expect_no_horizontal_scroll(page)
    finally:
        await context.close()


async def test_a_file_that_is_not_a_photo_is_refused_on_the_form_and_the_summary_is_focused(
    phone: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"#!/bin/sh\necho not a photo\n")
    page = await phone.new_page()
    await page.goto("/search/image")

    await page.locator("#photo").set_input_files(path)
    await expect(page.locator("#mark-crop")).to_be_hidden()  # the browser cannot read it either
    await page.get_by_role("button", name="搜索商标").click()

    summary = page.locator(".app-error-summary")
    await expect(summary).to_be_focused(timeout=SEARCH_TIMEOUT_MS)
    await expect(summary).to_contain_text("这个文件不是 JPEG、PNG、WebP 或 HEIC 照片。")
    await expect(page.locator("#photo-error")).to_be_visible()
    await expect_no_axe_violations(page)

    # A photo then: the results come, and nothing of the refusal stays on the form.
    _, _, mark = a_demo_mark(live_server)
    mark.save(tmp_path / "mark.png", "PNG")
    await page.locator("#photo").set_input_files(tmp_path / "mark.png")
    await expect(page.locator("#mark-crop")).to_be_visible()
    await page.get_by_role("button", name="搜索商标").click()
    await expect(page.locator("#mark-results-title")).to_be_focused(timeout=SEARCH_TIMEOUT_MS)
    await expect(
        page.locator(".app-error-summary, .app-field-error, [aria-invalid]")
    ).to_have_count(0)
    await expect_no_axe_violations(page)
