"""The websocket endpoint ``/ws/player``: hello, authenticate, then snapshots out and status in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from typing import TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect

from player import protocol
from player.protocol import (
    Ack,
    Current,
    Heartbeat,
    Hello,
    Pair,
    PlayerMessage,
    Plays,
    PlaysAck,
    ProtocolError,
    Screenshot,
    Shown,
    Status,
    parse_player_message,
    serialize,
)

from . import plays, screens
from .hub import Hub, Subscriber
from .metrics import Histogram, Metrics
from .screens import Screen

#: What may open a connection: a hello on /ws/player, a pair on /ws/pair.
First = TypeVar("First", Hello, Pair)

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0
HEARTBEAT_SECONDS = 20.0
#: A screen silent this long is taken for dead (it sends a heartbeat every 20 s).
SILENCE_SECONDS = 75.0


class Closing(Exception):
    """Close this connection with a code and a reason the player can log."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason must fit in a control frame

    @staticmethod
    async def close(websocket: WebSocket, group: BaseExceptionGroup[Closing], what: str) -> None:
        """Close ``websocket`` as the first Closing of ``group`` says (``except* Closing``),
        and log it as the closing of a ``what`` connection."""
        closing = group.exceptions[0]
        assert isinstance(closing, Closing)
        log.info("closing a %s connection: %s", what, closing.reason)
        with contextlib.suppress(Exception):
            await websocket.close(closing.code, closing.reason)


