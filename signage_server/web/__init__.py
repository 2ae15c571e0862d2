"""The editors' web UI: sessions, CSRF, login, languages. ``create_app`` mounts it with
:func:`middleware`, :data:`routes` and :data:`EXCEPTION_HANDLERS`; permissions are decided in
``signage_server.permissions``."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from ..settings import Settings
from . import auth, sessions
from .csrf import CSRFMiddleware

STATIC = Path(__file__).parent / "static"
EXCEPTION_HANDLERS = auth.EXCEPTION_HANDLERS


def middleware(settings: Settings) -> list[Middleware]:
    """The session cookie first, then the CSRF check, which reads the session's token."""
    return [sessions.middleware(settings), Middleware(CSRFMiddleware)]


async def stylesheet(request: Request) -> Response:
    return FileResponse(
        STATIC / "web.css",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


routes: list[BaseRoute] = [*auth.ROUTES, Route("/static/web.css", stylesheet)]
