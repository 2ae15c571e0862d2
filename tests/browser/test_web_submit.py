"""A citizen's notice in Debian's Chromium, end to end: the football club fills in the
public form of Mørkøv on a phone, without an account, with a picture; the editor logs in,
opens the queue, sees the poster and approves it; the slide is on Mørkøv's screens."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, ConsoleMessage, FilePayload, Page

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site, eventually, jpeg
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SUBMIT = "/areas/morkov/submit"
QUEUE = "/areas/morkov/queue"


def watch(page: Page, problems: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))


async def test_a_citizen_sends_a_poster_and_the_editor_puts_it_on_the_screen(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    add_user(site.settings, "here@holbaek.dk", "editor", ("morkov",))
    last_day = dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date() + dt.timedelta(days=10)
    problems: list[str] = []

    phone = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    phone.set_default_timeout(timeout_ms(15))
    try:
        page = await phone.new_page()
        watch(page, problems)
        await page.goto(server.url + SUBMIT)
        assert await page.locator("h1").inner_text() == "Send et opslag til skærmen i Mørkøv"
        assert await page.get_attribute("html", "lang") == "da"
        # It fits a phone, and the honeypot is out of sight (but not display: none).
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        trap = await page.locator("#website").bounding_box()
        assert trap is not None and trap["x"] + trap["width"] <= 0
        assert await page.get_attribute("#website", "tabindex") == "-1"
        await page.get_by_label("Overskrift", exact=True).fill("Fodbold: U10 mod Jyderup")
        await page.get_by_label("Tekst", exact=True).fill("Lørdag kl. 10 på stadion. Kom og hep!")
        picture = FilePayload(
            name="kampprogram.jpg", mimeType="image/jpeg", buffer=jpeg((250, 200, 0), (900, 1200))
        )
        await page.set_input_files("#poster", files=[picture])
        await page.fill("#until", last_day.isoformat())
        await page.get_by_label("Din e-mailadresse").fill("formand@mif.dk")
        await page.get_by_role("button", name="Send opslaget").click()
        await page.wait_for_url(server.url + SUBMIT + "/thanks")
        assert "Redaktøren i Mørkøv ser på dit opslag" in await page.locator("main").inner_text()
    finally:
        await phone.close()

    ids_before = [item.id for item in server.app_state.hub.current("morkov").snapshot.items]
    assert not any("Fodbold" in item for item in ids_before)

    desktop = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    desktop.set_default_timeout(timeout_ms(15))
    try:
        page = await desktop.new_page()
        watch(page, problems)
        await page.goto(server.url + "/areas/morkov/slides")
        await page.fill("#email", "here@holbaek.dk")
        await page.fill("#password", PASSWORD)
        await page.press("#password", "Enter")
        await page.wait_for_url(server.url + "/areas/morkov/slides")
        await page.get_by_role("link", name=re.compile("Indsendte opslag")).click()
        await page.wait_for_url(server.url + QUEUE)
        item = page.locator(".queue-item", has_text="Fodbold: U10 mod Jyderup")
        assert "formand@mif.dk" in await item.inner_text()
        poster = item.locator(".queue-posters img")
        await poster.wait_for()
        await page.wait_for_function(
            "() => document.querySelector('.queue-posters img')?.naturalWidth > 0"
        )
        assert await page.locator(".share svg").count() == 1  # the form's QR code
        await item.get_by_role("button", name="Godkend Fodbold: U10 mod Jyderup").click()
        await page.wait_for_url(re.compile(re.escape(server.url + QUEUE) + r"\?done=approved"))
        assert "Godkendt: Fodbold" in await page.locator("main").inner_text()
    finally:
        await desktop.close()

    def on_screens() -> bool:
        items = server.app_state.hub.current("morkov").snapshot.items
        return any(item.id == "morkov/Fodbold U10 mod Jyderup.jpg" for item in items)

    await eventually(on_screens)
    assert problems == []
