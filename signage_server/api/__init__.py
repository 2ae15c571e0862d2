"""The JSON API under ``/api/v1/``, for the municipality's own systems.

It is an application of its own (:func:`create`), put in front of the web UI by
:class:`Gate`: requests under ``/api/v1`` never pass the web UI's session and CSRF
middleware, so a login cookie gives no authority here (only a bearer token does, see
auth.py), and every answer, a 404 or 500 too, is JSON in the fixed error shape.

Each resource module has its list of routes; a new resource (announcements, the play
log) is a module with a ``routes`` list, added to :data:`GROUPS`.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import announcements, areas, feeds, openapi, plays, screens, slides
from .errors import EXCEPTION_HANDLERS, json_response
from .routing import PREFIX, Answer, Routes

meta = Routes("meta")


@meta.get(
    "/openapi.json",
    summary="This document",
    public=True,
    answers={200: Answer("the OpenAPI 3.1 document", {"type": "object"})},
)
async def openapi_json(request: Request) -> Response:
    return json_response(document(), headers={"Cache-Control": "no-cache"})


#: Every resource's routes, in the order of the document.
GROUPS: tuple[Routes, ...] = (
    areas.routes,
    screens.routes,
    slides.routes,
    feeds.routes,
    announcements.routes,
    plays.routes,
    meta,
)


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document, made once from :data:`GROUPS`."""
    return openapi.document(GROUPS)


def create() -> Starlette:
    """The API app. ``create_app`` gives it the main app's state (the database, content,
    hub) once that is made: ``api_app.state = app.state``."""
    app = Starlette(
        routes=[operation.route() for group in GROUPS for operation in group],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # "/api/v1/areas/" is not "/api/v1/areas": a 404 in the error shape, not a redirect.
    app.router.redirect_slashes = False
    return app


def gate(api: Starlette) -> Middleware:
    """The middleware that sends requests under ``/api/v1`` to ``api``; put it first."""
    return Middleware(Gate, api=api)


def is_api_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class Gate:
    """In front of the web UI's middleware: HTTP requests under ``/api/v1`` go to the API
    app, everything else on to the web UI."""

    def __init__(self, app: ASGIApp, api: ASGIApp) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(_route_path(scope)):
            await self.api(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path as the router sees it: without the ``root_path`` a proxy may have set."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
