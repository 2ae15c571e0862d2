"""A real player daemon against a real server on loopback, with real files."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from player import daemon, local
from player.cache import Cache
from player.daemon import Player, PlayerSettings, server_urls
from player.protocol import Area, Asset, Item, Snapshot

from .support import RunningServer, Site, eventually, jpeg


@pytest.fixture(autouse=True)
def quick_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.5)
    monkeypatch.setattr(daemon, "BACKOFF_FATAL", 0.5)


class RunningPlayer:
    def __init__(self, settings: PlayerSettings) -> None:
        self.settings = settings
        self.player: Player | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Player:
        self.player = Player(self.settings)
        self.task = asyncio.create_task(self.player.run())
        ready = asyncio.create_task(self.player.ready.wait())
        await asyncio.wait([ready, self.task], return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            self.task.result()
        self.settings = PlayerSettings(
            self.settings.server,
            self.settings.token,
            self.settings.cache_dir,
            self.player.local_port,
        )
        return self.player

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{self.settings.port}/state.json")
            result: dict[str, Any] = response.json()
            return result


@pytest.fixture
async def player(site: Site, server: RunningServer, tmp_path: Path) -> AsyncIterator[RunningPlayer]:
    settings = PlayerSettings(server.url, site.screen(), tmp_path / "player-cache", 0)
    running = RunningPlayer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def playing(player: RunningPlayer, version: str | None = None) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        state = await player.state()
        if state["version"] and (version is None or state["version"] == version):
            return state
        return None

    result: dict[str, Any] = await eventually(check, 15)  # type: ignore[arg-type]
    return result


async def test_player_syncs_and_reports_state(player: RunningPlayer, server: RunningServer) -> None:
    state = await playing(player)
    published = server.app_state.hub.current("morkov").snapshot
    assert state["version"] == published.version
    assert state["connected"] is True
    assert state["item"]["id"] == "morkov/01-plakat.jpg"
    assert state["area"]["name"] == "Mørkøv"
    port = player.settings.port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        page = await client.get("/")
        assert page.status_code == 200 and "kiosk.js" in page.text
        assert page.headers["content-security-policy"] == local.PAGE_CSP
        assert "frame-src 'self'" in local.PAGE_CSP
        assert (await client.get("/kiosk.js")).status_code == 200
        sha = published.assets[0].sha256
        asset = await client.get(f"/assets/{sha}")
        assert hashlib.sha256(asset.content).hexdigest() == sha
        assert asset.headers["content-type"] == "image/jpeg"
        assert (await client.get("/assets/" + "f" * 64)).status_code == 404
        assert (await client.get("/../etc/passwd")).status_code == 404
    # The server knows what this screen shows.
    await eventually(
        lambda: (
            server.app_state.db.execute("SELECT item FROM screens").fetchone()[0]
            == "morkov/01-plakat.jpg"
        )
    )


async def test_page_websocket_gets_snapshot_and_show(player: RunningPlayer) -> None:
    await playing(player)
    async with connect(f"ws://127.0.0.1:{player.settings.port}/ws") as page:
        # The first of each kind (a snapshot composed again just now may follow the first).
        kinds: dict[str, Any] = {}
        async with asyncio.timeout(5):
            while not {"connection", "snapshot", "show"} <= kinds.keys():
                message = json.loads(await page.recv())
                kinds.setdefault(message["type"], message)
    assert kinds["connection"]["connected"] is True
    assert kinds["snapshot"]["snapshot"]["area"]["id"] == "morkov"
    assert kinds["show"]["item"] == "morkov/01-plakat.jpg"


async def test_keeps_playing_without_the_server_and_reconnects(
    player: RunningPlayer, server: RunningServer
) -> None:
    version = (await playing(player))["version"]
    await server.stop()
    state = await eventually(_when(player, lambda s: not s["connected"]), 10)
    assert state["version"] == version and state["item"] is not None
    await server.start()
    await eventually(_when(player, lambda s: s["connected"]), 15)


async def test_plays_the_saved_snapshot_at_start_with_no_server(
    player: RunningPlayer, server: RunningServer
) -> None:
    version = (await playing(player))["version"]
    await player.stop()
    await server.stop()
    await player.start()
    state = await player.state()
    assert state["version"] == version and state["connected"] is False
    assert state["item"]["id"] == "morkov/01-plakat.jpg"
    await server.start()  # so that the fixture can stop it


async def test_one_changed_slide_downloads_one_asset(
    site: Site, player: RunningPlayer, server: RunningServer
) -> None:
    await playing(player)
    cache = player.settings.cache_dir / "assets"
    before = {path.name for path in cache.iterdir()}
    site.drop("morkov", "02-plakat.jpg", jpeg((0, 0, 250)))
    new_version = await eventually(lambda: _new_version(server, before), 10)
    await playing(player, new_version)
    after = {path.name for path in cache.iterdir()}
    assert len(after - before) == 1


async def test_a_stop_during_the_snapshots_save_waits_for_it(
    site: Site, player: RunningPlayer, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped just after a new snapshot went on screen, the daemon finishes writing it:
    the next start plays what was on screen (a restart in the same process found the old
    file while the write went on in its thread)."""
    old = (await playing(player))["version"]
    assert player.player is not None
    cache = player.player.cache
    save = cache.save_snapshot

    def slow_save(snapshot: Any) -> None:
        time.sleep(0.5)
        save(snapshot)

    monkeypatch.setattr(cache, "save_snapshot", slow_save)
    site.drop("morkov", "04-ny.jpg", jpeg((6, 6, 6)))
    new = await eventually(_when(player, lambda s: s["version"] != old and s["version"]), 10)
    await player.stop()
    saved = json.loads((player.settings.cache_dir / "snapshot.json").read_text())
    assert saved["version"] == new["version"]


