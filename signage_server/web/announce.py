"""Announcements in the web UI: write one and send it, see screen by screen whether it was
received and shown (the page refreshes itself while it is live), cancel it.

An admin announces to all areas or some; an editor to their own areas. Who may is decided by
``permissions.can(…, SEND_ANNOUNCEMENTS, area)`` for every area chosen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from player.protocol import Asset

from .. import announcements, images
from ..announcing import Announcer
from ..content import Content
from ..permissions import Action, Principal, can
from . import auth, i18n, pages, sessions
from .csrf import upload_form

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
#: While an announcement is live, its page reloads itself this often (seconds).
REFRESH_SECONDS = 2


def _principal(request: Request) -> Principal:
    """Someone who may announce to at least one area."""
    content: Content = request.app.state.content
    principal = sessions.principal(request)
    if any(can(principal, Action.SEND_ANNOUNCEMENTS, area) for area in content.recipes):
        return principal
    return auth.require(request, Action.SEND_ANNOUNCEMENTS)  # refuses, as it should


def _areas(request: Request, principal: Principal) -> list[tuple[str, str]]:
    content: Content = request.app.state.content
    return [
        (area, recipe.name)
        for area, recipe in sorted(content.recipes.items(), key=lambda pair: pair[1].name)
        if can(principal, Action.SEND_ANNOUNCEMENTS, area)
    ]


def _actor(request: Request) -> str:
    user = sessions.current_user(request)
    return f"user:{user.email}" if user else "unknown"


async def announcements_page(request: Request) -> Response:
    principal = _principal(request)
    return _page(request, principal, {}, {})


async def send(request: Request) -> Response:
    principal = _principal(request)
    content: Content = request.app.state.content
    language = i18n.language(request)
    form = upload_form(request)
    chosen = [value for value in form.getlist("areas") if isinstance(value, str)]
    if "all" in chosen and not can(principal, Action.SEND_ANNOUNCEMENTS):
        raise auth.Forbidden()
    for area in chosen:
        if (
            area != "all"
            and area in content.recipes
            and not can(principal, Action.SEND_ANNOUNCEMENTS, area)
        ):
            raise auth.Forbidden()
    typed = {key: _text(form, key) for key in ("title", "text", "severity", "starts", "ends")}
    errors: dict[str, str] = {}
    zone = COPENHAGEN
    starts = _moment(typed["starts"], zone, "starts", errors, language.gettext)
    ends = _moment(typed["ends"], zone, "ends", errors, language.gettext)
    picture: Asset | None = None
    upload = form.get("picture")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if data and not errors:
        try:
            rendition = await _render(data)
        except images.ImageRejected as exc:
            errors["picture"] = exc.danish if language.code == "da" else exc.reason
        else:
            sha = content.blobs.put(rendition.data)
            picture = Asset(sha, len(rendition.data), rendition.type)
    draft = announcements.Draft(
        title=typed["title"],
        text=typed["text"],
        severity=typed["severity"] or "info",
        areas=tuple(chosen),
        starts_at=starts,
        ends_at=ends,
        picture=picture,
    )
    if not errors:
        try:
            draft = announcements.check(draft, content.recipes, time.time())
        except announcements.AnnouncementError as exc:
            errors[_FIELDS.get(exc.field, exc.field)] = (
                exc.danish if language.code == "da" else exc.message
            )
    if errors:
        return _page(request, principal, typed | {"areas": chosen}, errors, status_code=400)
    db: sqlite3.Connection = request.app.state.db
    stored = announcements.add(db, draft, _actor(request))
    announcer: Announcer = request.app.state.announcer
    await announcer.changed()
    return RedirectResponse(f"/announcements/{stored.id}?sent=1", status_code=303)


async def status_page(request: Request) -> Response:
    principal = _principal(request)
    item = _visible(request, principal)
    db: sqlite3.Connection = request.app.state.db
    now = time.time()
    live = item.live_at(now)
    return pages.render(
        request,
        "announcement.html",
        {
            "item": item,
            "live": live,
            "refresh": REFRESH_SECONDS if live else None,
            "deliveries": announcements.deliveries(db, item),
            "area_names": _area_names(request),
            "when": lambda moment: _when(moment, COPENHAGEN),
            "sent": request.query_params.get("sent") == "1",
            "may_cancel": _may_act(principal, item),
        },
    )


async def cancel(request: Request) -> Response:
    principal = _principal(request)
    item = _visible(request, principal)
    if not _may_act(principal, item):
        raise auth.Forbidden()
    db: sqlite3.Connection = request.app.state.db
    announcements.cancel(db, item.id, _actor(request))
    announcer: Announcer = request.app.state.announcer
    await announcer.changed()
    return RedirectResponse(f"/announcements/{item.id}", status_code=303)


# --- helpers ---------------------------------------------------------------------------

#: The form's name of each field checked by announcements.check.
_FIELDS = {"starts_at": "starts", "ends_at": "ends"}


def _visible(request: Request, principal: Principal) -> announcements.Stored:
    try:
        announcement_id = int(request.path_params["id"])
    except ValueError:
        raise HTTPException(404) from None
    if not 0 <= announcement_id < 2**63:  # more than SQLite's integers hold
        raise HTTPException(404)
    item = announcements.get(request.app.state.db, announcement_id)
    if item is None:
        raise HTTPException(404)
    content: Content = request.app.state.content
    if not any(
        item.reaches(area) and can(principal, Action.VIEW_AREA, area) for area in content.recipes
    ):
        raise HTTPException(404)
    return item


def _may_act(principal: Principal, item: announcements.Stored) -> bool:
    """Cancelling needs the right to announce to every area it went to."""
    if announcements.ALL in item.areas:
        return can(principal, Action.SEND_ANNOUNCEMENTS)
    return all(can(principal, Action.SEND_ANNOUNCEMENTS, area) for area in item.areas)


def _area_names(request: Request) -> dict[str, str]:
    content: Content = request.app.state.content
    return {area: recipe.name for area, recipe in content.recipes.items()}


def _page(
    request: Request,
    principal: Principal,
    typed: dict[str, object],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    db: sqlite3.Connection = request.app.state.db
    content: Content = request.app.state.content
    now = time.time()
    visible = [
        item
        for item in announcements.recent(db)
        if any(
            item.reaches(area) and can(principal, Action.VIEW_AREA, area)
            for area in content.recipes
        )
    ]
    return pages.render(
        request,
        "announcements.html",
        {
            "typed": typed,
            "errors": errors,
            "areas": _areas(request, principal),
            "may_all": can(principal, Action.SEND_ANNOUNCEMENTS),
            "live": [item for item in visible if item.live_at(now)],
            "past": [item for item in visible if not item.live_at(now)][:20],
            "area_names": _area_names(request),
            "when": lambda moment: _when(moment, COPENHAGEN),
            "default_hours": announcements.DEFAULT_INFO_HOURS,
        },
        status_code=status_code,
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _moment(
    value: str, zone: ZoneInfo, name: str, errors: dict[str, str], gettext: Callable[[str], str]
) -> float | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        errors[name] = gettext("Write the time as 2026-12-06 10:00 (or pick it).")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def _when(moment: float | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "–"
    local = dt.datetime.fromtimestamp(moment, zone)
    today = dt.datetime.now(zone).date()
    if local.date() == today:
        return f"{local:%H.%M}"
    return f"{local.day}.{local.month}. {local:%H.%M}"


async def _render(data: bytes) -> images.Rendition:
    return await asyncio.to_thread(images.render, data, "landscape")


ROUTES = [
    Route("/announcements", announcements_page, methods=["GET"]),
    Route("/announcements", send, methods=["POST"]),
    Route("/announcements/{id}", status_page, methods=["GET"]),
    Route("/announcements/{id}/cancel", cancel, methods=["POST"]),
]
