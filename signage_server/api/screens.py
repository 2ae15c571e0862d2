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

NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
INTEGER_OR_NULL: dict[str, Any] = {"type": ["integer", "null"]}
BOOLEAN_OR_NULL: dict[str, Any] = {"type": ["boolean", "null"]}
HEALTH_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "the machine's last report (protocol 1.3 heartbeats); null before one "
    "came. A field the player could not tell is left out.",
    "additionalProperties": False,
    "properties": {
        "uptime": {**NUMBER_OR_NULL, "description": "seconds since the machine started"},
        "player_uptime": {**NUMBER_OR_NULL, "description": "seconds since the player started"},
        "cache_bytes": {**INTEGER_OR_NULL, "description": "bytes in the asset cache"},
        "disk_free": {**INTEGER_OR_NULL, "description": "free bytes on the cache's disk"},
        "disk_total": {**INTEGER_OR_NULL, "description": "bytes of the cache's disk"},
        "disk_full": {**BOOLEAN_OR_NULL, "description": "the cache could not store a file"},
        "memory": {**INTEGER_OR_NULL, "description": "resident bytes of the player process"},
        "temperature": {**NUMBER_OR_NULL, "description": "SoC temperature, °C"},
        "throttled": {
            **TEXT_OR_NULL,
            "description": "`vcgencmd get_throttled` as printed, e.g. 0x50005",
        },
        "clock_trusted": {**BOOLEAN_OR_NULL, "description": "the player trusts its clock"},
        "clock_offset": {**NUMBER_OR_NULL, "description": "server clock minus the player's, s"},
        "display": {**TEXT_OR_NULL, "description": "on, off or unknown"},
    },
}

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
        "health",
        "health_at",
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
        "health": HEALTH_SCHEMA,
        "health_at": {**MOMENT, "description": "when the health was reported"},
    },
}

HEALTH_FIELDS = frozenset(HEALTH_SCHEMA["properties"])

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
        "health": {key: value for key, value in screen.health.items() if key in HEALTH_FIELDS}
        if screen.health is not None
        else None,
        "health_at": moment(screen.health_at, zone),
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
