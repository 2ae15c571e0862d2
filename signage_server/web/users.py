"""The admins' users page: everyone who may log in to the web UI; adding a user, changing a
user's role and areas, a new password, disabling and enabling.

Passwords are made by the server (``users.new_password``) and shown once, on the answer to
the POST that made them, for the admin to hand over; the person changes it at
``/account/password``. Nobody types a first password, so none is weak or reused, and a
password never travels in a URL, a redirect or the session cookie.

An admin cannot take away their own admin rights or disable themselves here, and the last
active admin is never demoted or disabled (``users.LastAdminError``, checked in the change's
transaction). A new password or disabling ends the user's sessions (see sessions.py).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import users
from ..content import Content
from ..permissions import Action, Principal
from ..recipes import DEFAULT_TIMEZONE
from . import auth, i18n, pages
from .screens import moment

#: More than any of our forms has, with a box for every area of a large municipality.
MAX_FIELDS = 200
#: How much of a refused value is shown back (the form's own fields are shorter).
ECHO_CHARS = 254
#: What no address of ours holds, and what only makes trouble where an address is shown.
ODD_EMAIL_CHARS = re.compile(r"[<>()\[\]\\,;:\"'`\x00-\x1f\x7f]")


@dataclass
class UserForm:
    """What the form holds, as typed: shown again with the errors when it is refused."""

    email: str = ""
    role: str = "editor"
    #: The boxes ticked (of known areas); kept for an editor only: an admin has every area.
    areas: frozenset[str] = field(default_factory=frozenset)

    @property
    def stored_areas(self) -> frozenset[str]:
        return self.areas if self.role == "editor" else frozenset()


# --- reading ---------------------------------------------------------------------------


async def _fields(request: Request) -> dict[str, list[str]]:
    """Every value of each field (the areas are several boxes of one name)."""
    body = await request.body()
    try:
        return parse_qs(body.decode("latin-1"), max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any of our forms has
        raise HTTPException(400) from None


def _first(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


def _account(request: Request) -> users.Account:
    found = users.account(request.app.state.db, request.path_params["user_id"])
    if found is None:
        raise HTTPException(404)
    return found


def _area_names(content: Content, extra: Iterable[str] = ()) -> dict[str, str]:
    """Area id → name, of the areas with a recipe and of ``extra`` (a user's own areas, also
    when their recipe is gone, so that saving the form does not drop them unasked)."""
    names = {area: recipe.name for area, recipe in content.recipes.items()}
    for area in extra:
        names.setdefault(area, area)
    return names


def _choices(content: Content, extra: Iterable[str] = ()) -> list[tuple[str, str, bool]]:
    """The area boxes of the form, by name: (id, name, whether it has a recipe)."""
    names = _area_names(content, extra)
    return sorted(
        ((area, name, area in content.recipes) for area, name in names.items()),
        key=lambda choice: (choice[1].casefold(), choice[0]),
    )


def _check_email(typed: str, language: i18n.Language) -> tuple[str | None, str | None]:
    """The address as stored, or the error to show."""
    try:
        address = users.check_email(typed)
    except users.UserError:
        address = None
    if address is None or ODD_EMAIL_CHARS.search(address):
        return None, language.gettext(
            "That is not an e-mail address. Write it like navn@eksempel.dk."
        )
    return address, None


def _role_and_areas(
    fields: dict[str, list[str]],
    known: dict[str, str],
    language: i18n.Language,
    errors: dict[str, str],
) -> UserForm:
    """The role and areas of the form, checked; the problems go into ``errors``."""
    role = _first(fields, "role")
    ticked = fields.get("area", [])
    if role not in users.ROLES:
        errors["role"] = language.gettext("Choose a role: editor or administrator.")
    unknown = [area for area in ticked if area not in known]
    if unknown:
        errors["areas"] = language.gettext("There is no area “%(area)s”.") % {
            "area": unknown[0][:60]
        }
    elif role == "editor" and not ticked:
        errors["areas"] = language.gettext("An editor needs at least one area.")
    return UserForm(role=role[:20], areas=frozenset(area for area in ticked if area in known))


# --- showing ---------------------------------------------------------------------------


def _iso(when: float | None) -> str | None:
    return None if when is None else dt.datetime.fromtimestamp(when, dt.UTC).isoformat()


def user_row(
    account: users.Account,
    content: Content,
    principal: Principal,
    language: i18n.Language,
    now: float,
) -> dict[str, Any]:
    """One user as the pages show them, with times in the municipality's time zone."""
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    user = account.user
    names = _area_names(content, user.areas)
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "areas": sorted((names[area] for area in user.areas), key=str.casefold),
        "created": moment(user.created_at, now, zone, language),
        "created_iso": _iso(user.created_at),
        "active": account.active,
        "disabled": None
        if account.disabled_at is None
        else moment(account.disabled_at, now, zone, language),
        "disabled_iso": _iso(account.disabled_at),
        "me": user.id == principal.user_id,
    }


