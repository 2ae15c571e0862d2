"""Proof of play end to end on loopback: the real player daemon (with a clock the test moves)
and a stand-in kiosk page on its local websocket, against the real server. What the screen
shows while the server is down, even across a restart of the player, reaches the server
once it is back, and is stored once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from player import daemon
from player import plays as player_plays
from player.daemon import Player, PlayerSettings
from signage_server import plays as server_plays

from .support import RunningServer, Site, eventually, timeout


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.5)
    monkeypatch.setattr(player_plays, "CONNECT_SPREAD_SECONDS", 0.0)


class Clock:
    """The player's clock; only the test moves it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


class KioskPage:
    """A stand-in for the kiosk page: connected to the daemon's /ws, it notes each ``show``."""

    def __init__(self, port: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws"
        self.shows: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._socket = await connect(self.url)
        self._reader = asyncio.create_task(self._read(self._socket))

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in socket:
                message = json.loads(frame)
                if message["type"] == "show":
                    self.shows.put_nowait(message)

    async def next_show(self) -> dict[str, object]:
        return await asyncio.wait_for(self.shows.get(), timeout(10))

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await self._reader


class Screen:
    """A player daemon in this event loop, with the test's clock."""

    def __init__(self, settings: PlayerSettings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self.player: Player | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Player:
        self.player = Player(self.settings, clock=self.clock)
        self.task = asyncio.create_task(self.player.run())
        await asyncio.wait_for(self.player.ready.wait(), timeout(10))
        return self.player

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def rotate(clock: Clock, page: KioskPage, times: int) -> None:
    """Let ``times`` items of 5 s run: move the clock, and wait until the page is told the
    next item (so the daemon's tick saw each step)."""
    for _ in range(times):
        clock.now += 5.0
        await page.next_show()


def stored(server: RunningServer) -> list[tuple[str, float, float]]:
    rows = server.app_state.db.execute(
        "SELECT item, started_at, seconds FROM plays ORDER BY started_at"
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


async def test_plays_made_while_the_server_is_down_arrive_when_it_is_back(
    site: Site, server: RunningServer, tmp_path: Path
) -> None:
    clock = Clock()
    settings = PlayerSettings(server.url, site.screen(), tmp_path / "cache", 0)
    screen = Screen(settings, clock)
    player = await screen.start()
    page = KioskPage(player.local_port)
    try:
        await eventually(lambda: player.core.connected and player.core.active is not None)
        await page.open()
        await page.next_show()  # what is on screen, told at once

        # On-line: plays go to the server in batches, a minute apart by the player's clock.
        await rotate(clock, page, 3)
        await eventually(lambda: len(stored(server)) == 1)  # the first goes at once
        assert player.plays.unsent == 2
        await rotate(clock, page, 10)  # a minute after the first batch: the next one
        await eventually(lambda: player.plays.unsent == 0)
        online = stored(server)
        assert len(online) == 13
        assert [start - online[0][1] for _, start, _ in online] == [5.0 * n for n in range(13)]
        assert {seconds for _, _, seconds in online} == {5.0}
        assert {item for item, _, _ in online} == {"morkov/01-plakat.jpg", "morkov/02-plakat.jpg"}

        # The server goes away; the screen plays on and keeps what it shows.
        await server.stop()
        await eventually(lambda: not player.core.connected)
        await rotate(clock, page, 4)
        await eventually(lambda: player.plays.unsent == 4)
        assert player.state()["plays"] == {"unsent": 4, "cap": player_plays.MAX_PLAYS, "dropped": 0}
    finally:
        await page.close()
        await screen.stop()  # the play on screen ends now and goes to disk with the others

    # The player restarts with no server: the plays are read back from its disk.
    assert (settings.cache_dir / "plays.jsonl").is_file()
    clock.now += 2.0
    player = await screen.start()
    try:
        waiting = player.plays.waiting()
        assert len(waiting) == 4  # the page left as the fifth came on: not a play
        assert waiting[0].started_at == online[-1][1] + 5.0
        # Back on-line: everything arrives, once, and the player lets go of it.
        await server.start()
        await eventually(lambda: player.core.connected, 15)
        await eventually(lambda: player.plays.unsent == 0, 15)
        everything = stored(server)
        assert everything == online + [(p.item, p.started_at, p.seconds) for p in waiting]
        assert player.play_file.load() == []
    finally:
        await screen.stop()


async def test_a_batch_whose_acknowledgement_was_lost_is_sent_again_and_stored_once(
    site: Site, server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news: list[int] = []
    real_store = server_plays.store

    def store_then_break(*args: Any) -> int:
        count = real_store(*args)
        news.append(count)
        if len(news) == 1:  # stored, but the connection breaks before the acknowledgement
            raise OSError("connection reset")
        return count

    monkeypatch.setattr(server_plays, "store", store_then_break)
    clock = Clock()
    screen = Screen(PlayerSettings(server.url, site.screen(), tmp_path / "cache", 0), clock)
    player = await screen.start()
    page = KioskPage(player.local_port)
    try:
        await eventually(lambda: player.core.connected and player.core.active is not None)
        await page.open()
        await page.next_show()
        await rotate(clock, page, 1)
        await eventually(lambda: player.plays.unsent == 0)
        assert news == [1, 0]  # the second time it was there already
        assert len(stored(server)) == 1
    finally:
        await page.close()
        await screen.stop()
