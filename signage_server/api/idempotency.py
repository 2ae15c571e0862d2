"""``Idempotency-Key`` on a POST: a client that did not get the answer (its connection
broke) sends the same request with the same key again and gets the stored answer, and
nothing is done twice. The same key with another request is a 409; so is a key whose
first request is still running.

Kept per token in ``idempotency_keys`` (principal, key, request hash, status, answer) and
forgotten after 24 hours. A request is known by what it means, not by its bytes: the
method, the path and a fingerprint of the body (a multipart form's boundary differs
every time it is sent).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import HEADERS, ApiError, Conflict, Invalid, response_of
from .language import Messages

HEADER = "Idempotency-Key"
KEEP_SECONDS = 24 * 3600
#: A key whose first request has run this long without an answer was left by a process
#: that stopped; it may be used again.
ABANDONED_SECONDS = 300.0
IN_PROGRESS = 0
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
#: The headers of an answer that are kept with it.
KEPT_HEADERS = ("location",)

PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "any unique string (a UUID); the same key and request again gives the "
    "stored answer and does nothing twice; kept for 24 hours",
    "schema": {"type": "string", "pattern": KEY_RE.pattern},
}


def fingerprint(method: str, path: str, parts: Iterable[tuple[str, str]]) -> str:
    """The request hash: method, path and the body's parts as (name, value) pairs, in
    any order (a file's value is its sha256 and name)."""
    body = sorted(parts)
    return hashlib.sha256(json.dumps([method, path, body]).encode()).hexdigest()


async def once(
    request: Request,
    actor: str,
    request_hash: str,
    say: Messages,
    act: Callable[[], Awaitable[Response]],
) -> Response:
    """``act()``'s answer, or without a key just ``act()``. Refusals it raises (ApiError)
    are answers too, kept like any other; an error in the server is not kept, so that
    the request may be tried again."""
    key = request.headers.get(HEADER)
    if key is None:
        return await _answer(act)
    if not KEY_RE.match(key):
        raise Invalid(
            say.say(
                "the Idempotency-Key must be 1 to 255 visible ASCII characters",
                "Idempotency-Key skal være 1 til 255 synlige ASCII-tegn.",
            ),
            HEADER,
        )
    db: sqlite3.Connection = request.app.state.db
    now = time.time()
    db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (now - KEEP_SECONDS,))
    db.execute(
        "DELETE FROM idempotency_keys WHERE status = ? AND created_at < ?",
        (IN_PROGRESS, now - ABANDONED_SECONDS),
    )
    taken = db.execute(
        "INSERT OR IGNORE INTO idempotency_keys "
        "(principal, key, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (actor, key, request_hash, IN_PROGRESS, "", now),
    )
    if taken.rowcount == 0:
        return _stored(db, actor, key, request_hash, say)
    try:
        response = await _answer(act)
    except BaseException:
        db.execute("DELETE FROM idempotency_keys WHERE principal = ? AND key = ?", (actor, key))
        raise
    if response.status_code >= 500:
        db.execute("DELETE FROM idempotency_keys WHERE principal = ? AND key = ?", (actor, key))
        return response
    headers = response.headers
    kept = {
        "headers": {name: headers[name] for name in KEPT_HEADERS if name in headers},
        "body": bytes(response.body).decode("utf-8"),
    }
    db.execute(
        "UPDATE idempotency_keys SET status = ?, response = ? WHERE principal = ? AND key = ?",
        (response.status_code, json.dumps(kept), actor, key),
    )
    return response


async def _answer(act: Callable[[], Awaitable[Response]]) -> Response:
    try:
        return await act()
    except ApiError as exc:
        return response_of(exc)


def _stored(
    db: sqlite3.Connection, actor: str, key: str, request_hash: str, say: Messages
) -> Response:
    row = db.execute(
        "SELECT request_hash, status, response FROM idempotency_keys "
        "WHERE principal = ? AND key = ?",
        (actor, key),
    ).fetchone()
    if row["request_hash"] != request_hash:
        raise Conflict(
            say.say(
                "this Idempotency-Key was used for another request",
                "Denne Idempotency-Key er brugt til en anden forespørgsel.",
            )
        )
    if row["status"] == IN_PROGRESS:
        raise Conflict(
            say.say(
                "the first request with this Idempotency-Key is still being handled; "
                "try again in a moment",
                "Den første forespørgsel med denne Idempotency-Key er ikke færdig endnu; "
                "prøv igen om lidt.",
            )
        )
    kept = json.loads(row["response"])
    body = kept["body"].encode("utf-8")
    return Response(
        body,
        status_code=row["status"],
        media_type="application/json" if body else None,
        headers={**HEADERS, **kept["headers"], "Idempotent-Replayed": "true"},
    )