async def test_an_asset_that_fails_its_hash_is_never_played(
    site: Site, player: RunningPlayer, server: RunningServer
) -> None:
    old = (await playing(player))["version"]
    await player.stop()
    site.drop("morkov", "03-ny.jpg", jpeg((5, 5, 5)))
    snapshot = await eventually(
        lambda: (s := server.app_state.hub.current("morkov").snapshot).version != old and s, 10
    )
    fresh = next(i.asset for i in snapshot.items if i.id == "morkov/03-ny.jpg")
    # The server's copy rots before the player asks for it.
    blob = server.app_state.content.blobs.path(fresh)
    good = blob.read_bytes()
    blob.write_bytes(good[:-10] + b"0123456789")
    await player.start()
    state = await eventually(_when(player, lambda s: s["pending_version"] == snapshot.version), 10)
    assert state["version"] == old and state["missing_assets"] == 1
    cache = player.settings.cache_dir
    assert not (cache / "assets" / fresh).exists()
    assert list((cache / "tmp").iterdir()) == []
    blob.write_bytes(good)  # mended: the retry succeeds
    await playing(player, snapshot.version)


async def test_an_unknown_token_is_reported(server: RunningServer, tmp_path: Path) -> None:
    running = RunningPlayer(PlayerSettings(server.url, "scr_wrong", tmp_path / "c", 0))
    await running.start()
    try:
        state = await eventually(_when(running, lambda s: s["last_error"]), 10)
        assert "4001" in state["last_error"] and state["version"] is None
    finally:
        await running.stop()


