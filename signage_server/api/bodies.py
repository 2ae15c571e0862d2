"""Reading request bodies within caps: a JSON object (at most ``MAX_JSON_BYTES``), or a
multipart form with the web UI's caps (``MAX_UPLOAD_BYTES`` for the whole request, counted
as it arrives, so a 200 MB upload is stopped at 50 MB; a few files; small text fields).

The web UI's CSRF middleware parses its forms; the API does not pass through it (a bearer
token is no cookie a browser sends by itself), so it reads them here, with the same caps.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..web.csrf import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FIELD_BYTES,
    MAX_UPLOAD_FIELDS,
    MAX_UPLOAD_FILES,
    BodyTooLarge,
    limited,
)
from .errors import BadRequest, TooLarge, UnsupportedMediaType
from .language import Messages

MAX_JSON_BYTES = 64 * 1024
JSON_TYPE = "application/json"
MULTIPART_TYPE = "multipart/form-data"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def _too_large(limit: int, say: Messages) -> TooLarge:
    megabytes = limit / 2**20
    size = f"{megabytes:g} MB" if megabytes >= 1 else f"{limit // 1024} kB"
    # Close the connection rather than read the rest of a body we will not use.
    return TooLarge(
        say.say(f"the body is too large: at most {size}", f"Det er for stort: højst {size}."),
        headers={"Connection": "close"},
    )


def _declared_too_large(request: Request, limit: int) -> bool:
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > limit


async def json_object(request: Request, say: Messages) -> dict[str, Any]:
    """The body as a JSON object; raises UnsupportedMediaType, TooLarge or BadRequest."""
    if _media_type(request) != JSON_TYPE:
        raise UnsupportedMediaType(
            say.say("send the body as application/json", "Send indholdet som application/json.")
        )
    if _declared_too_large(request, MAX_JSON_BYTES):
        raise _too_large(MAX_JSON_BYTES, say)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise _too_large(MAX_JSON_BYTES, say)
        chunks.append(chunk)
    try:
        value = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise BadRequest(say.say("the body is not JSON", "Indholdet er ikke JSON.")) from None
    if not isinstance(value, dict):
        raise BadRequest(
            say.say("the body must be a JSON object", "Indholdet skal være et JSON-objekt.")
        )
    return value


@asynccontextmanager
async def multipart_form(request: Request, say: Messages) -> AsyncIterator[FormData]:
    """``async with multipart_form(request, say) as form``: the form, its files spooled to
    temporary files that are closed afterwards. Raises UnsupportedMediaType, TooLarge or
    BadRequest."""
    if _media_type(request) != MULTIPART_TYPE:
        raise UnsupportedMediaType(
            say.say(
                "send the upload as multipart/form-data",
                "Send filen som multipart/form-data.",
            )
        )
    if _declared_too_large(request, MAX_UPLOAD_BYTES):
        raise _too_large(MAX_UPLOAD_BYTES, say)
    reader = Request(request.scope, limited(request.receive, MAX_UPLOAD_BYTES))
    try:
        form = await reader.form(
            max_files=MAX_UPLOAD_FILES,
            max_fields=MAX_UPLOAD_FIELDS,
            max_part_size=MAX_UPLOAD_FIELD_BYTES,
        )
    except BodyTooLarge:
        raise _too_large(MAX_UPLOAD_BYTES, say) from None
    except HTTPException as exc:  # not a well-formed form, or more parts than we take
        raise BadRequest(
            say.say(
                f"the multipart form cannot be read: {exc.detail}",
                f"Formularen kan ikke læses: {exc.detail}",
            )
        ) from None
    try:
        yield form
    finally:
        await form.close()
