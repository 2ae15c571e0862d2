"""The editors' web UI: sessions, CSRF, login, languages. ``create_app`` mounts it with
:func:`middleware`, :data:`routes` and :data:`EXCEPTION_HANDLERS`; permissions are decided in
``signage_server.permissions``."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..settings import Settings
from . import announce, auth, plays, preview, queue, screens, sessions, slides, submit
from . import users as user_pages
from .csrf import CSRFMiddleware

STATIC = Path(__file__).parent / "static"
EXCEPTION_HANDLERS = auth.EXCEPTION_HANDLERS


def middleware(settings: Settings) -> list[Middleware]:
    """The session cookie first, then the CSRF check, which reads the session's token."""
    return [sessions.middleware(settings), Middleware(CSRFMiddleware)]


STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}


async def static(request: Request) -> Response:
    """The web UI's style sheet and its few scripts (a file of STATIC by its plain name)."""
    name = request.path_params["name"]
    path = STATIC / name
    media_type = STATIC_TYPES.get(path.suffix)
    if media_type is None or "/" in name or name.startswith(".") or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


routes: list[BaseRoute] = [
    *auth.ROUTES,
    *slides.ROUTES,
    *screens.ROUTES,
    *user_pages.ROUTES,
    *preview.ROUTES,
    *submit.ROUTES,
    *queue.ROUTES,
    *announce.ROUTES,
    *plays.ROUTES,
    Route("/static/{name}", static),
]
