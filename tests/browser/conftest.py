"""Fixtures for the kiosk page end to end; the parts are in kiosk_harness.py.

Each test gets its own site, server, player and browser, so that it may stop
processes and edit recipes freely. When a test fails, the report shows the
server's and the player's logs and the page's console. Tests of what the real
server does not make yet (pages, the ticker) run the player against a stand-in
(standin.py) and open the kiosk with ``open_kiosk`` once they published a snapshot.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Dialog, ViewportSize, async_playwright

from ..support import free_port
from .kiosk_harness import (
    CHROMIUM_ARGS,
    LOAD_WATCH_JS,
    RECORDER_JS,
    SLIDE_COLOURS,
    VIEWPORT,
    Kiosk,
    Player,
    Server,
    Site,
    chromium_or_skip,
    recipe_text,
    solid_jpeg,
    timeout_ms,
)
from .standin import StandIn


@pytest.fixture
def kiosk_site(tmp_path: Path) -> Site:
    root = tmp_path / "site"
    site = Site(root)
    for folder in (site.playlists, site.folder, site.assets / "all", site.data):
        folder.mkdir(parents=True)
    site.write_recipe(recipe_text())
    for name, colour in SLIDE_COLOURS.items():
        solid_jpeg(site.folder / name, colour)
    site.token = site.add_screen("Forsamlingshuset")
    return site


Sections = list[tuple[str, Callable[[], str]]]
SECTIONS = pytest.StashKey[Sections]()


def add_report_section(request: pytest.FixtureRequest, title: str, text: Callable[[], str]) -> None:
    """Show ``text()`` under ``title`` in the report when the test fails."""
    request.node.stash.setdefault(SECTIONS, []).append((title, text))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for title, text in item.stash.get(SECTIONS, []):
            with contextlib.suppress(Exception):
                report.sections.append((title, text()))
    return report


@pytest.fixture
async def server_process(kiosk_site: Site, request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    port = free_port()
    service = Server(
        name="server",
        argv=[sys.executable, "-m", "signage_server.cli", "serve",
              "--host", "127.0.0.1", "--port", str(port), *kiosk_site.server_flags()],
        log_path=kiosk_site.root / "server.log",
        cwd=kiosk_site.root,
        port=port,
    )  # fmt: skip
    add_report_section(request, "server log", service.log_tail)
    service.start()
    try:
        await service.wait_ready()
        yield service
    finally:
        service.stop()


def player_service(
    server_url: str, token: str, root: Path, request: pytest.FixtureRequest
) -> Player:
    port = free_port()
    service = Player(
        name="player",
        argv=[sys.executable, "-m", "signage_server.cli", "player",
              "--server", server_url, "--token", token,
              "--cache-dir", str(root / "cache"), "--port", str(port)],
        log_path=root / "player.log",
        cwd=root,
        port=port,
    )  # fmt: skip
    add_report_section(request, "player log", service.log_tail)
    return service


@pytest.fixture
async def player_process(
    kiosk_site: Site, server_process: Server, request: pytest.FixtureRequest
) -> AsyncIterator[Player]:
    service = player_service(server_process.url, kiosk_site.token, kiosk_site.root, request)
    service.start()
    try:
        await service.wait_ready()
        await service.wait_state("connected to the server", lambda state: state["connected"])
        yield service
    finally:
        service.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(executable),
            args=CHROMIUM_ARGS,
            headless=True,
            timeout=timeout_ms(30),
        )
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def kiosk_page(
    browser: Browser,
    player: Player,
    shots: Path,
    request: pytest.FixtureRequest,
    viewport: ViewportSize = VIEWPORT,
) -> AsyncIterator[Kiosk]:
    """The kiosk page of ``player`` in a fresh browser context, playing, with the recorder."""
    context = await browser.new_context(viewport=viewport)
    context.set_default_timeout(timeout_ms(15))
    try:
        page = await context.new_page()
        await page.add_init_script(LOAD_WATCH_JS)
        kiosk = Kiosk(page, player, shots)
        add_report_section(request, "browser console", lambda: "\n".join(kiosk.console))

        def on_console(message: ConsoleMessage) -> None:
            kiosk.console.append(f"{message.type}: {message.text}")

        def on_error(error: Exception) -> None:
            kiosk.console.append(f"page error: {error}")

        async def on_dialog(dialog: Dialog) -> None:
            kiosk.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", on_error)
        page.on("dialog", on_dialog)
        await page.goto(player.url + "/")
        await page.evaluate(RECORDER_JS)
        await page.wait_for_function("() => document.body.dataset.item !== undefined")
        yield kiosk
    finally:
        await context.close()


@pytest.fixture
async def kiosk(
    browser: Browser, player_process: Player, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Kiosk]:
    async with kiosk_page(browser, player_process, tmp_path, request) as opened:
        yield opened


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    server = StandIn()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


OpenKiosk = Callable[..., Awaitable[Kiosk]]


@pytest.fixture
async def open_kiosk(
    browser: Browser, stand_in: StandIn, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[OpenKiosk]:
    """``await open_kiosk(viewport=...)``: the real player daemon against the stand-in,
    playing what was published, and its kiosk page in Chromium."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_(viewport: ViewportSize = VIEWPORT) -> Kiosk:
            assert stand_in.snapshot is not None, "publish a snapshot first"
            service = player_service(stand_in.url, "scr_stand_in", tmp_path, request)
            service.start()
            stack.callback(service.stop)
            await service.wait_ready()
            await service.wait_state("connected to the server", lambda state: state["connected"])
            return await stack.enter_async_context(
                kiosk_page(browser, service, tmp_path, request, viewport)
            )

        yield open_
