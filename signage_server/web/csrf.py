"""CSRF protection, in one place: every POST, PUT, PATCH and DELETE must carry the
session's CSRF token, as the form field ``csrf_token`` (url-encoded forms) or the header
``X-CSRF-Token``. Otherwise the request is answered 403 before any route sees it.

The token lives in the signed session cookie (see sessions.py) and is compared in constant
time. A form body is read here (at most ``MAX_FORM_BYTES``) and handed on unchanged.
Multipart forms (uploads) are not accepted yet: they would need the header or a streaming
check, which the upload work will add here.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import pages

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024


class CSRFMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        expected = scope.get("session", {}).get("csrf")
        given = headers.get(HEADER)
        body: bytes | None = None
        if given is None and headers.get("content-type", "").startswith(FORM_TYPE):
            body = await _read_body(receive, MAX_FORM_BYTES)
            if body is None:
                await PlainTextResponse("413", status_code=413)(scope, receive, send)
                return
            try:
                values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(FIELD)
            except ValueError:  # more fields than any of our forms has
                values = None
            given = values[0] if values else None
        if not (
            isinstance(expected, str)
            and isinstance(given, str)
            and secrets.compare_digest(expected.encode(), given.encode())
        ):
            await _refuse(scope)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive) if body is not None else receive, send)


def _refuse(scope: Scope) -> Response:
    request = Request(scope)
    return pages.render(request, "forbidden.html", {"reason": "csrf"}, status_code=403)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
