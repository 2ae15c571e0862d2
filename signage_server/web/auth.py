"""Logging in and out, changing one's password, and :func:`require`, which every page
calls to learn who asks and to stop them when ``permissions.can`` says no."""

from __future__ import annotations

import math
import sqlite3
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import users
from ..permissions import Action, Principal, can
from . import i18n, pages, sessions
from .ratelimit import LoginLimiter


class LoginRequired(Exception):
    """Nobody is logged in: answered with a redirect to the login page."""

    status_code = 303


class Forbidden(Exception):
    """Logged in, but ``permissions.can`` says no: answered 403."""

    status_code = 403


def require(request: Request, action: Action, area: str | None = None) -> Principal:
    """The principal of this request, if it may do ``action``; raises LoginRequired or
    Forbidden otherwise."""
    principal = sessions.principal(request)
    if can(principal, action, area):
        return principal
    if not principal.logged_in:
        raise LoginRequired()
    raise Forbidden()


def safe_next(value: str | None) -> str:
    """A local path to go to after the login; anything else (another site) becomes ``/``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(char) < 32 or char == "\\" for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


async def login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


async def forbidden(request: Request, exc: Exception) -> Response:
    return pages.render(request, "forbidden.html", {"reason": "permission"}, status_code=403)


async def not_found(request: Request, exc: Exception) -> Response:
    return pages.not_found(request)


async def bad_request(request: Request, exc: Exception) -> Response:
    return pages.bad_request(request)


#: Every page's refusals in one place: a login first, then "not allowed", and a Danish
#: "not found" for a 404 raised anywhere (``HTTPException(404)``).
EXCEPTION_HANDLERS: dict[Any, Any] = {
    LoginRequired: login_required,
    Forbidden: forbidden,
    400: bad_request,
    404: not_found,
}


async def login_form(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if sessions.current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, email="", target=target)


async def login(request: Request) -> Response:
    fields = await pages.form(request)
    email = users.normalize_email(fields.get("email", ""))
    password = fields.get("password", "")
    target = safe_next(fields.get("next"))
    limiter: LoginLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    language = i18n.language(request)
    wait = limiter.wait(email, client)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        message = language.translations.ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        response = _login_page(request, email, target, error=message, status_code=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    user = await _authenticate(request.app.state.db, email, password)
    if user is None:
        limiter.failed(email, client)
        message = language.gettext("Wrong e-mail address or password.")
        return _login_page(request, email, target, error=message, status_code=400)
    limiter.succeeded(email)
    sessions.log_in(request, user)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    sessions.log_out(request)
    return RedirectResponse("/login", status_code=303)


async def password_form(request: Request) -> Response:
    require(request, Action.MANAGE_OWN_ACCOUNT)
    return _password_page(request, {}, done=False)


async def change_password(request: Request) -> Response:
    require(request, Action.MANAGE_OWN_ACCOUNT)
    user = sessions.current_user(request)
    assert user is not None
    fields = await pages.form(request)
    current, new, repeat = (fields.get(name, "") for name in ("current", "new", "repeat"))
    language = i18n.language(request)
    limiter: LoginLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    errors: dict[str, str] = {}
    if limiter.wait(user.email, client) > 0:
        errors["current"] = language.gettext("Too many failed attempts. Try again later.")
    elif await _authenticate(request.app.state.db, user.email, current) is None:
        limiter.failed(user.email, client)
        errors["current"] = language.gettext("That is not your current password.")
    if len(new) < users.MIN_PASSWORD_LENGTH:
        errors["new"] = language.gettext(
            "The new password must have at least %(num)d characters."
        ) % {"num": users.MIN_PASSWORD_LENGTH}
    elif len(new) > users.MAX_PASSWORD_LENGTH:
        errors["new"] = language.gettext("The new password is too long.")
    elif new != repeat:
        errors["repeat"] = language.gettext("The two new passwords are not the same.")
    if errors:
        return _password_page(request, errors, done=False, status_code=400)
    limiter.succeeded(user.email)
    password_hash = await run_in_threadpool(users.hash_password, new)
    db: sqlite3.Connection = request.app.state.db
    users.store_password_hash(db, user.id, password_hash)
    updated = users.get(db, user.id)
    assert updated is not None
    sessions.log_in(request, updated)  # this session goes on; the others end
    return _password_page(request, {}, done=True)


async def _authenticate(db: sqlite3.Connection, email: str, password: str) -> users.User | None:
    found = users.find_for_login(db, email)
    # argon2 takes tens of milliseconds on purpose: not on the event loop the screens use.
    ok, new_hash = await run_in_threadpool(
        users.verify_password, found[1] if found else None, password
    )
    if not ok or found is None:
        return None
    if new_hash is not None:
        users.store_password_hash(db, found[0], new_hash)
    return users.get(db, found[0])


def _password_page(
    request: Request, errors: dict[str, str], done: bool, status_code: int = 200
) -> Response:
    user = sessions.current_user(request)
    context = {
        "errors": errors,
        "done": done,
        "min_length": users.MIN_PASSWORD_LENGTH,
        "email": user.email if user else "",
    }
    return pages.render(request, "password.html", context, status_code=status_code)


def _login_page(
    request: Request, email: str, target: str, error: str | None = None, status_code: int = 200
) -> Response:
    return pages.render(
        request,
        "login.html",
        {"email": email, "next": target, "error": error},
        status_code=status_code,
    )


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account/password", password_form, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
]
