"""The websocket endpoint ``/ws/pair``: a player without a token gets a code to show, and
the token once an admin entered the code. Nothing else happens on this connection: no
hello, no snapshots (see pairing.py for the limits and why codes live in memory)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from functools import lru_cache

import segno
from starlette.websockets import WebSocket, WebSocketDisconnect

from player import protocol
from player.protocol import Heartbeat, Pair, PairCode, Paired, serialize

from . import pairing
from .pairing import Pairings, Refused, Slot
from .players import HEARTBEAT_SECONDS, SILENCE_SECONDS, Closing, receive, receive_first

log = logging.getLogger(__name__)


async def pair_socket(websocket: WebSocket) -> None:
    pairings: Pairings = websocket.app.state.pairings
    await websocket.accept()
    slot: Slot | None = None
    try:
        # Counted from the start, so that idle sockets that never ask count too.
        client = websocket.client.host if websocket.client else "unknown"
        try:
            slot = pairings.open(client)
        except Refused as exc:
            raise Closing(pairing.CLOSE_REFUSED, str(exc)) from None
        message = await receive_first(websocket, Pair)
        slot.software = message.software
        log.info("a player from %s asks to be paired (%s)", client, message.software or "?")
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(_receive_loop(websocket))
            await _send_loop(websocket, pairings, slot)
            raise _Done
    except* _Done:
        with contextlib.suppress(Exception):
            await websocket.close(1000, "paired")
    except* Closing as group:
        await Closing.close(websocket, group, "pairing")
    except* (WebSocketDisconnect, OSError, RuntimeError):
        pass  # the player went away; it asks again when it comes back
    finally:
        if slot is not None:
            pairings.close(slot)


class _Done(Exception):
    """The token went out: close normally."""


async def _receive_loop(websocket: WebSocket) -> None:
    """Only heartbeats may come; the connection is dead after 75 s of silence."""
    while True:
        try:
            async with asyncio.timeout(SILENCE_SECONDS):
                message = await receive(websocket)
        except TimeoutError:
            raise Closing(protocol.CLOSE_PROTOCOL_ERROR, "no heartbeat") from None
        if not isinstance(message, Heartbeat):
            raise Closing(protocol.CLOSE_PROTOCOL_ERROR, f"expected heartbeat, got {message.type}")


async def _send_loop(websocket: WebSocket, pairings: Pairings, slot: Slot) -> None:
    """A code now and a fresh one before each expires; heartbeats between; ``paired`` when
    an admin entered the code (then return, and the connection closes)."""
    renew_at = 0.0
    while True:
        now = pairings.clock()
        if slot.result is not None:
            result = slot.result
            try:
                await websocket.send_text(serialize(Paired(result.token, result.area, result.name)))
            except BaseException:
                slot.finished(False)
                raise
            slot.finished(True)
            return
        if now >= renew_at:
            try:
                code = pairings.issue(slot)
            except Refused as exc:
                raise Closing(pairing.CLOSE_REFUSED, str(exc)) from None
            url = _admin_url(websocket, code)
            await websocket.send_text(serialize(PairCode(code, slot.expires_at, url, qr_svg(url))))
            renew_at = slot.expires_at - min(pairing.RENEW_BEFORE, pairings.code_seconds / 2)
            continue
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(HEARTBEAT_SECONDS, max(0.0, renew_at - now))):
                await slot.wake.wait()
        if slot.wake.is_set():
            slot.wake.clear()
        elif pairings.clock() < renew_at:
            await websocket.send_text(serialize(Heartbeat(time.time())))


def _admin_url(websocket: WebSocket, code: str) -> str:
    """The Skærme page with the code filled in, on the address the player used (behind a
    path prefix too): ``wss://host/skaerm/ws/pair`` → ``https://host/skaerm/screens?code=…``."""
    url = websocket.url
    scheme = "https" if url.scheme == "wss" else "http"
    prefix = url.path.removesuffix("/").removesuffix("/ws/pair")
    return str(url.replace(scheme=scheme, path=f"{prefix}/screens", query=f"code={code}"))


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """``url`` as a QR code: a whole SVG document, with its namespace, as the kiosk page
    shows it in an ``<img>`` (markup for inline use, without the namespace, draws nothing
    there)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="svg", xmldecl=False, border=4, scale=10)
    return out.getvalue().decode()
