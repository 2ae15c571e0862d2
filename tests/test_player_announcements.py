"""The real player daemon and announcements, against a real server on loopback, with a
clock the test moves: an urgent announcement reaches the player, goes on after the server
is gone, ends on time by the player's own clock, and after a restart without a server the
saved set is shown again while it lasts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from player.daemon import Player, PlayerSettings

from .support import RunningServer, Site, eventually
from .test_announcements import admin, send
from .test_player_daemon import quick_reconnect  # noqa: F401  (the autouse fixture)


class Clock:
    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


async def started(settings: PlayerSettings, clock: Clock) -> tuple[Player, asyncio.Task[None]]:
    player = Player(settings, clock=clock)
    task = asyncio.create_task(player.run())
    await asyncio.wait(
        [asyncio.create_task(player.ready.wait()), task], return_when=asyncio.FIRST_COMPLETED
    )
    if task.done():
        task.result()
    return player, task


async def state(player: Player) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{player.local_port}/state.json")
        result: dict[str, Any] = answer.json()
        return result


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_an_urgent_one_ends_on_time_off_line_and_survives_a_restart(
    site: Site, server: RunningServer, tmp_path: Path
) -> None:
    clock = Clock()
    settings = PlayerSettings(server.url, site.screen(), tmp_path / "cache", 0)
    player, task = await started(settings, clock)
    try:
        client = await admin(site, server)
        try:
            ends = dt.datetime.now(ZoneInfo("Europe/Copenhagen")) + dt.timedelta(hours=1)
            answer = await send(
                client,
                title="Vandet er lukket",
                severity="urgent",
                ends=ends.strftime("%Y-%m-%dT%H:%M"),
            )
            assert answer.status_code == 303, answer.text
        finally:
            await client.aclose()

        async def shows_it() -> bool:
            return len((await state(player))["announcements"]) == 1

        await eventually(shows_it)  # type: ignore[arg-type]
        await server.stop()

        async def off_line() -> bool:
            return not (await state(player))["connected"]

        await eventually(off_line)  # type: ignore[arg-type]
        assert len((await state(player))["announcements"]) == 1  # goes on without the server
        clock.shift = 3700.0  # past its end

        async def gone() -> bool:
            return not (await state(player))["announcements"]

        await eventually(gone)  # type: ignore[arg-type]
    finally:
        await stopped(task)

    # A power cut: the player starts again without a server, before the end.
    clock.shift = 0.0
    player, task = await started(settings, clock)
    try:
        assert len((await state(player))["announcements"]) == 1
    finally:
        await stopped(task)
    # And after the end, the saved set shows nothing.
    clock.shift = 3700.0
    player, task = await started(settings, clock)
    try:
        assert (await state(player))["announcements"] == []
    finally:
        await stopped(task)
