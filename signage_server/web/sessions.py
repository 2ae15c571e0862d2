"""Sessions: a signed cookie (Starlette's SessionMiddleware, itsdangerous) that holds the
user's id, their password stamp and the CSRF token; nothing else, and no server-side state.

The cookie is HttpOnly and SameSite=Lax, Secure when ``secure_cookies`` is set, and lasts
at most ``MAX_AGE`` from the login. Changing the password changes the stamp, which ends the
user's other sessions; disabling the user ends all of them.
"""

from __future__ import annotations

import secrets
import sqlite3

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from .. import users
from ..permissions import Principal
from ..settings import Settings
from . import secret

COOKIE = "lokalskaerm_session"
MAX_AGE = 7 * 24 * 60 * 60


def middleware(settings: Settings) -> Middleware:
    return Middleware(
        SessionMiddleware,
        secret_key=secret.load_or_create(settings.data_dir),
        session_cookie=COOKIE,
        max_age=MAX_AGE,
        same_site="lax",
        https_only=settings.secure_cookies,
    )


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use (which starts the session)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def current_user(request: Request) -> users.User | None:
    """The logged-in user, or None (also when their password changed since, or they were
    disabled)."""
    if "session" not in request.scope:
        return None
    user_id, stamp = request.session.get("user"), request.session.get("stamp")
    if not isinstance(user_id, int) or not isinstance(stamp, str):
        return None
    db: sqlite3.Connection = request.app.state.db
    user = users.get(db, user_id)
    if user is None or not secrets.compare_digest(user.stamp, stamp):
        return None
    return user


def principal(request: Request) -> Principal:
    user = current_user(request)
    return Principal.anonymous() if user is None else Principal.of_user(user)


def log_in(request: Request, user: users.User) -> None:
    """Start a fresh session for ``user``, with a new CSRF token."""
    request.session.clear()
    request.session.update(
        {"user": user.id, "stamp": user.stamp, "csrf": secrets.token_urlsafe(32)}
    )


def log_out(request: Request) -> None:
    request.session.clear()
