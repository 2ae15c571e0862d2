"""The player's local side: what it serves on 127.0.0.1 to the kiosk page in Chromium.

The page's own files (``kiosk/``), the cached assets by sha256, ``/state.json``, and the
frames the daemon sends on the page's websocket (see docs/protocol.md, "The player's local
side"). Standard library and ``websockets`` only.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from . import protocol
from .cache import Cache
from .core import PlayerCore, ShowAnnouncements
from .protocol import Item

KIOSK_DIR = Path(__file__).parent / "kiosk"
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/kiosk.js": ("kiosk.js", "text/javascript; charset=utf-8"),
    "/kiosk.css": ("kiosk.css", "text/css; charset=utf-8"),
    "/announce.js": ("announce.js", "text/javascript; charset=utf-8"),
}
#: The kiosk page: its own script and style, pictures and pages (in frames) from the
#: cache, its websocket to the daemon; nothing else, and no other page may frame it.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Every cached asset. A slide page (HTML the server rendered, with feed text in it) runs
#: nothing, submits nothing and loads nothing but its pictures and inline style, in the
#: kiosk's frame and when opened directly alike; to a picture shown by an <img> the policy
#: means nothing. ``sandbox`` gives the page an opaque origin, yet ``'self'`` still works:
#: Chromium matches it against the page's URL (the daemon), so its /assets/ pictures load
#: and the kiosk may frame it (tests/browser/test_kiosk_pages.py shows both). A path
#: (``http://127.0.0.1:8080/assets/``) would be tighter than ``'self'`` but needs the host
#: the browser used, and gains nothing: the daemon's GETs change nothing, and the page can
#: read nothing of what it loads.
ASSET_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"


def respond(
    path: str, state: Callable[[], dict[str, Any]], cache: Cache, core: PlayerCore
) -> Response:
    """The answer to a GET of ``path``: the page's files, ``/state.json``, or an asset."""
    if path == "/state.json":
        body = json.dumps(state(), ensure_ascii=False).encode()
        return response(200, body, "application/json", cache="no-store")
    if path in STATIC:
        name, content_type = STATIC[path]
        return response(200, (KIOSK_DIR / name).read_bytes(), content_type, cache="no-cache")
    if path.startswith("/assets/"):
        sha = path.removeprefix("/assets/")
        if protocol.SHA256_RE.match(sha) and cache.has(sha):
            data = cache.path(sha).read_bytes()
            return response(200, data, asset_type(core, sha), cache=IMMUTABLE, csp=ASSET_CSP)
    return response(404, b"not found\n", "text/plain; charset=utf-8", cache="no-store")


def announcements_message(command: ShowAnnouncements) -> dict[str, Any]:
    return {"type": "announcements", "active": [a.to_dict() for a in command.active]}


def item_state(item: Item, since: float) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "asset": item.asset,
        "duration": item.duration,
        "since": since,
    }


async def send_quietly(page: ServerConnection, frame: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await page.send(frame)


def asset_type(core: PlayerCore, sha: str) -> str:
    assets = list(core.active.assets) if core.active is not None else []
    assets += [a.picture for a in core.announcements if a.picture is not None]
    for asset in assets:
        if asset.sha256 == sha:
            return asset.type
    return "application/octet-stream"


def response(
    status: int, body: bytes, content_type: str, cache: str, csp: str = PAGE_CSP
) -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", cache),
            ("Connection", "close"),
            ("Content-Security-Policy", csp),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    reason = {200: "OK", 404: "Not Found"}[status]
    return Response(status, reason, headers, body)
