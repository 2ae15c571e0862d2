"""The API's refusals: a small exception family with the HTTP status on the class, and the
one JSON shape every error of ``/api/v1`` has::

    {"error": {"status": 422, "message": "…", "field": "until"}}

``field`` is there for validation errors only (the body's key, the form field or the
header the problem is in). The handlers here are the API app's only ones, so a 404, 405 or
500 under ``/api/v1`` is answered in this shape too, never with a web page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)

#: Every answer of the API: what only this client may see stays out of shared caches.
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

#: The JSON Schema of an error (in the OpenAPI document).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string"},
                "field": {
                    "type": "string",
                    "description": "for a validation error: the key, form field or header",
                },
            },
        }
    },
}

#: What each status is called in the OpenAPI document (and said when nothing better is).
DESCRIPTIONS = {
    400: "the body cannot be read (not JSON, a broken multipart form)",
    401: "no token, or a token that is unknown or revoked",
    403: "the token may not do this (another area, or an admin's action)",
    404: "no such area, slide or path",
    405: "the path does not take this method",
    409: "the Idempotency-Key was used for another request, or is still in progress",
    413: "the body is too large",
    415: "the body is not of the media type the operation takes",
    422: "a value is not valid; `field` names it",
    500: "an error in the server",
}


class ApiError(Exception):
    """A refusal; answered with ``status`` in the fixed shape."""

    status = 500

    def __init__(
        self, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class TooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class Invalid(ApiError):
    """A value that is not valid; ``field`` names where it is."""

    status = 422


def json_response(
    data: object, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers={**HEADERS, **(headers or {})})


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, object] = {"status": status, "message": message}
    if field is not None:
        error["field"] = field
    return json_response({"error": error}, status, headers)


def response_of(exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.message, exc.field, exc.headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return response_of(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    """What the router raises: no such path (404), a method the path does not take (405)."""
    assert isinstance(exc, HTTPException)
    message = {404: "no such path in the API", 405: "the path does not take this method"}.get(
        exc.status_code, DESCRIPTIONS.get(exc.status_code, "refused")
    )
    return error_response(exc.status_code, message, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "an error in the server; it is logged")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: api_error,
    HTTPException: http_error,
    Exception: server_error,
}
