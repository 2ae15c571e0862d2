"""A small stand-in server speaking protocol 1.3 on loopback (/ws/pair and /ws/player), and
the real player daemon in-process: for the tests of pairing, health, screenshots and
systemd notifications, where the test decides each frame the server sends."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from player.daemon import Player, PlayerSettings
from player.protocol import (
    Hello,
    Pair,
    PlayerMessage,
    ProtocolError,
    parse_player_message,
)

from .support import eventually, timeout


class FakeServer:
    """Records what players send; the test sends what the server should say."""

    def __init__(self) -> None:
        self.pair_sockets: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.pairs: list[Pair] = []
        self.hellos: asyncio.Queue[tuple[Hello, ServerConnection]] = asyncio.Queue()
        #: Every frame after the hello on /ws/player, parsed.
        self.frames: asyncio.Queue[PlayerMessage] = asyncio.Queue()
        #: Tokens answered with close code 4001.
        self.refuse: set[str] = set()
        #: Served at /assets/{sha256}.
        self.assets: dict[str, bytes] = {}
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._http)

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if not request.path.startswith("/assets/"):
            return None
        body = self.assets.get(request.path.removeprefix("/assets/"))
        status, reason = (200, "OK") if body is not None else (404, "Not Found")
        body = body if body is not None else b"not found"
        headers = Headers([("Content-Length", str(len(body))), ("Connection", "close")])
        return Response(status, reason, headers, body)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        path = socket.request.path
        try:
            message = parse_player_message(await socket.recv())
            if path == "/ws/pair" and isinstance(message, Pair):
                self.pairs.append(message)
                await self.pair_sockets.put(socket)
                await socket.wait_closed()
            elif path == "/ws/player" and isinstance(message, Hello):
                await self.hellos.put((message, socket))
                if message.token in self.refuse:
                    await socket.close(4001, "unknown or revoked token")
                    return
                async for frame in socket:
                    with contextlib.suppress(ProtocolError):
                        await self.frames.put(parse_player_message(frame))
            else:
                await socket.close(4000, "unexpected")
        except ConnectionClosed:
            pass

    async def next_pair_socket(self) -> ServerConnection:
        return await asyncio.wait_for(self.pair_sockets.get(), timeout(10))

    async def next_hello(self) -> tuple[Hello, ServerConnection]:
        return await asyncio.wait_for(self.hellos.get(), timeout(10))

    async def next_frame(self, kind: type[Any]) -> Any:
        """The next frame of this message class from a player (others are skipped)."""
        async with asyncio.timeout(timeout(10)):
            while True:
                frame = await self.frames.get()
                if isinstance(frame, kind):
                    return frame


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[FakeServer]:
    server = FakeServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class RunningPlayer:
    """The real daemon as a task, its kiosk page on a free port."""

    def __init__(self, settings: PlayerSettings) -> None:
        self.settings = settings
        self.player = Player(settings)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Player:
        self.task = asyncio.create_task(self.player.run())
        ready = asyncio.create_task(self.player.ready.wait())
        await asyncio.wait([ready, self.task], return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            self.task.result()
        self.settings = dataclasses.replace(self.settings, port=self.player.local_port)
        return self.player

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.base}/state.json")
            result: dict[str, Any] = response.json()
            return result

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[ClientConnection]:
        """The page's websocket, as kiosk.js opens it."""
        async with connect(f"ws://127.0.0.1:{self.settings.port}/ws") as socket:
            yield socket


@contextlib.asynccontextmanager
async def running_player(
    server: str | None, cache_dir: Path, token: str | None = None, **settings: Any
) -> AsyncIterator[RunningPlayer]:
    running = RunningPlayer(PlayerSettings(server, token, cache_dir, 0, **settings))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def page_message(page: ClientConnection, kind: str, test: Any = None) -> dict[str, Any]:
    """The next message of ``kind`` on the page's socket for which ``test`` holds."""
    async with asyncio.timeout(timeout(10)):
        while True:
            message: dict[str, Any] = json.loads(await page.recv())
            if message.get("type") == kind and (test is None or test(message)):
                return message


async def wait_state(
    player: RunningPlayer, test: Callable[[dict[str, Any]], Any], seconds: float = 10.0
) -> dict[str, Any]:
    """The player's /state.json once ``test`` holds for it (within ``seconds``, scaled)."""

    async def check() -> dict[str, Any] | None:
        state = await player.state()
        return state if test(state) else None

    result: dict[str, Any] = await eventually(check, seconds)  # type: ignore[arg-type]
    return result
