"""Who asks the API: the token in ``Authorization: Bearer api_…``, and nothing else.

The API app has no session middleware, so a login cookie of the web UI never reaches it;
a screen's token (``scr_…``) is not an API token. Whether the token's principal may do
something is asked of ``permissions.can``, as the web UI does.
"""

from __future__ import annotations

import sqlite3

from starlette.requests import Request

from .. import tokens
from ..permissions import Action, Principal, can
from .errors import Forbidden, Unauthorized

CHALLENGE = 'Bearer realm="lokalskaerm"'
_PRINCIPAL = "lokalskaerm.api.principal"


def principal(request: Request) -> Principal:
    """The principal of the request's bearer token; raises Unauthorized (401) without a
    usable one."""
    known = request.scope.get(_PRINCIPAL)
    if isinstance(known, Principal):
        return known
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized(
            "give the API token in the header Authorization: Bearer api_…",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    db: sqlite3.Connection = request.app.state.db
    token = tokens.authenticate(db, secret) if scheme.lower() == "bearer" and secret else None
    if token is None:
        raise Unauthorized(
            "the token is unknown or revoked",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )
    found = request.scope[_PRINCIPAL] = Principal.of_token(token)
    return found


def require(request: Request, action: Action, area: str | None = None) -> Principal:
    """The principal, if it may do ``action`` (in ``area``); raises Unauthorized or
    Forbidden (403) otherwise."""
    asking = principal(request)
    if not can(asking, action, area):
        where = f" in {area!r}" if area is not None else ""
        raise Forbidden(f"this token may not {action.value.replace('_', ' ')}{where}")
    return asking


def actor(principal: Principal) -> str:
    """How the principal is named in stored records (idempotency keys, the audit log)."""
    return f"token:{principal.token_id}"
