"""The proof-of-play pages in Debian's Chromium: an editor finds the area's chart from the
slide list on a phone, picks a slide, and opens a screen's day; the charts draw (no script,
nothing the strict policy refuses) and fit the phone, and on a desktop the table sits beside
the chart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page

from player.protocol import Play
from signage_server import plays, screens

from ..logins import PASSWORD, add_user
from ..support import RunningServer, Site
from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CPH = ZoneInfo("Europe/Copenhagen")


def seed(site: Site, server: RunningServer) -> None:
    site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    screen = next(s for s in screens.all_screens(db) if s.name == "Forsamlingshuset")
    today = dt.datetime.now(CPH).date()
    nine = dt.datetime.combine(today, dt.time(9), CPH).timestamp()
    shown = [
        Play("morkov/01-plakat.jpg", nine + 20 * n, 10.0, "Julemarked i hallen") for n in range(90)
    ] + [
        Play("morkov/02-plakat.jpg", nine + 20 * n + 10, 10.0, "Fællesspisning") for n in range(30)
    ]
    plays.store(db, screen.id, "morkov", shown, nine + 3600)


async def log_in(page: Page, server: RunningServer) -> None:
    await page.goto(server.url + "/")
    await page.fill("#email", "editor@morkov.dk")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(server.url + "/")


async def fits(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a phone"


async def test_an_editor_reads_the_charts_on_a_phone(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    seed(site, server)
    add_user(site.settings, "editor@morkov.dk", "editor", ("morkov",))
    errors: list[str] = []
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    try:
        page = await context.new_page()
        page.on("console", lambda message: errors.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        await log_in(page, server)
        await page.goto(server.url + "/areas/morkov/slides")
        await page.get_by_role("link", name="Tid på skærmen").click()
        await page.wait_for_url(server.url + "/areas/morkov/plays")
        assert await page.locator("h1").inner_text() == "Tid på skærmen i Mørkøv"
        await fits(page)
        # Per slide: the longest bar is the whole width, the other a third of it.
        bars = page.locator("svg.bars rect[fill]")
        assert await bars.count() == 2
        boxes = [await bars.nth(n).bounding_box() for n in range(2)]
        assert boxes[0] is not None and boxes[1] is not None
        assert boxes[0]["width"] > 300
        assert abs(boxes[1]["width"] / boxes[0]["width"] - 1 / 3) < 0.02
        chart = page.get_by_role("img", name="Søjlediagram over tiden på skærmen pr. slide")
        assert await chart.count() == 1
        assert await page.get_by_role("cell", name="15 min.").count() == 1  # the table, too
        # Seven days; today's column is the only one with height.
        columns = page.locator("svg.columns rect.day")
        assert await columns.count() == 7
        heights = [
            (await columns.nth(n).bounding_box() or {"height": 0})["height"] for n in range(7)
        ]
        assert heights[-1] > 100 and heights[:-1] == [0] * 6

        # One slide: its days.
        await page.select_option("#slide", label="Fællesspisning")
        await page.get_by_role("button", name="Vis").click()
        await page.wait_for_url("**slide=morkov%2F02-plakat.jpg**")
        assert await page.get_by_role("heading", name="Pr. dag: Fællesspisning").count() == 1
        await fits(page)

        # The screen's day, from the area page.
        await page.get_by_role("link", name="Forsamlingshuset: dagens tidslinje").click()
        await page.wait_for_url("**/screens/*/day?date=**")
        assert await page.locator("svg.timeline text.hour").count() in (23, 24, 25)
        segments = page.locator("svg.timeline rect[fill]")
        assert await segments.count() == 120
        box = await segments.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["x"] > 30  # after the hour labels
        await fits(page)
        assert not errors, errors  # no CSP violations, nothing broken
    finally:
        await context.close()


async def test_on_a_desktop_the_table_is_beside_the_chart(
    site: Site, server: RunningServer, browser: Browser
) -> None:
    seed(site, server)
    add_user(site.settings, "editor@morkov.dk", "editor", ("morkov",))
    context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms(15))
    try:
        page = await context.new_page()
        await log_in(page, server)
        await page.goto(server.url + "/areas/morkov/plays")
        chart = await page.locator("svg.bars").bounding_box()
        table = await page.get_by_role("table", name="Tid på skærmen pr. slide").bounding_box()
        assert chart is not None and table is not None
        assert table["x"] > chart["x"] + chart["width"] - 1
    finally:
        await context.close()