def _list_page(
    request: Request,
    principal: Principal,
    form: UserForm,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    content: Content = request.app.state.content
    language = i18n.language(request)
    now = time.time()
    rows = [
        user_row(account, content, principal, language, now)
        for account in users.accounts(request.app.state.db)
    ]
    return pages.render(
        request,
        "users.html",
        {"rows": rows, "form": form, "errors": errors, "choices": _choices(content)},
        status_code=status_code,
    )


def _edit_page(
    request: Request,
    principal: Principal,
    account: users.Account,
    form: UserForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    content: Content = request.app.state.content
    language = i18n.language(request)
    row = user_row(account, content, principal, language, time.time())
    if form is None:
        form = UserForm(account.user.email, account.user.role, account.user.areas)
    done = request.query_params.get("done") if status_code == 200 else None
    return pages.render(
        request,
        "user_edit.html",
        {
            "user": row,
            "form": form,
            "errors": errors or {},
            "choices": _choices(content, account.user.areas),
            "done": done,
        },
        status_code=status_code,
    )


def _password_page(request: Request, user: users.User, password: str, reason: str) -> Response:
    """The new password, shown this once (the page is not cached: see pages.HEADERS)."""
    return pages.render(
        request,
        "user_password.html",
        {
            "user": user,
            "password": password,
            "reason": reason,
            "login_url": f"{str(request.base_url).rstrip('/')}/login",
        },
    )


async def _hash_new_password() -> tuple[str, str]:
    """A new password and its hash, made off the event loop (argon2 takes its time)."""
    password = users.new_password()
    return password, await run_in_threadpool(users.hash_password, password)


# --- pages -------------------------------------------------------------------------------


async def users_page(request: Request) -> Response:
    principal = auth.require(request, Action.MANAGE_USERS)
    return _list_page(request, principal, UserForm(), {})


async def add(request: Request) -> Response:
    """Add a user with a made password, and show it once; or the list with the errors."""
    principal = auth.require(request, Action.MANAGE_USERS)
    content: Content = request.app.state.content
    db: sqlite3.Connection = request.app.state.db
    language = i18n.language(request)
    fields = await _fields(request)
    typed = _first(fields, "email")
    errors: dict[str, str] = {}
    form = _role_and_areas(fields, _area_names(content), language, errors)
    form.email = typed[:ECHO_CHARS]
    address, problem = _check_email(typed, language)
    taken = language.gettext("There is already a user with this e-mail address.")
    if problem is not None:
        errors["email"] = problem
    elif address is not None and users.email_taken(db, address):
        errors["email"] = taken
    if errors or address is None:
        return _list_page(request, principal, form, errors, status_code=400)
    password, password_hash = await _hash_new_password()
    try:
        user = users.add_hashed(db, address, password_hash, form.role, form.stored_areas)
    except users.UserError:  # the address was taken while the password was hashed
        return _list_page(request, principal, form, {"email": taken}, status_code=400)
    return _password_page(request, user, password, "added")


async def edit_form(request: Request) -> Response:
    principal = auth.require(request, Action.MANAGE_USERS)
    return _edit_page(request, principal, _account(request))


async def save(request: Request) -> Response:
    """Change the user's role and areas, all or nothing."""
    principal = auth.require(request, Action.MANAGE_USERS)
    account = _account(request)
    content: Content = request.app.state.content
    language = i18n.language(request)
    fields = await _fields(request)
    errors: dict[str, str] = {}
    form = _role_and_areas(fields, _area_names(content, account.user.areas), language, errors)
    form.email = account.user.email
    if not errors and account.user.id == principal.user_id and form.role != "admin":
        errors["form"] = language.gettext(
            "You cannot take away your own administrator rights. Ask another administrator."
        )
    if not errors:
        try:
            users.set_role_and_areas(
                request.app.state.db, account.user.id, form.role, form.stored_areas
            )
        except users.LastAdminError:
            errors["form"] = _last_admin(language)
        except users.UserError:  # deleted meanwhile
            raise HTTPException(404) from None
    if errors:
        return _edit_page(request, principal, account, form, errors, status_code=400)
    return RedirectResponse(f"/users/{account.user.id}/edit?done=saved", status_code=303)


async def reset_password(request: Request) -> Response:
    """A new password for an active user, shown once; it ends their sessions."""
    principal = auth.require(request, Action.MANAGE_USERS)
    account = _account(request)
    language = i18n.language(request)
    db: sqlite3.Connection = request.app.state.db
    if account.user.id == principal.user_id:
        problem = language.gettext("This is you: change your own password under “Change password”.")
        return _edit_page(request, principal, account, errors={"form": problem}, status_code=400)
    disabled = language.gettext("This user is disabled. Enable them to give them a new password.")
    if not account.active:
        return _edit_page(request, principal, account, errors={"form": disabled}, status_code=400)
    password, password_hash = await _hash_new_password()
    current = _account(request)  # as it is after the wait for the hash
    if not current.active:
        return _edit_page(request, principal, current, errors={"form": disabled}, status_code=400)
    users.store_password_hash(db, account.user.id, password_hash)
    user = users.get(db, account.user.id)
    assert user is not None
    return _password_page(request, user, password, "reset")


async def disable(request: Request) -> Response:
    """Disable the user: logged out at once, and no login after. Asked again: the same."""
    principal = auth.require(request, Action.MANAGE_USERS)
    account = _account(request)
    language = i18n.language(request)
    if account.user.id == principal.user_id:
        problem = language.gettext("You cannot disable yourself. Ask another administrator.")
        return _edit_page(request, principal, account, errors={"form": problem}, status_code=400)
    try:
        users.disable(request.app.state.db, account.user.id)
    except users.LastAdminError:
        return _edit_page(
            request, principal, account, errors={"form": _last_admin(language)}, status_code=400
        )
    except users.UserError:
        raise HTTPException(404) from None
    return RedirectResponse(f"/users/{account.user.id}/edit?done=disabled", status_code=303)


async def enable(request: Request) -> Response:
    """Let a disabled user in again, with a new password shown once."""
    principal = auth.require(request, Action.MANAGE_USERS)
    account = _account(request)
    language = i18n.language(request)
    already = language.gettext("This user is active already.")
    if account.active:
        return _edit_page(request, principal, account, errors={"form": already}, status_code=400)
    password, password_hash = await _hash_new_password()
    try:
        user = users.enable(request.app.state.db, account.user.id, password_hash)
    except users.UserError:  # enabled meanwhile, by another click
        return _edit_page(
            request, principal, _account(request), errors={"form": already}, status_code=400
        )
    return _password_page(request, user, password, "enabled")


def _last_admin(language: i18n.Language) -> str:
    return language.gettext(
        "There must always be at least one active administrator; this would leave none."
    )


ROUTES = [
    Route("/users", users_page, methods=["GET"]),
    Route("/users", add, methods=["POST"]),
    Route("/users/{user_id:int}/edit", edit_form, methods=["GET"]),
    Route("/users/{user_id:int}/edit", save, methods=["POST"]),
    Route("/users/{user_id:int}/password", reset_password, methods=["POST"]),
    Route("/users/{user_id:int}/disable", disable, methods=["POST"]),
    Route("/users/{user_id:int}/enable", enable, methods=["POST"]),
]
