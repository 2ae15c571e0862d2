"""The editor's slide pages in Debian's Chromium, on a phone-sized screen: upload a poster
with an end date, reorder by dragging and with the keyboard, pause, and write a text slide
whose preview follows the typing. Each step is checked where it matters: in the area's
snapshot, which the screens get."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site, eventually, jpeg
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SLIDES = "/areas/morkov/slides"


def ids(server: RunningServer) -> list[str]:
    published = server.app_state.hub.current("morkov")
    return [item.id for item in published.snapshot.items] if published else []


async def editor_page(
    site: Site, server: RunningServer, browser: Browser, errors: list[str]
) -> tuple[BrowserContext, Page]:
    add_user(site.settings, "editor@morkov.dk", "editor", ("morkov",))
    context = await browser.new_context(viewport=PHONE, has_touch=True)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    page = await context.new_page()
    page.on("console", lambda message: errors.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    await page.goto(server.url + "/")
    await page.fill("#email", "editor@morkov.dk")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(server.url + "/")
    return context, page


async def fits(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a phone"


async def test_upload_a_poster_then_reorder_and_pause(
    site: Site, server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    errors: list[str] = []
    context, page = await editor_page(site, server, browser, errors)
    try:
        await page.get_by_role("link", name="Ny plakat").first.click()
        await page.wait_for_url(server.url + SLIDES + "/new")
        await fits(page)
        photo = tmp_path / "Julemarked.jpg"
        photo.write_bytes(jpeg((200, 20, 20), (1600, 1200)))
        await page.set_input_files("#file", str(photo))
        await page.fill("#until", "2099-12-06")
        await page.get_by_role("button", name="Sæt på skærmen").click()
        await page.wait_for_url("**/slides?done=added*")
        assert "Tilføjet: Julemarked.jpg" in await page.locator("[role=status]").first.inner_text()
        assert ids(server)[-1] == "morkov/Julemarked.jpg"
        await fits(page)

        # The keyboard: focus the new slide's handle and press the up arrow twice.
        handle = page.get_by_role("button", name="Flyt Julemarked", exact=True)
        await handle.focus()
        await page.keyboard.press("ArrowUp")
        await page.keyboard.press("ArrowUp")
        await eventually(lambda: ids(server)[0] == "morkov/Julemarked.jpg")
        assert await page.evaluate("() => document.activeElement.dataset.key") is None
        assert await page.locator(".saved-order").inner_text() == "Rækkefølgen er gemt."

        # Dragging: the last slide's handle to the top.
        await page.reload()
        last = page.locator("ol.slides > li").last
        key = await last.get_attribute("data-key")
        source = await last.locator(".handle").bounding_box()
        target = await page.locator("ol.slides > li").first.bounding_box()
        assert source and target
        await page.mouse.move(source["x"] + 5, source["y"] + 5)
        await page.mouse.down()
        for step in range(1, 11):
            y = source["y"] + (target["y"] - source["y"]) * step / 10
            await page.mouse.move(source["x"] + 5, y)
        await page.mouse.up()
        await eventually(lambda: ids(server)[0] == key)

        # Pause the poster: it leaves the screens, and the list says so.
        await page.reload()
        await page.get_by_role("button", name="Sæt Julemarked på pause").click()
        await page.wait_for_url("**/slides?done=paused*")
        assert "morkov/Julemarked.jpg" not in ids(server)
        row = page.locator("li", has_text="Julemarked").first
        assert "På pause" in await row.inner_text()
        assert not errors, errors
    finally:
        await context.close()


async def test_a_text_slide_with_live_preview(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    errors: list[str] = []
    context, page = await editor_page(site, server, browser, errors)
    try:
        await page.goto(server.url + SLIDES)
        await page.get_by_role("link", name="Ny tekstplakat").click()
        await fits(page)
        await page.fill("#title", "Loppemarked i hallen")
        await page.fill("#text", "Søndag kl. 10–14. Kaffe og kage.")
        await page.fill("#link", "https://morkov.dk/loppe")
        preview = page.frame_locator("#text-preview")
        await preview.locator("h1", has_text="Loppemarked i hallen").wait_for()
        await preview.locator("svg").first.wait_for()  # the link's QR code
        await page.get_by_role("button", name="Gem og vis").click()
        await page.wait_for_url("**/slides?done=added*")
        assert "morkov/Loppemarked i hallen.toml" in ids(server)
        assert not errors, errors
    finally:
        await context.close()
