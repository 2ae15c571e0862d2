"""The live preview of an area's screens: the real kiosk page, fed from the hub.

The preview page (``/areas/{area}/preview``) frames the kiosk page of player/kiosk/ twice,
landscape and portrait. The server serves that page, byte for byte the one a screen's
daemon serves, under ``/areas/{area}/preview/kiosk/{layout}/``, with its script and style
beside it and, where the daemon has its local websocket ``/ws``, a websocket that speaks
as the daemon does to the page: ``connection``, ``snapshot`` and ``show`` messages.

What to show when comes from the player's own core (``player.core.PlayerCore``), fed
with the hub's current snapshot of the area as if it arrived over the wire, and ticked
as the daemon ticks it; every asset counts as cached, since the server holds them all
and the page loads them from ``/assets/{sha256}`` on the same origin. So the preview
rotates the slides with their durations and windows as a screen does, and a new
snapshot in the hub reaches the page within a tick (:data:`TICK_SECONDS`), as it
reaches a screen. Each open page has its own core: two editors see their own rotation.

Portrait and landscape: each frame shows the kiosk laid out for its own shape, whatever
the area's recipe says. The snapshot the frame's socket sends has its ``area.layout``
set to the frame's layout (the version and everything else unchanged), so the kiosk
lays out its header, slides and ticker upright for that frame instead of turning the
stage a quarter round (what it does for a portrait area on a screen the OS shows as
landscape, and what a viewer of the preview could not read). The slides are the
area's own, rendered for the recipe's layout: in the other frame they show whole,
letterboxed, as they would on a screen mounted the other way. The page says which
frame matches the area's screens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import player
from player.core import Activate, Command, PlayerCore, Show
from player.protocol import LAYOUTS, Snapshot, SnapshotMessage

from ..content import Content
from ..hub import Hub
from ..permissions import Action, can
from . import auth, pages, sessions

KIOSK_DIR = Path(player.__file__).parent / "kiosk"
KIOSK_FILES = {
    "kiosk.js": "text/javascript; charset=utf-8",
    "kiosk.css": "text/css; charset=utf-8",
    "announce.js": "text/javascript; charset=utf-8",
}
#: The daemon's kiosk policy (player/daemon.py), but on the server: its socket is on this
#: origin (``'self'`` covers ws: and wss: to it), and the preview page may frame it.
KIOSK_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
KIOSK_HEADERS = {
    "Content-Security-Policy": KIOSK_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: As often as the daemon ticks its core.
TICK_SECONDS = 0.25
#: How often an open preview asks again whether its user may still see the area.
RECHECK_SECONDS = 30.0
#: Closing a preview socket whose user may not (or no longer) see the area.
CLOSE_POLICY = 1008


class PreviewScreen:
    """One open preview's screen: a player core, fed the hub's snapshots, laid out for
    one frame. Pure: :meth:`step` takes the current snapshot and the time, and returns
    the messages for the kiosk page."""

    def __init__(self, layout: str) -> None:
        self.layout = layout
        self.core = PlayerCore(token="")
        self.version: str | None = None

    def step(self, current: Snapshot | None, now: float) -> list[dict[str, Any]]:
        commands: list[Command] = []
        if current is not None and current.version != self.version:
            self.version = current.version
            snapshot = laid_out(current, self.layout)
            self.core.cached |= snapshot.asset_hashes()
            commands += self.core.received(SnapshotMessage(snapshot), now)
        commands += self.core.tick(now)
        return [message for command in commands if (message := page_message(command, now))]


def laid_out(snapshot: Snapshot, layout: str) -> Snapshot:
    """``snapshot`` for a screen of ``layout`` (see the module's docstring)."""
    if snapshot.area.layout == layout:
        return snapshot
    return dataclasses.replace(snapshot, area=dataclasses.replace(snapshot.area, layout=layout))


def page_message(command: Command, now: float) -> dict[str, Any] | None:
    """What the daemon (player/daemon.py) tells the page for ``command``, if anything."""
    if isinstance(command, Activate):
        return {"type": "snapshot", "snapshot": command.snapshot.to_dict()}
    if isinstance(command, Show):
        return {
            "type": "show",
            "item": command.item.id if command.item else None,
            "next": command.next.id if command.next else None,
            "since": command.since,
            "now": now,
        }
    return None  # what a player sends the server, fetches or evicts: nothing here


# --- the preview page ------------------------------------------------------------


async def preview_page(request: Request) -> Response:
    area = request.path_params["area"]
    auth.require(request, Action.VIEW_AREA, area)
    content: Content = request.app.state.content
    recipe = content.recipes.get(area)
    if recipe is None:
        return pages.not_found(request)
    hub: Hub = request.app.state.hub
    published = hub.current(area)
    return pages.render(
        request,
        "preview.html",
        {
            "area": area,
            "area_name": recipe.name,
            "layout": recipe.layout,
            "layouts": LAYOUTS,
            "slides": len(published.snapshot.items) if published else None,
        },
    )


# --- the kiosk page, its files, its state and its socket ---------------------------


def _kiosk_area(request: Request) -> tuple[str, str] | None:
    """(area, layout) of a kiosk request the user may see; None for an unknown one."""
    area, layout = request.path_params["area"], request.path_params["layout"]
    auth.require(request, Action.VIEW_AREA, area)
    content: Content = request.app.state.content
    if area not in content.recipes or layout not in LAYOUTS:
        return None
    return area, layout


def _kiosk_response(body: bytes, media_type: str, cache: str) -> Response:
    return Response(body, media_type=media_type, headers={**KIOSK_HEADERS, "Cache-Control": cache})


async def kiosk_page(request: Request) -> Response:
    if _kiosk_area(request) is None:
        return pages.not_found(request)
    body = (KIOSK_DIR / "index.html").read_bytes()
    return _kiosk_response(body, "text/html; charset=utf-8", "no-cache")


async def kiosk_file(request: Request) -> Response:
    found = _kiosk_area(request)
    name = request.path_params["name"]
    if found is None:
        return pages.not_found(request)
    if name == "state.json":
        return _kiosk_response(_state(request, *found), "application/json", "no-store")
    if name not in KIOSK_FILES:
        return pages.not_found(request)
    return _kiosk_response((KIOSK_DIR / name).read_bytes(), KIOSK_FILES[name], "no-cache")


def _state(request: Request, area: str, layout: str) -> bytes:
    """The daemon's /state.json, as far as a preview has one: the area's current
    version. What is on screen belongs to each open page (its own core), so ``item``
    is null."""
    hub: Hub = request.app.state.hub
    published = hub.current(area)
    snapshot = laid_out(published.snapshot, layout) if published else None
    state = {
        "version": snapshot.version if snapshot else None,
        "connected": snapshot is not None,
        "item": None,
        "area": snapshot.to_dict()["area"] if snapshot else None,
        "preview": True,
    }
    return json.dumps(state, ensure_ascii=False).encode()


def _may_see(connection: HTTPConnection, area: str) -> bool:
    # sessions reads only the scope, the session and the app: a websocket has them too.
    principal = sessions.principal(cast(Request, connection))
    return can(principal, Action.VIEW_AREA, area)


def _same_origin(websocket: WebSocket) -> bool:
    """A browser names the page that opens a socket; only our own pages may. (The session
    cookie is SameSite=Lax, which keeps it off other sites' sockets already.)"""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def kiosk_socket(websocket: WebSocket) -> None:
    area, layout = websocket.path_params["area"], websocket.path_params["layout"]
    content: Content = websocket.app.state.content
    if (
        layout not in LAYOUTS
        or area not in content.recipes
        or not _same_origin(websocket)
        or not _may_see(websocket, area)
    ):
        await websocket.close(CLOSE_POLICY)  # before accept: the handshake gets a 403
        return
    await websocket.accept()
    try:
        await websocket.send_text(json.dumps({"type": "connection", "connected": True}))
        async with asyncio.TaskGroup() as tasks:
            feeder = tasks.create_task(_feed(websocket, area, layout))
            await _until_closed(websocket)
            feeder.cancel()
    except* (WebSocketDisconnect, OSError, RuntimeError):
        pass  # the page went away


async def _until_closed(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # the page has nothing to say


async def _feed(websocket: WebSocket, area: str, layout: str) -> None:
    hub: Hub = websocket.app.state.hub
    screen = PreviewScreen(layout)
    checked = time.monotonic()
    while True:
        published = hub.current(area)
        for message in screen.step(published.snapshot if published else None, time.time()):
            await websocket.send_text(json.dumps(message, ensure_ascii=False))
        if time.monotonic() - checked >= RECHECK_SECONDS:
            checked = time.monotonic()
            # The session is the handshake's; its user may since have changed their
            # password (which ends their other sessions), been disabled, or lost the area.
            if not _may_see(websocket, area):
                await websocket.close(CLOSE_POLICY)
                return
        await asyncio.sleep(TICK_SECONDS)


ROUTES = [
    Route("/areas/{area}/preview", preview_page, methods=["GET"]),
    Route("/areas/{area}/preview/kiosk/{layout}/", kiosk_page, methods=["GET"]),
    Route("/areas/{area}/preview/kiosk/{layout}/{name}", kiosk_file, methods=["GET"]),
    WebSocketRoute("/areas/{area}/preview/kiosk/{layout}/ws", kiosk_socket),
]
