"""The admins' users page in Debian's Chromium, on a phone-sized screen: the admin adds an
editor for Mørkøv, reads the password shown once, and the editor logs in with it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page

from ..logins import PASSWORD, add_user, log_in
from ..support import RunningServer, Site
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def fits(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a phone"


async def test_the_admin_adds_an_editor_on_a_phone(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\nsources = ["jyderup"]\n')
    add_user(site.settings, "it-afdelingen.med.et.langt.navn@holbaek.dk", "admin")
    add_user(site.settings, "mette.hansen@morkov-forsamlingshus.dk", "editor", ("morkov",))
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("console", lambda message: errors.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        await page.goto(server.url + "/")
        await page.fill("#email", "it-afdelingen.med.et.langt.navn@holbaek.dk")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(server.url + "/")

        await page.get_by_role("link", name="Brugere").click()
        await page.wait_for_url(server.url + "/users")
        assert await page.locator("h1").inner_text() == "Brugere"
        await fits(page)
        await page.fill("#email", "ole@morkov.dk")
        await page.get_by_label("Redaktør").check()
        await page.get_by_label("Mørkøv").check()
        await page.get_by_role("button", name="Tilføj bruger").click()
        await page.wait_for_url(server.url + "/users")
        assert await page.locator("h1").inner_text() == "Brugeren er tilføjet"
        password = (await page.locator("#new-password").inner_text()).strip()
        assert re.fullmatch(r"[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){3}", password), password
        await fits(page)
        # The password fits on the phone, whole, on one line.
        box = await page.locator("#new-password").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] < 80

        await page.get_by_role("link", name="Tilbage til brugerne").click()
        await page.wait_for_url(server.url + "/users")
        row = page.locator("tr", has_text="ole@morkov.dk")
        assert "Redaktør" in await row.inner_text() and "Mørkøv" in await row.inner_text()
        assert password not in await page.content()
        await fits(page)
        await row.get_by_role("link").click()
        await page.wait_for_url(re.compile(r".*/users/\d+/edit$"))
        await fits(page)
        assert await page.get_by_label("Mørkøv").is_checked()
        assert not await page.get_by_label("Jyderup").is_checked()
        assert not errors, errors  # no CSP violations, nothing broken
    finally:
        await context.close()

    # The editor logs in with the password read off the page.
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await log_in(http, "ole@morkov.dk", password)).status_code == 303
        assert (await http.get("/areas/morkov/slides")).status_code == 200
        assert (await http.get("/areas/jyderup/slides")).status_code == 403
