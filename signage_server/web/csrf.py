"""CSRF protection, in one place: every POST, PUT, PATCH and DELETE must carry the
session's CSRF token, as the form field ``csrf_token`` (url-encoded forms) or the header
``X-CSRF-Token``. Otherwise the request is answered 403 before any route sees it.

The token lives in the signed session cookie (see sessions.py) and is compared in constant
time. A form body is read here (at most ``MAX_FORM_BYTES``) and handed on unchanged.

A multipart form (an upload) is parsed here, within caps (``MAX_UPLOAD_BYTES`` for the
whole request, counted as it arrives, so a 200 MB upload is stopped at 50 MB; a few files;
small text fields), its files spooled to temporary files; the route gets the parsed form
from :func:`upload_form`, and the temporary files are closed when the answer is sent.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import pages

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
MULTIPART_TYPE = "multipart/form-data"
#: The most an upload request may bring: a phone photo is 3-15 MB, a poster PDF rarely
#: more than 20. (images.MAX_BYTES caps one file again, for the drop folders.)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_FILES = 2
MAX_UPLOAD_FIELDS = 40
#: A text field of an upload form (the longest is a slide's text).
MAX_UPLOAD_FIELD_BYTES = 64 * 1024
FORM_KEY = "lokalskaerm.form"


class BodyTooLarge(Exception):
    """A request body grew past its limit while it was read (see :func:`limited`)."""


def upload_form(request: Request) -> FormData:
    """The multipart form of this request, parsed and checked by the middleware."""
    form = request.scope.get(FORM_KEY)
    if not isinstance(form, FormData):
        raise HTTPException(400, "expected a multipart form")
    return form


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
        content_type = headers.get("content-type", "")
        if given is None and content_type.startswith(MULTIPART_TYPE):
            await self._multipart(scope, receive, send, headers, expected)
            return
        if given is None and content_type.startswith(FORM_TYPE):
            body = await _read_body(receive, MAX_FORM_BYTES)
            if body is None:
                await PlainTextResponse("413", status_code=413)(scope, receive, send)
                return
            try:
                values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(FIELD)
            except ValueError:  # more fields than any of our forms has
                values = None
            given = values[0] if values else None
        if not _matches(expected, given):
            await _refuse(scope)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive) if body is not None else receive, send)

    async def _multipart(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, expected: object
    ) -> None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
            await _too_large(scope)(scope, receive, send)
            return
        try:
            form = await Request(scope, limited(receive, MAX_UPLOAD_BYTES)).form(
                max_files=MAX_UPLOAD_FILES,
                max_fields=MAX_UPLOAD_FIELDS,
                max_part_size=MAX_UPLOAD_FIELD_BYTES,
            )
        except BodyTooLarge:
            await _too_large(scope)(scope, receive, send)
            return
        except HTTPException:  # not a well-formed form, or more parts than ours have
            await pages.bad_request(Request(scope))(scope, receive, send)
            return
        try:
            if not _matches(expected, form.get(FIELD)):
                await _refuse(scope)(scope, receive, send)
                return
            scope[FORM_KEY] = form
            await self.app(scope, _no_body, send)
        finally:
            await form.close()


def _matches(expected: object, given: object) -> bool:
    """The session's token and the request's, compared in constant time."""
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and secrets.compare_digest(expected.encode(), given.encode())
    )


def limited(receive: Receive, limit: int) -> Receive:
    """``receive``, raising BodyTooLarge once more than ``limit`` bytes of body came."""
    size = 0

    async def counting() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise BodyTooLarge
        return message

    return counting


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _too_large(scope: Scope) -> Response:
    request = Request(scope)
    megabytes = MAX_UPLOAD_BYTES // 2**20
    response = pages.render(request, "too_large.html", {"megabytes": megabytes}, status_code=413)
    # Close the connection rather than read the rest of a body we will not use: a client
    # could go on sending for ever.
    response.headers["Connection"] = "close"
    return response


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
