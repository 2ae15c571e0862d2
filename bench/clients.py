"""Many simulated screens in one asyncio process, each a real ``websockets`` client.

Every screen notes when each snapshot version reaches it. The same code reads
from our server and from the bare floor server, so both pay the same client-side
cost (one ``json.loads`` of the frame after the time is taken).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from player.core import STATUS_SPREAD_SECONDS
from player.protocol import MAX_MESSAGE_BYTES, Ack, Heartbeat, Hello, Status, serialize

OPEN_TIMEOUT = 60.0
#: The server takes a screen silent for 75 s for dead; real players beat every 20 s.
HEARTBEAT_SECONDS = 20.0


@dataclass
class Receipt:
    at: float
    length: int
    #: The floor server stamps its broadcast time into the frame; None for ours.
    sent_at: float | None


@dataclass
class Tally:
    """Who got which version, and when; wakes a waiter when all ``expected`` have one."""

    expected: int
    receipts: dict[str, list[Receipt]] = field(default_factory=dict)
    _complete: dict[str, asyncio.Event] = field(default_factory=dict)
    _fresh: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, version: str, receipt: Receipt) -> None:
        if version not in self.receipts:
            self._fresh.set()
        got = self.receipts.setdefault(version, [])
        got.append(receipt)
        if len(got) >= self.expected:
            self._event(version).set()

    async def next_version(self, known: set[str], within: float) -> str | None:
        """The first version outside ``known`` to reach any screen; None after ``within`` s."""
        deadline = time.monotonic() + within
        while True:
            fresh = [version for version in self.receipts if version not in known]
            if fresh:
                return fresh[0]
            self._fresh.clear()
            try:
                await asyncio.wait_for(self._fresh.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return None

    async def wait_for(self, version: str, within: float) -> bool:
        """True once every screen has ``version``; False after ``within`` seconds."""
        try:
            await asyncio.wait_for(self._event(version).wait(), within)
        except TimeoutError:
            return False
        return True

    def _event(self, version: str) -> asyncio.Event:
        return self._complete.setdefault(version, asyncio.Event())


class Screen:
    def __init__(
        self,
        url: str,
        token: str | None,
        tally: Tally,
        keep_snapshots: bool = False,
        deflate: bool = False,
        ack: bool = False,
        announcements: Tally | None = None,
        reply: bool = False,
    ) -> None:
        self.url = url
        #: Answer each snapshot frame with an ack-sized frame at once (the floor's clients,
        #: to do what ours do when they acknowledge announcements).
        self.reply = reply
        #: Where announcement sets are noted (as "seq-N"), each answered with an ack at
        #: once, as a real player does; None: not noted.
        self.announcements = announcements
        self.token = token
        self.tally = tally
        self.keep_snapshots = keep_snapshots
        self.deflate = deflate
        #: Answer each new snapshot with a status frame, as a real player does.
        self.ack = ack
        self.first: tuple[str, int] | None = None
        self.versions: list[str] = []
        #: The snapshots received, as dicts, when ``keep_snapshots`` is set.
        self.snapshots: list[dict[str, Any]] = []
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect, say hello (when we have a token) and wait for the first snapshot."""
        self._socket = await connect(
            self.url,
            compression="deflate" if self.deflate else None,
            ping_interval=None,  # liveness is the protocol's heartbeat
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=OPEN_TIMEOUT,
            close_timeout=2,
        )
        if self.token is not None:
            await self._socket.send(serialize(Hello(token=self.token, version=None)))
        while self.first is None:
            frame = await asyncio.wait_for(self._socket.recv(), OPEN_TIMEOUT)
            version = self._read(frame, time.time())
            if version is not None:
                self.first = (version, len(_utf8(frame)))
        self._reader = asyncio.create_task(self._read_all(self._socket))

    async def _read_all(self, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                version = self._read(frame, time.time())
                if version is not None and self.ack:
                    # As the player does (player.core.STATUS_SPREAD_SECONDS): report the
                    # new version at a random moment within the spread, not at once.
                    delay = random.random() * STATUS_SPREAD_SECONDS
                    asyncio.get_running_loop().call_later(delay, self._ack, socket, version)
        except ConnectionClosed:
            pass  # a screen that misses a version shows up as a missing receipt

    def _ack(self, socket: ClientConnection, version: str) -> None:
        frame = serialize(Status(version, None, time.time()))
        task = asyncio.get_running_loop().create_task(socket.send(frame))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    def _read(self, frame: str | bytes, at: float) -> str | None:
        body = json.loads(frame)
        if body.get("type") == "announcements" and self.announcements is not None:
            seq = body["seq"]
            self.announcements.note(f"seq-{seq}", Receipt(at, len(_utf8(frame)), None))
            if self._socket is not None:
                self._send_soon(serialize(Ack(seq)))
            return None
        if body.get("type") != "snapshot":
            return None  # heartbeat, "current", or announcements nobody counts
        snapshot = body["snapshot"]
        version: str = snapshot["version"]
        self.versions.append(version)
        if self.keep_snapshots:
            self.snapshots.append(snapshot)
        self.tally.note(version, Receipt(at, len(_utf8(frame)), snapshot.get("sent_at")))
        if self.reply and self._socket is not None:
            self._send_soon(serialize(Ack(0)))
        return version

    def _send_soon(self, frame: str) -> None:
        assert self._socket is not None
        task = asyncio.get_running_loop().create_task(self._socket.send(frame))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def beat(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._socket.send(serialize(Heartbeat(time.time())))

    async def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


async def open_all(
    url: str,
    tokens: Iterable[str | None],
    tally: Tally,
    concurrency: int,
    deflate: bool = False,
    ack: bool = False,
    announcements: Tally | None = None,
    reply: bool = False,
) -> list[Screen]:
    """Connect a screen per token, ``concurrency`` handshakes at a time."""
    gate = asyncio.Semaphore(concurrency)
    screens = [
        Screen(
            url,
            token,
            tally,
            deflate=deflate,
            ack=ack,
            announcements=announcements,
            reply=reply,
        )
        for token in tokens
    ]

    async def one(screen: Screen) -> None:
        async with gate:
            await screen.open()

    results = await asyncio.gather(*(one(screen) for screen in screens), return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        await close_all(screens)
        raise RuntimeError(
            f"{len(failures)} of {len(screens)} screens could not connect; first: {failures[0]!r}"
        )
    return screens


async def heartbeats(screens: list[Screen]) -> None:
    """Keep every screen alive the way a player does; run as a task and cancel it."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        await asyncio.gather(*(screen.beat() for screen in screens))


async def close_all(screens: list[Screen], concurrency: int = 200) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(screen: Screen) -> None:
        async with gate:
            await screen.close()

    await asyncio.gather(*(one(screen) for screen in screens), return_exceptions=True)


def _utf8(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame
