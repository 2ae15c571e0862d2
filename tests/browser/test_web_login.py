"""The web UI's login in Debian's Chromium, with the keyboard only, on a phone-sized screen:
log in, change the password, log out, log in with the new one."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

NEW_PASSWORD = "et helt nyt kodeord"
PHONE = {"width": 390, "height": 844}


async def tab_to(page: Page, selector: str, presses: int = 15) -> None:
    """Press Tab until ``selector`` has the focus, and check that the focus shows."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            outline = await page.evaluate(
                "() => getComputedStyle(document.activeElement).outlineStyle"
            )
            assert outline != "none", f"no visible focus on {selector}"
            return
    pytest.fail(f"{selector} not reached with Tab")


async def test_log_in_and_change_the_password_with_the_keyboard(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    add_user(site.settings)
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("console", lambda message: errors.append(message.text))
        await page.goto(server.url + "/")
        assert page.url == server.url + "/login?next=%2F"
        assert await page.get_attribute("html", "lang") == "da"
        # The page fits a phone: nothing wider than the screen.
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        await tab_to(page, "#email")
        await page.keyboard.type("admin@holbaek.dk")
        await tab_to(page, "#password")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url(server.url + "/")
        assert await page.locator("h1").inner_text() == "Oversigt"

        await tab_to(page, 'a[href="/account/password"]')
        await page.keyboard.press("Enter")
        await page.wait_for_url(server.url + "/account/password")
        await tab_to(page, "#current")
        await page.keyboard.type(PASSWORD)
        await tab_to(page, "#new")
        await page.keyboard.type(NEW_PASSWORD)
        await tab_to(page, "#repeat")
        await page.keyboard.type(NEW_PASSWORD)
        await page.keyboard.press("Enter")
        notice = page.locator("[role=status]")
        await notice.wait_for()
        assert "Din adgangskode er skiftet." in await notice.inner_text()

        await tab_to(page, "button.link")  # Log ud
        await page.keyboard.press("Enter")
        await page.wait_for_url(server.url + "/login")
        await tab_to(page, "#email")
        await page.keyboard.type("admin@holbaek.dk")
        await tab_to(page, "#password")
        await page.keyboard.type(NEW_PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_url(server.url + "/")
        assert not errors, errors  # no CSP violations, nothing broken
    finally:
        await context.close()
