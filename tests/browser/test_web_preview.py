"""The live preview in Debian's Chromium: an editor logs in and opens the preview of their
area; the real kiosk page plays the area's slides in a landscape and a portrait frame; a
new picture in the area's folder shows in both without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Frame, Page

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site, jpeg
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Short slides, so that the new one comes round within seconds.
QUICK = 'name = "Mørkøv"\ndefault_duration = 2\nsources = ["morkov", "all"]\n'
PLAYING = "() => document.body.dataset.item !== undefined"


async def open_preview(
    browser: Browser, server: RunningServer, viewport: Any, console: list[str]
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=viewport)
    context.set_default_timeout(timeout_ms(15))
    page = await context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    await page.goto(server.url + "/areas/morkov/preview")
    assert page.url.startswith(server.url + "/login?next=")
    await page.fill("#email", "here@holbaek.dk")
    await page.fill("#password", PASSWORD)
    await page.press("#password", "Enter")
    await page.wait_for_url(server.url + "/areas/morkov/preview")
    return context, page


def kiosk_frame(page: Page, shape: str) -> Frame:
    frame = page.frame(url=re.compile(rf"/areas/morkov/preview/kiosk/{shape}/$"))
    assert frame is not None, f"no {shape} frame"
    return frame


async def frame_state(frame: Frame) -> dict[str, Any]:
    state: dict[str, Any] = await frame.evaluate(
        """() => {
            const layer = document.querySelector("#main .layer.current");
            return {
                item: document.body.dataset.item,
                version: document.body.dataset.version,
                stage: document.getElementById("stage").className,
                offline: !document.getElementById("offline").hidden,
                src: layer ? layer.getAttribute("src") : null,
                loaded: layer ? layer.complete && layer.naturalWidth > 0 : false,
                kept: window.__kept === true,
            };
        }"""
    )
    return state


async def test_an_editor_sees_the_area_in_both_frames_and_the_change_live(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    site.recipe("morkov", QUICK)
    add_user(site.settings, "here@holbaek.dk", "editor", ("morkov",))
    hub = server.app_state.hub
    console: list[str] = []
    context, page = await open_preview(browser, server, DESKTOP, console)
    try:
        assert await page.locator("h1").inner_text() == "Forhåndsvisning af Mørkøv"
        frames = {shape: kiosk_frame(page, shape) for shape in ("landscape", "portrait")}
        version = hub.current("morkov").snapshot.version
        items = {item.id: item.asset for item in hub.current("morkov").snapshot.items}
        for shape, frame in frames.items():
            await frame.wait_for_function(PLAYING)
            await frame.wait_for_function(
                "() => document.querySelector('#main .layer.current')?.naturalWidth > 0"
            )
            state = await frame_state(frame)
            assert state["stage"] == shape  # laid out upright for the frame, never turned
            assert state["version"] == version and not state["offline"]
            assert state["item"] in items and state["src"] == f"/assets/{items[state['item']]}"
            box = await page.locator(f".screen-preview.{shape} iframe").bounding_box()
            assert box is not None
            ratio = box["width"] / box["height"]
            assert ratio == pytest.approx(16 / 9 if shape == "landscape" else 9 / 16, rel=0.02)
            assert box["x"] + box["width"] <= DESKTOP["width"]
            await frame.evaluate("() => { window.__kept = true; }")
        # Side by side, of the same height.
        heights = []
        for shape in frames:
            box = await page.locator(f".screen-preview.{shape} iframe").bounding_box()
            assert box is not None
            heights.append(box["height"])
        assert heights[0] == pytest.approx(heights[1], rel=0.02)

        site.drop("morkov", "00-ny.jpg", jpeg((0, 0, 200)))
        for frame in frames.values():
            await frame.wait_for_function(
                "old => document.body.dataset.version !== old", arg=version
            )
            await frame.wait_for_function(
                "() => document.body.dataset.item === 'morkov/00-ny.jpg'",
                timeout=timeout_ms(20),
            )
        new_asset = next(
            item.asset
            for item in hub.current("morkov").snapshot.items
            if item.id.endswith("00-ny.jpg")
        )
        for frame in frames.values():
            state = await frame_state(frame)
            assert state["kept"], "the frame was reloaded"
            assert state["src"] == f"/assets/{new_asset}"
        assert not console, console  # no CSP violations, nothing broken
    finally:
        await context.close()


async def test_the_preview_fits_a_phone(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    add_user(site.settings, "here@holbaek.dk", "editor", ("morkov",))
    console: list[str] = []
    context, page = await open_preview(browser, server, PHONE, console)
    try:
        for shape in ("landscape", "portrait"):
            await kiosk_frame(page, shape).wait_for_function(PLAYING)
            box = await page.locator(f".screen-preview.{shape} iframe").bounding_box()
            assert box is not None and box["width"] > 100
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert not console, console
    finally:
        await context.close()
