"""An urgent announcement sent from the web UI covers the kiosk page of a real player
within a second, is reported as shown on the announcement's page, and goes away everywhere
when it is cancelled; an info one runs as a banner over the slides."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import httpx
import pytest

from signage_server import store, users

from ..logins import PASSWORD, csrf_of, log_in
from .kiosk_harness import Kiosk, Server, Site

pytestmark = pytest.mark.browser

EMAIL = "kommunikation@holbaek.dk"


def add_admin(site: Site) -> None:
    db = store.connect(site.data / "signage.db")
    try:
        users.add(db, EMAIL, PASSWORD, "admin", ())
    finally:
        db.close()


async def test_urgent_takes_over_then_cancel_gives_the_screen_back(
    kiosk: Kiosk, kiosk_site: Site, server_process: Server
) -> None:
    add_admin(kiosk_site)
    page = kiosk.page
    async with httpx.AsyncClient(base_url=server_process.url) as client:
        assert (await log_in(client, EMAIL)).status_code == 303
        token = csrf_of((await client.get("/announcements")).text)
        ends = dt.datetime.now(ZoneInfo("Europe/Copenhagen")) + dt.timedelta(hours=1)
        started = time.monotonic()
        answer = await client.post(
            "/announcements",
            data={
                "csrf_token": token,
                "title": "Vandet er lukket i Mørkøv",
                "text": "I dag kl. 10–14. <script>alert(1)</script>",
                "severity": "urgent",
                "areas": ["morkov"],
                "ends": ends.strftime("%Y-%m-%dT%H:%M"),
            },
            files={"picture": ("", b"")},
        )
        assert answer.status_code == 303, answer.text
        overlay = page.locator(".urgent")
        await overlay.wait_for(state="visible")
        print(f"urgent on the kiosk page {time.monotonic() - started:.2f} s after the POST")
        assert await page.locator(".urgent-title").inner_text() == "Vandet er lukket i Mørkøv"
        assert "<script>" in await page.locator(".urgent-text").inner_text()  # text, not HTML
        box = await overlay.bounding_box()
        assert box is not None and box["width"] >= 1200 and box["height"] >= 700
        status_url = answer.headers["location"].split("?")[0]

        async def shown() -> bool:
            return "vist" in (await client.get(status_url)).text

        deadline = time.monotonic() + 10
        while not await shown():
            assert time.monotonic() < deadline, "never reported as shown"
            await page.wait_for_timeout(100)

        token = csrf_of((await client.get(status_url)).text)
        cancelled = await client.post(f"{status_url}/cancel", data={"csrf_token": token})
        assert cancelled.status_code == 303
        await overlay.wait_for(state="detached")

        # An info announcement: a banner over the slides, which go on playing.
        token = csrf_of((await client.get("/announcements")).text)
        answer = await client.post(
            "/announcements",
            data={"csrf_token": token, "title": "Husk valget tirsdag", "areas": ["all"]},
            files={"picture": ("", b"")},
        )
        assert answer.status_code == 303, answer.text
        banner = page.locator(".banner")
        await banner.wait_for(state="visible")
        assert await banner.inner_text() == "Husk valget tirsdag"
        assert await page.locator(".urgent").count() == 0
    assert not [line for line in kiosk.console if "error" in line.lower()], kiosk.console
