"""The screenshots of docs/redaktoer.md, taken from the real pages: ``make screenshots``.

A throwaway site in a temporary folder (Mørkøv's recipe and demo posters), the real server
on a loopback port, an editor and an admin, one citizen's submission, a real player that
pairs; then Debian's Chromium (headless, through Playwright) at a phone's size takes each
page. The PNGs go to
docs/billeder/. Run it again when a page changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from player import core as player_core
from player.daemon import Player, PlayerSettings
from signage_server import demo, store, users
from signage_server.app import create_app
from signage_server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "billeder"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1000}
PASSWORD = "skærmbilleder-kodeord"
EDITOR = "redaktor@morkov.dk"
ADMIN = "it@holbaek.dk"
TV = {"width": 1280, "height": 720}
MORKOV = 'name = "Mørkøv"\nsources = ["morkov", "all"]\ndefault_duration = 8\n'


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn has no event for it)
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def site(root: Path) -> Settings:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        data_dir=root / "data",
        playlists=root / "playlists",
        assets=root / "assets",
    )
    settings.playlists.mkdir(parents=True)
    (settings.playlists / "morkov.toml").write_text(MORKOV, encoding="utf-8")
    demo.seed_posters(settings.assets)
    for path in settings.assets.glob("*/*"):
        if path.parent.name not in ("morkov", "all"):
            path.unlink()
    db = store.connect(settings.database)
    try:
        users.add(db, EDITOR, PASSWORD, "editor", ("morkov",))
        users.add(db, ADMIN, PASSWORD, "admin")
    finally:
        db.close()
    return settings


def poster_photo() -> bytes:
    poster = demo.Poster(
        "julemarked.jpg",
        "Julemarked",
        ("Lørdag 5. december", "kl. 10–15 i forsamlingshuset"),
        (150, 30, 40),
    )
    image = demo.draw_poster(poster)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


async def citizen_submits(url: str, photo: Path) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        form = await http.get("/areas/morkov/submit")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = await http.post(
            "/areas/morkov/submit",
            data={
                "csrf_token": token,
                "title": "Loppemarked i hallen",
                "text": "Søndag kl. 10-14. Kaffe og kage til fordel for ungdomsholdet.",
                "contact": "formand@morkov-if.dk",
            },
            files={"poster": (photo.name, photo.read_bytes(), "image/jpeg")},
        )
        if answer.status_code != 303:
            raise SystemExit(f"the submission failed: {answer.status_code}\n{answer.text}")


async def shoot(page: Page, name: str, full: bool = True) -> None:
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print(f"docs/billeder/{name}.png")


async def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as temp:
        settings = site(Path(temp))
        photo = Path(temp) / "julemarked.jpg"
        photo.write_bytes(poster_photo())
        async with running(settings) as url, async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--lang=da-DK"]
            )
            context = await browser.new_context(viewport=PHONE, locale="da-DK")  # type: ignore[arg-type]
            page = await context.new_page()
            await page.goto(url + "/login")
            await page.fill("#email", EDITOR)
            await shoot(page, "login", full=False)
            await page.fill("#password", PASSWORD)
            await page.get_by_role("button", name="Log ind").click()
            await page.wait_for_url(url + "/")
            await shoot(page, "forside", full=False)

            await page.get_by_role("link", name="Ny plakat").first.click()
            await page.set_input_files("#file", str(photo))
            await page.fill("#until", time.strftime("%Y-12-06"))
            await shoot(page, "ny-plakat")
            await page.get_by_role("button", name="Sæt på skærmen").click()
            await page.wait_for_url("**/slides?done=added*")
            await shoot(page, "opslag")

            await page.get_by_role("link", name="Ny tekstplakat").click()
            # On a wider screen the preview stands beside the form.
            await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
            await page.fill("#title", "Fællesspisning fredag")
            await page.fill("#text", "Fredag kl. 18 i forsamlingshuset. Tilmelding senest onsdag.")
            await page.fill("#link", "https://morkov.dk/spisning")
            await (
                page.frame_locator("#text-preview")
                .locator("h1", has_text="Fællesspisning")
                .wait_for()
            )
            await page.wait_for_timeout(500)
            await shoot(page, "tekstplakat", full=False)
            await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
            await page.get_by_role("button", name="Gem og vis").click()
            await page.wait_for_url("**/slides?done=added*")

            await page.goto(url + "/areas/morkov/preview")
            await page.wait_for_timeout(1500)  # the frames' first slide fades in
            await shoot(page, "forhaandsvisning", full=False)

            citizen = await browser.new_context(viewport=PHONE, locale="da-DK")  # type: ignore[arg-type]
            public = await citizen.new_page()
            await public.goto(url + "/areas/morkov/submit")
            await shoot(public, "indsend")
            await citizen.close()
            await citizen_submits(url, photo)
            await page.goto(url + "/areas/morkov/queue")
            await shoot(page, "indsendte")
            await pair_a_screen(browser, url, Path(temp) / "player")
            await browser.close()
    return 0


async def pair_a_screen(browser: Browser, url: str, cache: Path) -> None:
    """The TV's pairing view, and the admin's Skærme page once the screen is paired."""
    player_core.HEARTBEAT_SECONDS = 1.0  # its health on the page without a 20 s wait
    player = Player(PlayerSettings(url, None, cache, 0))
    running_player = asyncio.create_task(player.run())
    try:
        await player.ready.wait()
        while player.pairing is None or player.pairing.code is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        code = player.pairing.code
        tv = await browser.new_context(viewport=TV, locale="da-DK")  # type: ignore[arg-type]
        screen = await tv.new_page()
        await screen.goto(f"http://127.0.0.1:{player.local_port}/")
        await screen.locator("#pairing-qr").wait_for(state="visible")
        await shoot(screen, "parring", full=False)
        admin = await browser.new_context(viewport=PHONE, locale="da-DK")  # type: ignore[arg-type]
        page = await admin.new_page()
        await page.goto(url + "/login")
        await page.fill("#email", ADMIN)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Log ind").click()
        await page.wait_for_url(url + "/")
        await page.goto(f"{url}/screens?code={code}")
        await page.select_option("#area", "morkov")
        await page.fill("#name", "Forsamlingshuset")
        await page.get_by_role("button", name="Tilknyt skærmen").click()
        await page.wait_for_url(url + "/screens?paired=*")
        for _ in range(100):  # until its first status and health are written (batched)
            await page.goto(url + "/screens")
            text = await page.inner_text("main")
            if "Viser nu: –" not in text and "Ingen melding" not in text:
                break
            await asyncio.sleep(0.2)
        await shoot(page, "skaerme")
        await tv.close()
        await admin.close()
    finally:
        running_player.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running_player


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