async def test_a_full_disk_on_save_does_not_stop_the_screen(
    site: Site, player: RunningPlayer, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = (await playing(player))["version"]
    assert player.player is not None

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(player.player.cache, "save_snapshot", disk_full)
    site.drop("morkov", "09-ny.jpg", jpeg((90, 0, 90)))
    version = await eventually(
        lambda: (v := server.app_state.hub.current("morkov").snapshot.version) != old and v, 10
    )
    state = await playing(player, version)
    assert state["connected"] and state["item"] is not None


async def test_a_damaged_cached_file_is_fetched_again_at_start(
    player: RunningPlayer, server: RunningServer
) -> None:
    state = await playing(player)
    await player.stop()
    damaged = player.settings.cache_dir / "assets" / state["item"]["asset"]
    damaged.write_bytes(b"bit rot")
    await player.start()
    await eventually(
        lambda: (
            damaged.is_file() and hashlib.sha256(damaged.read_bytes()).hexdigest() == damaged.name
        ),
        10,
    )


async def test_a_page_asset_is_served_sandboxed(tmp_path: Path) -> None:
    picture = jpeg((0, 160, 80))
    html = b'<!doctype html><h1>Nyhed</h1><img src="/assets/%s">' % (
        hashlib.sha256(picture).hexdigest().encode()
    )
    page_sha, picture_sha = (hashlib.sha256(data).hexdigest() for data in (html, picture))
    cache = Cache(tmp_path / "cache")
    cache.open()
    for sha, data in ((page_sha, html), (picture_sha, picture)):
        cache.store(sha, [data])
    snapshot = Snapshot(
        Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"),
        (Item("morkov/nyhed", "page", page_sha, 10.0),),
        (
            Asset(page_sha, len(html), "text/html; charset=utf-8"),
            Asset(picture_sha, len(picture), "image/jpeg"),
        ),
    ).with_version()
    cache.save_snapshot(snapshot)
    # No server: it plays what its cache holds.
    running = RunningPlayer(PlayerSettings(None, None, tmp_path / "cache", 0))
    await running.start()
    try:
        state = await playing(running, snapshot.version)
        assert state["item"]["kind"] == "page"
        base = f"http://127.0.0.1:{running.settings.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            page = await client.get(f"/assets/{page_sha}")
            picture_response = await client.get(f"/assets/{picture_sha}")
            kiosk = await client.get("/")
    finally:
        await running.stop()
    assert page.content == html
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "public, max-age=31536000, immutable"
    policy = [part.strip() for part in page.headers["content-security-policy"].split(";")]
    assert policy[0] == "sandbox"  # no allow-* tokens: no scripts, forms, popups, navigation
    assert "default-src 'none'" in policy and "img-src 'self' data:" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert not any("script" in part for part in policy)
    # A picture gets the same policy (harmless to an <img>); the kiosk page its own.
    assert picture_response.headers["content-security-policy"] == local.ASSET_CSP
    assert picture_response.headers["content-type"] == "image/jpeg"
    assert kiosk.headers["content-security-policy"] == local.PAGE_CSP


def test_the_docs_give_the_policies_as_served() -> None:
    text = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert local.PAGE_CSP in text and local.ASSET_CSP in text


def test_server_urls() -> None:
    assert server_urls("http://skaerm.dk:8000") == (
        "ws://skaerm.dk:8000/ws/player",
        "http://skaerm.dk:8000",
    )
    assert server_urls("https://skaerm.dk/signage/") == (
        "wss://skaerm.dk/signage/ws/player",
        "https://skaerm.dk/signage",
    )
    assert server_urls("skaerm.dk:8000")[0] == "ws://skaerm.dk:8000/ws/player"
    assert server_urls("ws://h:1/ws/player") == ("ws://h:1/ws/player", "http://h:1")
    with pytest.raises(ValueError):
        server_urls("ftp://x")


def _new_version(server: RunningServer, before_assets: set[str]) -> str | None:
    snapshot = server.app_state.hub.current("morkov").snapshot
    return snapshot.version if snapshot.asset_hashes() - before_assets else None


def _when(player: RunningPlayer, test: Any) -> Any:
    async def check() -> dict[str, Any] | None:
        state = await player.state()
        return state if test(state) else None

    return check