class Connections:
    """The open connections of each screen, so that revoking a screen closes them at once
    (the check at each heartbeat would take up to 20 s).

    :meth:`close_screen` marks the screen's subscribers and wakes their senders, which
    close the connection with ``CLOSE_UNAUTHORIZED``; the player then waits as after any
    refusal, and its token is refused when it tries again.
    """

    def __init__(self) -> None:
        self._open: dict[int, set[Subscriber]] = {}
        self._closing: set[Subscriber] = set()
        #: Each connection's short frames waiting for its sender (see player_socket).
        self._outboxes: dict[Subscriber, list[str]] = {}
        #: The connections whose player answers ``take_screenshot`` (protocol 1.3).
        self._screenshots: set[Subscriber] = set()

    def opened(
        self, subscriber: Subscriber, outbox: list[str] | None = None, screenshots: bool = False
    ) -> None:
        self._open.setdefault(subscriber.screen_id, set()).add(subscriber)
        if outbox is not None:
            self._outboxes[subscriber] = outbox
        if screenshots:
            self._screenshots.add(subscriber)

    def closed(self, subscriber: Subscriber) -> None:
        self._closing.discard(subscriber)
        self._outboxes.pop(subscriber, None)
        self._screenshots.discard(subscriber)
        subscribers = self._open.get(subscriber.screen_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._open[subscriber.screen_id]

    def close_screen(self, screen_id: int) -> int:
        """Close every connection of this screen; returns how many there were."""
        subscribers = self._open.get(screen_id, set())
        for subscriber in subscribers:
            self._closing.add(subscriber)
            subscriber.wake.set()
        return len(subscribers)

    def must_close(self, subscriber: Subscriber) -> bool:
        return subscriber in self._closing

    def can_screenshot(self, screen_id: int) -> bool:
        """Whether the screen is connected now with a player that takes screenshots."""
        return any(sub in self._screenshots for sub in self._open.get(screen_id, ()))

    def send_screenshot_request(self, screen_id: int, frame: str) -> bool:
        """Queue ``frame`` for each of the screen's connections that takes screenshots and
        wake their senders; False when there is none."""
        sent = False
        for subscriber in self._open.get(screen_id, ()):
            outbox = self._outboxes.get(subscriber)
            if subscriber in self._screenshots and outbox is not None:
                outbox.append(frame)
                subscriber.wake.set()
                sent = True
        return sent


async def player_socket(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    db: sqlite3.Connection = websocket.app.state.db
    open_connections: Connections = websocket.app.state.player_connections
    await websocket.accept()
    subscriber: Subscriber | None = None
    try:
        hello = await receive_first(websocket, Hello)
        screen = screens.authenticate(db, hello.token)
        if screen is None:
            raise Closing(protocol.CLOSE_UNAUTHORIZED, "unknown or revoked token")
        screens.record_seen(
            db, screen.id, connected=True, version=hello.version, software=hello.software
        )
        subscriber = hub.subscribe(
            screen.id,
            screen.area,
            hello.version,
            announcements=protocol.has_announcements(hello.protocol),
        )
        # Short answers of the receive loop, sent by the send loop. The first tells a player
        # that knows the message that this server takes plays (protocol 1.2).
        outbox = [serialize(PlaysAck(0))] if protocol.has_announcements(hello.protocol) else []
        if protocol.has_screenshots(hello.protocol):
            # The server's clock at once (1.3): a player whose clock is not synchronised
            # trusts it, and applies its schedules and opening hours, without waiting 20 s.
            outbox.append(serialize(Heartbeat(time.time())))
        if outbox:
            subscriber.wake.set()
        open_connections.opened(
            subscriber, outbox, screenshots=protocol.has_screenshots(hello.protocol)
        )
        current = hub.current(screen.area)
        if current is not None and current.snapshot.version == hello.version:
            await websocket.send_text(serialize(Current(hello.version)))
        log.info("screen %d (%s) connected, has %s", screen.id, screen.area, hello.version)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(_send_loop(websocket, subscriber, open_connections, outbox))
            await _receive_loop(
                websocket, db, websocket.app.state.presence, screen, subscriber, outbox
            )
            raise _Done
    except* _Done:
        pass
    except* Closing as group:
        await Closing.close(websocket, group, "player")
    except* (WebSocketDisconnect, OSError, RuntimeError):
        pass  # the screen went away; it will reconnect
    finally:
        if subscriber is not None:
            hub.unsubscribe(subscriber)
            open_connections.closed(subscriber)
            # A screen that reconnected before its old connection timed out is still online.
            still = hub.screen_connected(subscriber.screen_id, subscriber.area)
            screens.record_seen(db, subscriber.screen_id, connected=still)
            log.info("screen %d disconnected", subscriber.screen_id)


class _Done(Exception):
    """The receive loop ended normally; stop the sender too."""


async def receive_first(websocket: WebSocket, kind: type[First]) -> First:
    """The connection's first frame, which must be a ``kind`` (``hello`` here, ``pair`` on
    /ws/pair) of our major protocol version, within HELLO_TIMEOUT. Raises Closing."""
    name = "hello" if kind is Hello else "pair"
    try:
        async with asyncio.timeout(HELLO_TIMEOUT):
            message = await receive(websocket)
    except TimeoutError:
        raise Closing(protocol.CLOSE_PROTOCOL_ERROR, f"expected {name} within 10 s") from None
    if not isinstance(message, kind):
        raise Closing(protocol.CLOSE_PROTOCOL_ERROR, f"expected {name}, got {message.type}")
    try:
        protocol.check_protocol_version(message.protocol)
    except ProtocolError as exc:
        raise Closing(protocol.CLOSE_UNSUPPORTED_VERSION, str(exc)) from None
    return message


async def receive(websocket: WebSocket) -> PlayerMessage:
    """The next frame as a message. Raises Closing (4000) for a bad one, and
    WebSocketDisconnect when the peer went away."""
    event = await websocket.receive()
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(event.get("code", 1000))
    text = event.get("text")
    if text is None:
        raise Closing(protocol.CLOSE_PROTOCOL_ERROR, "expected a text frame, got binary")
    try:
        return parse_player_message(text)
    except ProtocolError as exc:
        raise Closing(protocol.CLOSE_PROTOCOL_ERROR, str(exc)) from None


async def _receive_loop(
    websocket: WebSocket,
    db: sqlite3.Connection,
    presence: screens.Presence,
    screen: Screen,
    subscriber: Subscriber,
    outbox: list[str],
) -> None:
    screen_id = screen.id
    hub: Hub = websocket.app.state.hub
    metrics: Metrics = websocket.app.state.metrics
    acked: str | None = None  # the version whose acknowledgement is measured
    while True:
        try:
            async with asyncio.timeout(SILENCE_SECONDS):
                message = await receive(websocket)
        except TimeoutError:
            raise Closing(protocol.CLOSE_PROTOCOL_ERROR, "no heartbeat") from None
        if isinstance(message, Hello):
            raise Closing(protocol.CLOSE_PROTOCOL_ERROR, "expected one hello, got another")
        if isinstance(message, Pair):  # pairing is /ws/pair's, for players without a token
            raise Closing(protocol.CLOSE_PROTOCOL_ERROR, "expected a player message, got pair")
        if isinstance(message, Status):
            presence.status(screen_id, message.version, message.item, time.time())
            if message.version != acked and metrics.acknowledged(
                hub.current(screen.area), message.version, subscriber.since
            ):
                acked = message.version
            continue
        if isinstance(message, Ack):
            websocket.app.state.announcer.acknowledged(screen_id, screen.area, message.seq)
            continue
        if isinstance(message, Shown):
            websocket.app.state.announcer.showed(screen_id, message.id, message.time)
            continue
        if isinstance(message, Plays):
            # Stored once however often it comes (a batch is sent again when its
            # acknowledgement was lost), then acknowledged.
            plays.store(db, screen_id, screen.area, message.plays, time.time())
            outbox.append(serialize(PlaysAck(message.seq)))
            subscriber.wake.set()
            continue
        if isinstance(message, Screenshot):
            await websocket.app.state.screenshots.answered(db, screen_id, message)
            continue
        presence.seen(screen_id, time.time())
        if isinstance(message, Heartbeat) and message.health is not None:
            presence.health(screen_id, message.health.to_dict())
        # Revoked while connected (by `signage screens revoke`, say)? Asked at each
        # heartbeat, so within about 20 s, at one query per screen per heartbeat.
        if not screens.is_active(db, screen_id):
            raise Closing(protocol.CLOSE_UNAUTHORIZED, "token revoked")


async def _send_loop(
    websocket: WebSocket,
    subscriber: Subscriber,
    open_connections: Connections,
    outbox: list[str],
) -> None:
    hub: Hub = websocket.app.state.hub
    fanout: Histogram = websocket.app.state.metrics.fanout
    while True:
        # asyncio.timeout() stays in this task; wait_for() would start one per wake-up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HEARTBEAT_SECONDS):
                await subscriber.wake.wait()
        if open_connections.must_close(subscriber):
            raise Closing(protocol.CLOSE_UNAUTHORIZED, "token revoked")
        taken = subscriber.take()
        # Announcements first: an urgent one must not wait behind a large snapshot.
        announced = subscriber.take_announcements()
        if announced is not None:
            await websocket.send_text(announced)
        if taken is not None:
            published = hub.current(subscriber.area)
            await websocket.send_text(taken[0])
            # Only what was published while connected: a catch-up frame is not fan-out.
            if (
                published is not None
                and published.at > subscriber.since
                and published.snapshot.version == taken[1]
            ):
                fanout.observe(time.monotonic() - published.at)
        elif announced is None and not outbox:
            await websocket.send_text(serialize(Heartbeat(time.time())))
        while outbox:
            await websocket.send_text(outbox.pop(0))
