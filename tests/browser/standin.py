"""A stand-in for the central server, for kiosk tests of what the real server does not
make yet (page items, the ticker): the player protocol on ``/ws/player``, spoken through
player/protocol.py, and the files at ``/assets/<sha256>``, on one loopback port, as the
player expects from its ``--server`` URL. A test publishes snapshots whenever it likes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from player.protocol import (
    CLOSE_PROTOCOL_ERROR,
    MAX_MESSAGE_BYTES,
    Area,
    Asset,
    Current,
    Heartbeat,
    Hello,
    Item,
    ProtocolError,
    Snapshot,
    SnapshotMessage,
    Status,
    Window,
    parse_player_message,
    serialize,
)

from .kiosk_harness import AREA, AREA_NAME, SLIDE_SECONDS, TIMEZONE

PAGE_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class File:
    """An asset: its bytes and media type, named by its sha256."""

    data: bytes
    type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def url(self) -> str:
        """Where the page finds it: at the daemon, on the kiosk's own origin."""
        return f"/assets/{self.sha256}"

    @property
    def asset(self) -> Asset:
        return Asset(self.sha256, len(self.data), self.type)


def picture(colour: tuple[int, int, int], size: tuple[int, int] = (1280, 720)) -> File:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return File(out.getvalue(), "image/jpeg")


def page(html: str) -> File:
    return File(html.encode(), PAGE_TYPE)


@dataclass(frozen=True)
class Slide:
    id: str
    file: File
    duration: float = SLIDE_SECONDS
    windows: tuple[Window, ...] = ()
    title: str = ""

    @property
    def item(self) -> Item:
        kind = "page" if self.file.type == PAGE_TYPE else "image"
        return Item(self.id, kind, self.file.sha256, self.duration, self.windows, self.title)


def headline(text: str, windows: Sequence[Window] = ()) -> dict[str, Any]:
    """A ticker entry, as the snapshot's ``zones["ticker"]["entries"]`` holds it."""
    return {"text": text, "windows": [list(window) for window in windows]}


@dataclass
class StandIn:
    snapshot: Snapshot | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    #: Every HTTP path asked for, in order (the websocket upgrades left out).
    requests: list[str] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    _players: set[ServerConnection] = field(default_factory=set)
    _server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> None:
        self._server = await serve(
            self._player,
            "127.0.0.1",
            0,
            process_request=self._http,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._server = None

    async def publish(
        self,
        slides: Sequence[Slide],
        *,
        pictures: Iterable[File] = (),
        ticker: Sequence[dict[str, Any]] | None = None,
        layout: str = "landscape",
    ) -> Snapshot:
        """Make this the area's snapshot and push it to the players connected now.

        ``pictures``: files that pages use but that are no items of their own.
        """
        files = {file.sha256: file for file in [*(slide.file for slide in slides), *pictures]}
        zones: dict[str, Any] = {"header": {"title": AREA_NAME, "clock": True}, "main": {}}
        if ticker is not None:
            zones["ticker"] = {"entries": list(ticker)}
        snapshot = Snapshot(
            Area(AREA, AREA_NAME, TIMEZONE, layout),
            tuple(slide.item for slide in slides),
            tuple(file.asset for file in files.values()),
            zones,
        ).with_version()
        self.files.update((sha, file.data) for sha, file in files.items())
        self.snapshot = snapshot
        frame = serialize(SnapshotMessage(snapshot))
        for player in list(self._players):
            with contextlib.suppress(ConnectionClosed):
                await player.send(frame)
        return snapshot

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/ws/player":
            return None
        self.requests.append(request.path)
        sha = request.path.removeprefix("/assets/")
        data = self.files.get(sha) if request.path.startswith("/assets/") else None
        if data is None:
            return _response(404, b"not found\n", "text/plain")
        kind = next(
            (a.type for a in (self.snapshot.assets if self.snapshot else ()) if a.sha256 == sha),
            "application/octet-stream",
        )
        return _response(200, data, kind)

    async def _player(self, socket: ServerConnection) -> None:
        try:
            hello = parse_player_message(await socket.recv())
            if not isinstance(hello, Hello):
                await socket.close(CLOSE_PROTOCOL_ERROR, "expected a hello")
                return
            self._players.add(socket)
            snapshot = self.snapshot
            if snapshot is not None:
                answer = (
                    Current(snapshot.version)
                    if hello.version == snapshot.version
                    else SnapshotMessage(snapshot)
                )
                await socket.send(serialize(answer))
            async for frame in socket:
                message = parse_player_message(frame)
                if isinstance(message, Heartbeat):
                    await socket.send(serialize(Heartbeat(time.time())))
                elif isinstance(message, Status):
                    self.statuses.append(message)
        except ProtocolError as exc:
            await socket.close(CLOSE_PROTOCOL_ERROR, str(exc)[:120])
        except ConnectionClosed:
            pass
        finally:
            self._players.discard(socket)


def _response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ]
    )
    return Response(status, {200: "OK", 404: "Not Found"}[status], headers, body)
