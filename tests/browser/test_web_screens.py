"""The admin's Skærme page and a screen's page in Debian's Chromium on a phone: the pairing
form, a screen's health with its warnings, and its last screenshot in words, all within the
phone's width, also with a long name and long texts from a player."""

from __future__ import annotations

import json
import time

import pytest
from playwright.async_api import Browser, Page

from player.protocol import Health
from signage_server import screens, store

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Forsamlingshuset" * 6  # 96 characters without a space
SICK = Health(
    uptime=3 * 86400 + 4 * 3600,
    disk_free=150_000_000,
    disk_total=15_000_000_000,
    cache_bytes=48_000_000,
    memory=31_000_000,
    temperature=82.5,
    throttled="0x50005",
    clock_trusted=False,
    display="on",
)


async def fits(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a phone"


async def test_the_screens_pages_on_a_phone(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    site.screen("morkov", LONG_NAME)
    db = store.connect(site.settings.database)
    try:
        db.execute(
            "UPDATE screens SET health = ?, health_at = ?",
            (json.dumps(SICK.to_dict()), time.time()),
        )
        screens.record_screenshot(
            db,
            1,
            at=time.time(),
            what="Opslag «" + "Julemarked" * 40 + "» (morkov/01-plakat.jpg)",
            sha256=None,
            media_type=None,
            error="no Wayland display (WAYLAND_DISPLAY is not set)",
        )
    finally:
        db.close()
    add_user(site.settings, "it@holbaek.dk", "admin")
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("console", lambda message: errors.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        await page.goto(server.url + "/screens?code=k7m4qx")
        await page.fill("#email", "it@holbaek.dk")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.goto(server.url + "/screens?code=k7m4qx")
        assert await page.locator("#code").input_value() == "k7m4qx"
        text = await page.inner_text("main")
        assert "Strømforsyningen er for svag (underspænding)." in text
        assert "Uret er ikke synkroniseret." in text
        await fits(page)
        # The form's fields are drawn as the other forms' (they are as tall as the select).
        code_box = await page.locator("#code").bounding_box()
        area_box = await page.locator("#area").bounding_box()
        assert code_box is not None and area_box is not None
        assert code_box["height"] >= area_box["height"] - 4

        await page.get_by_role("link", name=LONG_NAME).first.click()
        await page.wait_for_url(server.url + "/screens/1")
        text = await page.inner_text("main")
        assert "Julemarked" in text and "WAYLAND_DISPLAY" in text
        await fits(page)
        assert not errors, errors
    finally:
        await context.close()
