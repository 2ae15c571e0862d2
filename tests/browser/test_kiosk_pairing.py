"""A screen without a token: the real kiosk page in Chromium shows the pairing code and
its QR code from a stand-in server's ``pair_code``, with no console errors and nothing
the page's Content-Security-Policy refuses; and leaves the view once paired."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page

from player import daemon
from player.protocol import PairCode, Paired, serialize
from signage_server.pair_socket import qr_svg

from ..player_fakes import fake_server, running_player
from .kiosk_harness import VIEWPORT, timeout_ms

pytestmark = pytest.mark.browser

#: A QR code as the server draws it (it once drew markup for inline use, which an <img>
#: cannot show).
QR = qr_svg("http://127.0.0.1:8000/screens?code=K7M4QX")
#: Records what the page's policy refused, before any of the page's scripts run.
VIOLATIONS_JS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(autouse=True)
def quick_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.3)


async def open_page(browser: Browser, url: str, console: list[str]) -> Page:
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_ms(15))
    page = await context.new_page()
    await page.add_init_script(VIOLATIONS_JS)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    await page.goto(url)
    return page


async def test_the_kiosk_shows_the_pairing_code_and_qr(browser: Browser, tmp_path: Path) -> None:
    console: list[str] = []
    async with fake_server() as server, running_player(server.url, tmp_path / "cache") as player:
        pairing = await server.next_pair_socket()
        page = await open_page(browser, player.base + "/", console)
        view = page.locator("#pairing")
        await view.wait_for(state="visible")
        await pairing.send(serialize(PairCode("K7M4QX", time.time() + 600, "http://x/s", QR)))
        await page.locator("#pairing-code", has_text="K7M-4QX").wait_for()
        how = await page.locator("#pairing-how").inner_text()
        assert how == f"Gå til Skærme på {server.url} og skriv koden"
        assert "Koden gælder til kl." in await page.locator("#pairing-expiry").inner_text()
        assert await page.locator("#pairing-wait").is_hidden()
        qr = page.locator("#pairing-qr")
        await qr.wait_for(state="visible")
        await page.wait_for_function(
            "() => document.getElementById('pairing-qr').complete"
            " && document.getElementById('pairing-qr').naturalWidth > 0"
        )
        src = await qr.get_attribute("src")
        assert src is not None and src.startswith("data:image/svg+xml;base64,")
        assert await page.locator("#pairing svg").count() == 0  # a picture, never markup
        await page.screenshot(path=tmp_path / "pairing.png")
        print(f"pairing view: {tmp_path / 'pairing.png'}")
        # A new code replaces the old one.
        await pairing.send(serialize(PairCode("ABC123", time.time() + 600, "http://x/s", QR)))
        await page.locator("#pairing-code", has_text="ABC-123").wait_for()
        # Paired: the view goes.
        await pairing.send(serialize(Paired("scr_new", "morkov", "Hallen")))
        await server.next_hello()
        await view.wait_for(state="hidden")
        assert await page.evaluate("window.__violations") == []
        await page.context.close()  # before the daemon stops: its page would reconnect
    assert console == []


async def test_waiting_for_the_server_in_english(browser: Browser, tmp_path: Path) -> None:
    console: list[str] = []
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
    async with running_player(url, tmp_path / "cache") as player:
        page = await open_page(browser, player.base + "/?lang=en", console)
        wait = page.locator("#pairing-wait")
        await wait.wait_for(state="visible")
        assert await wait.inner_text() == f"Waiting for the server … ({url})"
        assert await page.locator("#pairing-title").inner_text() == "Pair this screen"
        assert await page.locator("#pairing-qr").is_hidden()
        assert await page.evaluate("window.__violations") == []
        await page.context.close()
    assert console == []
