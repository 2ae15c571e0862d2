"""Pairing a screen that has no token yet (protocol 1.3, ``/ws/pair``).

The player asks the server for a code, shows it (with a QR code of the admin's page)
until an admin types it in under Skærme, and keeps the token it then gets in
``<cache>/token``, readable by its own user only. :func:`session` runs one pairing
connection; the daemon reconnects it with backoff and shows :class:`Pairing` on the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from . import protocol
from .files import write_atomically
from .protocol import (
    Heartbeat,
    Pair,
    PairCode,
    Paired,
    ProtocolError,
    parse_server_message,
    serialize,
)

log = logging.getLogger(__name__)

#: How long the server may take to accept the connection.
OPEN_TIMEOUT = 10.0
#: Heartbeats both ways keep a pairing connection alive (the server drops a silent one).
HEARTBEAT_SECONDS = 20.0


def pair_url(http_base: str) -> str:
    """The websocket URL of ``/ws/pair`` from the server's HTTP base URL (with any path
    prefix), as :func:`player.daemon.server_urls` makes the one of ``/ws/player``."""
    parts = urllib.parse.urlsplit(http_base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path + "/ws/pair", "", ""))


def display_code(code: str) -> str:
    """A pairing code as the screen shows it: ``K7M4QX`` → ``K7M-4QX`` (as kiosk.js does)."""
    if len(code) == 6 and code.isalnum():
        return f"{code[:3]}-{code[3:]}"
    return code


class TokenFile:
    """The screen's token on disk: ``<cache>/token``, mode 0600 from its creation."""

    def __init__(self, path: Path, temp: Path) -> None:
        self.path = path
        self.temp = temp

    def load(self) -> str | None:
        try:
            token = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("ignoring the token file %s: %s", self.path, exc)
            return None
        return token or None

    def save(self, token: str) -> None:
        # mkstemp (in write_atomically) creates the file with mode 0600, whatever the
        # umask: the token is never readable by others, not even for a moment.
        write_atomically(self.path, token.encode("utf-8"), self.temp, prefix="token-")

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class Pairing:
    """What the pairing view shows: the server, and the code once the server gave one."""

    server: str
    code: str | None = None
    expires_at: float | None = None
    url: str | None = None
    qr: str | None = None
    #: Whether the pairing connection is open now.
    connected: bool = False
    #: Why the server cannot be reached, while it cannot.
    error: str | None = None

    def got(self, message: PairCode) -> None:
        self.code, self.expires_at = message.code, message.expires_at
        self.url, self.qr = message.url, message.qr or None

    def lost(self, error: str | None) -> None:
        """The connection ended: its code is no longer valid."""
        self.code = self.expires_at = self.url = self.qr = None
        self.connected = False
        self.error = error

    def state(self) -> dict[str, Any]:
        """For ``/state.json``."""
        return {
            "code": self.code,
            "expires_at": self.expires_at,
            "server": self.server,
            "url": self.url,
            "connected": self.connected,
            "error": self.error,
        }

    def page_message(self) -> dict[str, Any]:
        """For the kiosk page's websocket."""
        return {"type": "pairing", "active": True, "qr": self.qr, **self.state()}


#: Tells the page the pairing view is done with.
PAIRING_DONE: dict[str, Any] = {"type": "pairing", "active": False, "code": None}


async def session(
    url: str,
    software: str,
    pairing: Pairing,
    changed: Callable[[], None],
    received: Callable[[], None] = lambda: None,
) -> Paired:
    """One connection to ``/ws/pair``: show each code it gets until an admin enters one.

    Returns the :class:`Paired` with the token. Raises ``ConnectionClosed``, ``OSError``,
    ``TimeoutError``, ``InvalidHandshake`` or :class:`ProtocolError` when the connection
    fails, ends or brings a bad frame (which ends it, as on ``/ws/player``).
    ``received`` is called for each good frame (to reset the backoff).
    """
    async with connect(
        url,
        open_timeout=OPEN_TIMEOUT,
        max_size=protocol.MAX_MESSAGE_BYTES,
        user_agent_header=software,
    ) as socket:
        await socket.send(serialize(Pair(software=software)))
        pairing.connected = True
        pairing.error = None
        changed()
        beating = asyncio.create_task(_heartbeats(socket))
        try:
            async for frame in socket:
                try:
                    message = parse_server_message(frame)
                    if not isinstance(message, PairCode | Paired | Heartbeat):
                        raise ProtocolError(f"expected pair_code or paired, got {message.type!r}")
                except ProtocolError as exc:
                    await socket.close(protocol.CLOSE_PROTOCOL_ERROR, str(exc)[:120])
                    raise
                received()
                if isinstance(message, Paired):
                    return message
                if isinstance(message, PairCode):
                    pairing.got(message)
                    log.info("pairing code %s (until %.0f)", message.code, message.expires_at)
                    changed()
        finally:
            beating.cancel()
            await asyncio.wait([beating])
    raise ConnectionError("the server closed the pairing connection")


async def _heartbeats(socket: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await socket.send(serialize(Heartbeat(time.time())))
