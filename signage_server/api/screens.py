"""``/api/v1/screens``: the screens and their status. An admin token sees every screen
(the revoked ones too); an editor token, the screens of its areas."""

from __future__ import annotations

import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from .. import screens
from ..content import Content
from ..permissions import Action, can
from ..recipes import DEFAULT_TIMEZONE
from . import auth
from .errors import json_response
from .routing import Answer, Routes
from .shapes import MOMENT, TEXT_OR_NULL, collection, moment, ref

SCREEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "name",
        "area",
        "online",
        "connected_at",
        "disconnected_at",
        "last_seen",
        "item",
        "version",
        "software",
        "revoked",
        "revoked_at",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "area": {"type": "string"},
        "online": {"type": "boolean", "description": "connected now"},
        "connected_at": {**MOMENT, "description": "when its current (or last) connection began"},
        "disconnected_at": {**MOMENT, "description": "when its last connection ended"},
        "last_seen": MOMENT,
        "item": {**TEXT_OR_NULL, "description": "the item on screen, as it last reported"},
        "version": {**TEXT_OR_NULL, "description": "the snapshot version it plays"},
        "software": {**TEXT_OR_NULL, "description": "the player's software version"},
        "revoked": {"type": "boolean"},
        "revoked_at": MOMENT,
    },
}

routes = Routes("screens", {"Screen": SCREEN_SCHEMA})


def screen_json(screen: screens.Screen, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": screen.id,
        "name": screen.name,
        "area": screen.area,
        "online": screen.connected,
        "connected_at": moment(screen.connected_at, zone),
        "disconnected_at": moment(screen.disconnected_at, zone),
        "last_seen": moment(screen.last_seen, zone),
        "item": screen.item,
        "version": screen.version,
        "software": screen.software,
        "revoked": screen.revoked_at is not None,
        "revoked_at": moment(screen.revoked_at, zone),
    }


@routes.get(
    "/screens",
    summary="The screens and their status",
    description="An admin token sees every screen, the revoked ones too; an editor token "
    "the screens of its areas. Times are in the screen's area's time zone.",
    answers={200: Answer("the screens, by area and name", collection("screens", ref("Screen")))},
)
async def list_screens(request: Request) -> Response:
    principal = auth.principal(request)
    content: Content = request.app.state.content
    db: sqlite3.Connection = request.app.state.db
    every = can(principal, Action.MANAGE_SCREENS)
    shown = []
    for screen in screens.all_screens(db, revoked=True):
        if not every and not can(principal, Action.VIEW_AREA, screen.area):
            continue
        recipe = content.recipes.get(screen.area)
        shown.append(screen_json(screen, recipe.zone if recipe else ZoneInfo(DEFAULT_TIMEZONE)))
    return json_response({"screens": shown})
