"""Power loss: the real player daemon, killed with SIGKILL at random moments while it
downloads, stores and activates snapshots, leaves a cache it can play from.

A fake server in this process speaks the player protocol on /ws/player and serves
/assets/{sha256} slowly (throttled chunks), so that kills land mid-download and
mid-write. After each kill the files are checked, then the daemon is started again
with no server to reach: it must play the saved snapshot, or show nothing and stay up.

SIGKILL tests atomicity (the rename puts a whole file in place or none), not
durability: the page cache survives a killed process. That every file is fsynced
before its rename, and its folder after, is checked separately by watching the calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from player.cache import Cache
from player.plays import PlayFile
from player.protocol import (
    Announcement,
    Area,
    Asset,
    Hello,
    Item,
    Play,
    Plays,
    PlaysAck,
    Snapshot,
    SnapshotMessage,
    parse_player_message,
    parse_snapshot,
    serialize,
)

from .support import eventually, free_port, timeout

ROOT = Path(__file__).resolve().parent.parent
AREA = Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape")


# --- a fake server ---------------------------------------------------------------------


@dataclass
class FakeServer:
    """/ws/player and /assets/{sha256} on loopback. Snapshot ``k`` uses ``per_snapshot``
    assets of a pool, shifted by ``shift`` each change; a connection gets the current one,
    then a new one every ``change_every`` seconds, and is closed after ``drop_every``."""

    pool: list[bytes]
    per_snapshot: int = 20
    shift: int = 3
    change_every: float = 0.4
    drop_every: int | None = None
    chunk: int = 16 * 1024
    chunk_delay: float = 0.01
    changes: int = 0
    connections: int = 0
    paused: asyncio.Event = field(default_factory=asyncio.Event)
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self.assets = {hashlib.sha256(data).hexdigest(): data for data in self.pool}
        self.hashes = list(self.assets)
        self.paused.set()  # set: changes flow; cleared: they wait

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def snapshot(self, k: int) -> Snapshot:
        shas = [
            self.hashes[(self.shift * k + i) % len(self.hashes)] for i in range(self.per_snapshot)
        ]
        items = tuple(Item(f"slide-{sha[:8]}", "image", sha, 5.0, (), f"v{k}") for sha in shas)
        assets = tuple(Asset(sha, len(self.assets[sha]), "image/jpeg") for sha in sorted(shas))
        return Snapshot(AREA, items, assets).with_version()

    async def start(self) -> None:
        app = Starlette(
            routes=[
                WebSocketRoute("/ws/player", self._player),
                Route("/assets/{sha}", self._asset),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        await eventually(lambda: self.server is not None and self.server.started, 20)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            self.paused.set()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(timeout(10)):
                    await self.task

    async def _asset(self, request: Request) -> Response:
        data = self.assets.get(request.path_params["sha"])
        if data is None:
            return Response("not found", 404)

        async def body() -> AsyncIterator[bytes]:
            for start in range(0, len(data), self.chunk):
                yield data[start : start + self.chunk]
                await asyncio.sleep(self.chunk_delay)

        headers = {"Content-Length": str(len(data))}
        return StreamingResponse(body(), media_type="application/octet-stream", headers=headers)

    async def _player(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.connections += 1
        lock = asyncio.Lock()

        async def send(text: str) -> None:
            async with lock:
                await websocket.send_text(text)

        async def read() -> None:
            while True:
                message = parse_player_message(await websocket.receive_text())
                if isinstance(message, Plays):
                    await send(serialize(PlaysAck(message.seq)))

        reader: asyncio.Task[None] | None = None
        try:
            hello = parse_player_message(await websocket.receive_text())
            assert isinstance(hello, Hello) and hello.token == "tok"
            await send(serialize(PlaysAck(0)))
            reader = asyncio.create_task(read())
            sent = 0
            while not reader.done():
                await send(serialize(SnapshotMessage(self.snapshot(self.changes))))
                sent += 1
                if self.drop_every is not None and sent >= self.drop_every:
                    break
                await asyncio.sleep(self.change_every)
                await self.paused.wait()
                self.changes += 1
            await websocket.close()
        except Exception:  # the player was killed or went away: nothing to clean
            pass
        finally:
            if reader is not None:
                reader.cancel()
                with contextlib.suppress(BaseException):
                    await reader


def pool(count: int, smallest: int, largest: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randint(smallest, largest)) for _ in range(count)]


# --- the daemon as a process -----------------------------------------------------------


@dataclass
class Daemon:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout(5)) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/state.json")
            result: dict[str, Any] = response.json()
            return result

    async def up(self) -> dict[str, Any]:
        """The first /state.json it answers (fails if the process ends first)."""

        async def answer() -> dict[str, Any] | None:
            if self.process.returncode is not None:
                raise AssertionError(f"daemon exited: {self.log.read_text()[-3000:]}")
            try:
                return await self.state()
            except httpx.HTTPError:
                return None

        result: dict[str, Any] = await eventually(answer, 20, interval=0.02)  # type: ignore[arg-type]
        return result

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        self.kill()
        await self.process.wait()


async def start_daemon(server: str, cache_dir: Path, log: Path, prelude: str = "") -> Daemon:
    """``signage player`` as a real process; ``prelude`` runs first (to shorten a delay)."""
    port = free_port()
    argv = ["player", "--server", server, "--token", "tok", "--cache-dir", str(cache_dir)]
    argv += ["--port", str(port)]
    code = f"{prelude}\nimport sys\nfrom signage_server.cli import main\nsys.exit(main({argv!r}))"
    env = {**os.environ, "SIGNAGE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, stdout=output, stderr=output, env=env, cwd=ROOT
        )
    return Daemon(process, port, log)


# --- what a kill may leave -------------------------------------------------------------


def check_cache(cache_dir: Path, sizes: dict[str, int]) -> tuple[Snapshot | None, set[str]]:
    """The files are whole: (the saved snapshot or None, the assets on disk)."""
    present: set[str] = set()
    assets = cache_dir / "assets"
    if assets.exists():
        for path in assets.iterdir():
            data = path.read_bytes()
            assert hashlib.sha256(data).hexdigest() == path.name, f"damaged asset {path.name}"
            assert len(data) == sizes[path.name], f"asset {path.name} of a wrong size"
            present.add(path.name)
    saved: Snapshot | None = None
    snapshot_file = cache_dir / "snapshot.json"
    if snapshot_file.exists():
        saved = parse_snapshot(json.loads(snapshot_file.read_bytes()))
        # Activated only once every asset was stored: the saved one is whole.
        assert saved.asset_hashes() <= present, "saved snapshot lacks assets"
    plays = cache_dir / "plays.jsonl"
    if plays.exists():
        PlayFile(plays, cache_dir / "tmp").load()  # a cut line is skipped, never fatal
    return saved, present


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer(pool(80, 2_000, 256_000, seed=7))
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


ROUNDS = 25


async def test_a_kill_at_any_moment_leaves_a_playable_cache(
    server: FakeServer, tmp_path: Path
) -> None:
    rng = random.Random(20240611)
    cache_dir = tmp_path / "cache"
    log = tmp_path / "daemon.log"
    sizes = {sha: len(data) for sha, data in server.assets.items()}
    offline = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    seen = {"saved": 0, "cut_downloads": 0, "played_offline": 0}
    for _ in range(ROUNDS):
        daemon = await start_daemon(server.url, cache_dir, log)
        try:
            # The kill lands anywhere: starting, connecting, downloading, activating.
            await asyncio.sleep(rng.uniform(0.05, 1.5))
        finally:
            await daemon.stop()
        if (cache_dir / "tmp").exists() and any((cache_dir / "tmp").iterdir()):
            seen["cut_downloads"] += 1
        saved, _ = check_cache(cache_dir, sizes)
        seen["saved"] += saved is not None

        daemon = await start_daemon(offline, cache_dir, log)
        try:
            state = await daemon.up()
            if saved is not None:
                assert state["version"] == saved.version, state
                assert state["item"] is not None, state
                seen["played_offline"] += 1
            else:
                assert state["version"] is None and state["item"] is None, state
            assert state["connected"] is False
            assert (await daemon.state())["version"] == state["version"]  # still up
            assert daemon.process.returncode is None
        finally:
            await daemon.stop()
        check_cache(cache_dir, sizes)
    print(f"\nkill test: {ROUNDS} rounds, {server.changes} snapshot changes, {seen}")
    assert seen["saved"] > 0, "no round got as far as a saved snapshot"


# --- every write is fsynced before its rename, and its folder after ---------------------


def test_every_file_is_fsynced_before_it_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(source: Any, target: Any) -> None:
        events.append(("replace", f"{os.fspath(source)} {os.fspath(target)}"))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    cache = Cache(tmp_path / "cache")
    cache.open()
    data = b"plakat" * 1000
    sha = hashlib.sha256(data).hexdigest()
    cache.store(sha, [data])
    snapshot = Snapshot(
        AREA, (Item("a", "image", sha, 5.0),), (Asset(sha, len(data), "image/jpeg"),)
    ).with_version()
    cache.save_snapshot(snapshot)
    cache.save_announcements(1, (Announcement(1, "Vand", "Lukket", "info", 0.0, 9e9),))
    PlayFile(cache.root / "plays.jsonl", cache.temp).write(True, [(1, Play("a", 0.0, 5.0))])
    replaces = [detail.split() for kind, detail in events if kind == "replace"]
    assert [Path(target).name for _, target in replaces] == [
        sha,
        "snapshot.json",
        "announcements.json",
        "plays.jsonl",
    ]
    for source, target in replaces:
        at = events.index(("replace", f"{source} {target}"))
        before = [path for kind, path in events[:at] if kind == "fsync"]
        assert source in before, f"{target} renamed into place unsynced"
        after = events[at + 1 : at + 2]
        assert after == [("fsync", str(Path(target).parent))], f"{target}'s folder not synced"
