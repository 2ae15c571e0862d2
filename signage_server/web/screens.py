"""The admins' screens page: every screen with its area, whether it is online and since
when, what it shows, which snapshot and player software it runs, how its machine is doing;
revoking a screen, which refuses its token and closes its connection at once; and the form
that pairs a new screen by the code it shows (web/pairing.py), and each screen's page with
its screenshot (web/screenshots.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import players, screens
from ..content import Content
from ..hub import Hub
from ..permissions import Action
from ..recipes import DEFAULT_TIMEZONE
from . import auth, health, i18n, pages

ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip
#: How much of a snapshot's version (a hash) the page shows; the whole is in a tooltip.
VERSION_CHARS = 10


def moment(when: float, now: float, zone: ZoneInfo, language: i18n.Language) -> str:
    """``when`` as a person in ``zone`` says it: "07.12" today, "i går 22.03" yesterday,
    "3.2. kl. 22.03" before that (with the year when it is not this year's)."""
    local = dt.datetime.fromtimestamp(when, zone)
    today = dt.datetime.fromtimestamp(now, zone).date()
    clock = local.strftime("%H.%M" if language.code == "da" else "%H:%M")
    if local.date() >= today:  # also a moment a little ahead of this clock
        return clock
    if local.date() == today - dt.timedelta(days=1):
        return language.gettext("yesterday %(time)s") % {"time": clock}
    year = "" if local.year == today.year else str(local.year)
    if language.code == "da":
        date = f"{local.day}.{local.month}.{year}"
    else:
        date = f"{local.day} {ENGLISH_MONTHS[local.month - 1]} {year}".strip()
    return language.gettext("%(date)s at %(time)s") % {"date": date, "time": clock}


def _iso(when: float | None) -> str | None:
    return None if when is None else dt.datetime.fromtimestamp(when, dt.UTC).isoformat()


def screen_rows(
    all_screens: list[screens.Screen],
    content: Content,
    hub: Hub,
    language: i18n.Language,
    now: float,
    connections: players.Connections | None = None,
) -> list[dict[str, Any]]:
    """One row of the page per screen, with every time in the screen's area's time zone."""
    rows = []
    for screen in all_screens:
        recipe = content.recipes.get(screen.area)
        zone = recipe.zone if recipe else ZoneInfo(DEFAULT_TIMEZONE)
        published = hub.current(screen.area)
        titles = (
            {item.id: item.title or item.id for item in published.snapshot.items}
            if published
            else {}
        )
        since = screen.connected_at if screen.connected else screen.disconnected_at
        if since is None and not screen.connected:
            since = screen.last_seen  # disconnected before the server kept the moment

        def when(value: float | None, zone: ZoneInfo = zone) -> str | None:
            return None if value is None else moment(value, now, zone, language)

        if screen.version is None or published is None:
            version_state = None
        elif screen.version == published.snapshot.version:
            version_state = "newest"
        else:
            version_state = "outdated"
        rows.append(
            {
                "id": screen.id,
                "name": screen.name,
                "area": screen.area,
                "area_name": recipe.name if recipe else screen.area,
                "online": screen.connected,
                "since": when(since),
                "since_iso": _iso(since),
                "last_seen": when(screen.last_seen),
                "last_seen_iso": _iso(screen.last_seen),
                "showing": titles.get(screen.item, screen.item) if screen.item else None,
                "version": screen.version,
                "version_short": screen.version[:VERSION_CHARS] if screen.version else None,
                "version_state": version_state,
                "software": screen.software,
                "revoked": when(screen.revoked_at),
                "revoked_iso": _iso(screen.revoked_at),
                "health": health.describe(screen.health, language, language.code),
                "health_at": when(screen.health_at),
                "health_at_iso": _iso(screen.health_at),
                # Asked of the connection, not the database: what the player said in its
                # hello (protocol 1.3 or newer).
                "screenshots": connections is not None
                and screen.connected
                and connections.can_screenshot(screen.id),
                "screenshot_at": when(screen.screenshot_at),
            }
        )
    return rows


async def screens_page(request: Request) -> Response:
    auth.require(request, Action.MANAGE_SCREENS)
    return render_page(request, {"code": request.query_params.get("code", "")[:32]}, {})


def render_page(
    request: Request,
    typed: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The Skærme page, with the pairing form as typed and its errors."""
    db: sqlite3.Connection = request.app.state.db
    content: Content = request.app.state.content
    language = i18n.language(request)
    everything = screen_rows(
        screens.all_screens(db, revoked=True),
        content,
        request.app.state.hub,
        language,
        time.time(),
        request.app.state.player_connections,
    )
    active = [row for row in everything if row["revoked"] is None]
    revoked = [row for row in everything if row["revoked"] is not None]
    notice = None
    asked = request.query_params.get("revoked", "")
    if asked.isdigit():
        done = next((row for row in revoked if row["id"] == int(asked)), None)
        if done is not None:
            notice = language.gettext(
                "The screen “%(name)s” is revoked: it was disconnected and cannot connect again."
            ) % {"name": done["name"]}
    paired = request.query_params.get("paired", "")
    if paired.isdigit():
        done = next((row for row in active if row["id"] == int(paired)), None)
        if done is not None:
            notice = language.gettext(
                "The screen “%(name)s” is paired with %(area)s. It fetches its content now."
            ) % {"name": done["name"], "area": done["area_name"]}
    areas = sorted(
        ((area, recipe.name) for area, recipe in content.recipes.items()),
        key=lambda pair: pair[1],
    )
    return pages.render(
        request,
        "screens.html",
        {
            "active": active,
            "revoked": revoked,
            "notice": notice,
            "areas": areas,
            "typed": typed,
            "errors": errors,
        },
        status_code=status_code,
    )


async def revoke(request: Request) -> Response:
    """Revoke the screen's token and close its connections; back to the list."""
    auth.require(request, Action.MANAGE_SCREENS)
    db: sqlite3.Connection = request.app.state.db
    screen_id: int = request.path_params["screen_id"]
    if screens.get(db, screen_id) is None:
        return pages.not_found(request)
    screens.revoke(db, screen_id)  # revoked already: nothing to do but show it
    connections: players.Connections = request.app.state.player_connections
    connections.close_screen(screen_id)
    return RedirectResponse(f"/screens?revoked={screen_id}", status_code=303)


def _routes() -> list[Route]:
    # Here, not at the top: those modules render this page (pairing) and its rows.
    from . import pairing, screenshots

    return [
        Route("/screens", screens_page, methods=["GET"]),
        Route("/screens/{screen_id:int}/revoke", revoke, methods=["POST"]),
        *pairing.ROUTES,
        *screenshots.ROUTES,
    ]


ROUTES = _routes()
