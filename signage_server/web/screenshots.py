"""Each screen's own page (``/screens/{id}``): how it is doing, and its newest screenshot,
taken on request. While a request waits for its answer the page reloads itself every few
seconds (a ``<meta http-equiv="refresh">``, which the web UI's CSP allows), so the admin
sees the picture appear. The picture is served only to admins, never from /assets/."""

from __future__ import annotations

import sqlite3
import time

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import screens
from ..content import Content
from ..permissions import Action
from ..screenshots import BAD_PICTURE, Screenshots
from . import auth, i18n, pages
from .screens import screen_rows

#: Seconds between reloads of a page waiting for a screenshot.
REFRESH_SECONDS = 2


async def screen_page(request: Request) -> Response:
    auth.require(request, Action.MANAGE_SCREENS)
    db: sqlite3.Connection = request.app.state.db
    screen = screens.get(db, request.path_params["screen_id"])
    if screen is None:
        return pages.not_found(request)
    language = i18n.language(request)
    content: Content = request.app.state.content
    row = screen_rows(
        [screen],
        content,
        request.app.state.hub,
        language,
        time.time(),
        request.app.state.player_connections,
    )[0]
    shots: Screenshots = request.app.state.screenshots
    waiting = shots.waiting(screen.id)
    error = screen.screenshot_error
    if error == BAD_PICTURE:
        error = language.gettext("The player sent a picture that could not be read.")
    return pages.render(
        request,
        "screen.html",
        {
            "screen": row,
            "waiting": waiting,
            "refresh": REFRESH_SECONDS if waiting else None,
            "picture": f"/screens/{screen.id}/screenshot?v={screen.screenshot_sha256[:16]}"
            if screen.screenshot_sha256
            else None,
            "what": screen.screenshot_what,
            "error": error,
            "failed": request.query_params.get("failed") == "1",
        },
    )


async def take(request: Request) -> Response:
    """Ask the screen for a screenshot; back to its page, which waits for it."""
    auth.require(request, Action.MANAGE_SCREENS)
    db: sqlite3.Connection = request.app.state.db
    screen_id: int = request.path_params["screen_id"]
    screen = screens.get(db, screen_id)
    if screen is None or screen.revoked_at is not None:
        return pages.not_found(request)
    shots: Screenshots = request.app.state.screenshots
    asked = shots.ask(screen_id)
    suffix = "" if asked is not None else "?failed=1"
    return RedirectResponse(f"/screens/{screen_id}{suffix}", status_code=303)


async def picture(request: Request) -> Response:
    """The screen's newest screenshot, for admins only (never cached by others)."""
    auth.require(request, Action.MANAGE_SCREENS)
    db: sqlite3.Connection = request.app.state.db
    screen = screens.get(db, request.path_params["screen_id"])
    if screen is None or not screen.screenshot_sha256 or not screen.screenshot_type:
        return pages.not_found(request)
    shots: Screenshots = request.app.state.screenshots
    path = shots.blobs.path(screen.screenshot_sha256)
    if not path.is_file():
        return pages.not_found(request)
    return FileResponse(
        path,
        media_type=screen.screenshot_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


ROUTES = [
    Route("/screens/{screen_id:int}", screen_page, methods=["GET"]),
    Route("/screens/{screen_id:int}/screenshot", picture, methods=["GET"]),
    Route("/screens/{screen_id:int}/screenshot", take, methods=["POST"]),
]
