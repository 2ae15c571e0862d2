"""``/api/v1/feeds``: each feed of ``playlists/feeds.toml`` and how it fares, as
``signage feeds --json`` shows it (feeds/report.py), with times as ISO 8601. An admin
token sees every feed; an editor token, the feeds that reach its areas."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..content import Content
from ..feeds import report
from ..permissions import Action, can
from . import auth
from .errors import json_response
from .routing import Answer, Routes
from .shapes import MOMENT, TEXT_OR_NULL, collection, moment, ref

TIMES = ("last_success", "last_attempt", "last_change", "next_poll")
FEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "kind",
        "url",
        "areas",
        "state",
        "title",
        "items",
        "last_success",
        "last_attempt",
        "last_change",
        "last_error",
        "failures",
        "next_poll",
        "warnings",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "kind": {"enum": ["news", "events"]},
        "url": {"type": "string"},
        "areas": {
            "oneOf": [{"const": "all"}, {"type": "array", "items": {"type": "string"}}],
            "description": '"all", or the ids of the areas it goes to',
        },
        "state": {
            "enum": ["ok", "failing", "waiting"],
            "description": "waiting: not polled yet; failing: its last poll failed, and the "
            "screens show its last good items",
        },
        "title": {"type": "string"},
        "items": {"type": "integer", "minimum": 0},
        "last_success": MOMENT,
        "last_attempt": MOMENT,
        "last_change": MOMENT,
        "last_error": TEXT_OR_NULL,
        "failures": {"type": "integer", "minimum": 0, "description": "failed polls in a row"},
        "next_poll": MOMENT,
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
FEEDS_SCHEMA: dict[str, Any] = {
    **collection("feeds", ref("Feed")),
    "required": ["feeds", "error"],
    "properties": {
        "feeds": {"type": "array", "items": ref("Feed")},
        "error": {
            **TEXT_OR_NULL,
            "description": "why feeds.toml is not loaded now (admin tokens only); the last "
            "good feeds go on",
        },
    },
}

routes = Routes("feeds", {"Feed": FEED_SCHEMA})


@routes.get(
    "/feeds",
    summary="The feeds and their status",
    answers={200: Answer("the feeds, in the order of feeds.toml", FEEDS_SCHEMA)},
)
async def list_feeds(request: Request) -> Response:
    principal = auth.principal(request)
    content: Content = request.app.state.content
    every = can(principal, Action.MANAGE_FEEDS)
    shown = []
    for row in report.rows(content.feeds, content.poller.db):
        areas = row["areas"]
        if (
            not every
            and areas != "all"
            and not any(can(principal, Action.VIEW_AREA, area) for area in areas)
        ):
            continue
        shown.append({**row, **{name: moment(row[name]) for name in TIMES}})
    error = str(content.feeds_error) if content.feeds_error and every else None
    return json_response({"feeds": shown, "error": error})
