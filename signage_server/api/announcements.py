"""``/api/v1/announcements``: send one, cancel it, see screen by screen whether it was
received and shown. The rules are announcements.py's (docs/announcements.md); an admin
token may announce to all areas or any, an editor token to its own areas."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import announcements
from ..announcing import Announcer
from ..content import Content
from ..permissions import Action, Principal, can
from . import auth, bodies, idempotency
from .errors import Forbidden, Invalid, NotFound, json_response
from .language import Messages, messages
from .routing import PREFIX, Answer, Routes, path_parameter
from .shapes import MOMENT, moment, ref

FIELDS = ("title", "text", "severity", "areas", "starts_at", "ends_at")
DELIVERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["screen", "name", "area", "online", "received_at", "shown_at"],
    "additionalProperties": False,
    "properties": {
        "screen": {"type": "integer"},
        "name": {"type": "string"},
        "area": {"type": "string"},
        "online": {"type": "boolean"},
        "received_at": MOMENT,
        "shown_at": MOMENT,
    },
}
ANNOUNCEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "title",
        "text",
        "severity",
        "areas",
        "starts_at",
        "ends_at",
        "created_at",
        "created_by",
        "cancelled_at",
        "live",
        "deliveries",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "severity": {"type": "string", "enum": ["info", "urgent"]},
        "areas": {"type": "array", "items": {"type": "string"}},
        "starts_at": MOMENT,
        "ends_at": MOMENT,
        "created_at": MOMENT,
        "created_by": {"type": "string"},
        "cancelled_at": MOMENT,
        "live": {"type": "boolean", "description": "not ended and not cancelled"},
        "deliveries": {"type": "array", "items": ref("Delivery")},
    },
}
CREATE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["title", "areas"],
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": 120},
                    "text": {"type": "string", "maxLength": 600},
                    "severity": {"type": "string", "enum": ["info", "urgent"]},
                    "areas": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string"},
                        "description": 'area ids, or ["all"]',
                    },
                    "starts_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "with an offset; absent or null: now",
                    },
                    "ends_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "with an offset; required for urgent",
                    },
                },
            }
        }
    },
}
ID = path_parameter("id", "the announcement's number", type="integer", minimum=0)

routes = Routes("announcements", {"Announcement": ANNOUNCEMENT_SCHEMA, "Delivery": DELIVERY_SCHEMA})


def announcement_json(db: sqlite3.Connection, item: announcements.Stored) -> dict[str, Any]:
    now = time.time()
    return {
        "id": item.id,
        "title": item.title,
        "text": item.text,
        "severity": item.severity,
        "areas": list(item.areas),
        "starts_at": moment(item.starts_at),
        "ends_at": moment(item.ends_at),
        "created_at": moment(item.created_at),
        "created_by": item.created_by,
        "cancelled_at": moment(item.cancelled_at),
        "live": item.live_at(now),
        "deliveries": [
            {
                "screen": d.screen_id,
                "name": d.screen,
                "area": d.area,
                "online": d.connected,
                "received_at": moment(d.received_at),
                "shown_at": moment(d.shown_at),
            }
            for d in announcements.deliveries(db, item)
        ],
    }


@routes.post(
    "/announcements",
    summary="Send an announcement",
    description="On the screens of the areas within a second; see docs/announcements.md "
    "for the rules (an urgent one needs `ends_at`; an info one ends after 24 hours).",
    parameters=(idempotency.PARAMETER,),
    body=CREATE_BODY,
    answers={
        201: Answer(
            "sent",
            ref("Announcement"),
            {"Location": {"required": True, "schema": {"type": "string"}}},
        )
    },
)
async def create(request: Request) -> Response:
    principal = auth.principal(request)
    say = messages(request)
    body = await bodies.json_object(request, say)
    request_hash = idempotency.fingerprint(
        "POST", request.url.path, [("json", json.dumps(body, sort_keys=True))]
    )

    async def act() -> Response:
        return await _create(request, principal, body, say)

    return await idempotency.once(request, auth.actor(principal), request_hash, say, act)


async def _create(
    request: Request, principal: Principal, body: dict[str, Any], say: Messages
) -> Response:
    content: Content = request.app.state.content
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Invalid(
            say.say(
                f"unknown field; known: {', '.join(FIELDS)}",
                f"Ukendt felt; kendte: {', '.join(FIELDS)}.",
            ),
            unknown[0],
        )
    title, text, severity = (
        body.get(key, default)
        for key, default in (("title", ""), ("text", ""), ("severity", "info"))
    )
    for name, value in (("title", title), ("text", text), ("severity", severity)):
        if not isinstance(value, str):
            raise Invalid(say.say("expected text", "Skriv tekst."), name)
    areas = body.get("areas")
    if not isinstance(areas, list) or not all(isinstance(area, str) for area in areas):
        raise Invalid(
            say.say(
                'expected a list of area ids, or ["all"]',
                'Skriv en liste af områder, eller ["all"].',
            ),
            "areas",
        )
    for area in areas:
        allowed = (
            can(principal, Action.SEND_ANNOUNCEMENTS)
            if area == announcements.ALL
            else area not in content.recipes or can(principal, Action.SEND_ANNOUNCEMENTS, area)
        )
        if not allowed:
            raise Forbidden(f"this token may not announce to {area!r}")
    draft = announcements.Draft(
        title=str(title),
        text=str(text),
        severity=str(severity),
        areas=tuple(areas),
        starts_at=_moment(body.get("starts_at"), "starts_at", say),
        ends_at=_moment(body.get("ends_at"), "ends_at", say),
    )
    try:
        draft = announcements.check(draft, content.recipes, time.time())
    except announcements.AnnouncementError as exc:
        raise Invalid(exc.danish if say.code == "da" else exc.message, exc.field) from None
    db: sqlite3.Connection = request.app.state.db
    stored = announcements.add(db, draft, auth.actor(principal))
    announcer: Announcer = request.app.state.announcer
    await announcer.changed()
    return json_response(
        announcement_json(db, stored),
        201,
        {"Location": f"{PREFIX}/announcements/{stored.id}"},
    )


@routes.get(
    "/announcements/{id}",
    summary="An announcement and its delivery, screen by screen",
    parameters=(ID,),
    answers={200: Answer("the announcement", ref("Announcement"))},
)
async def status(request: Request) -> Response:
    principal = auth.principal(request)
    item = _visible(request, principal)
    return json_response(announcement_json(request.app.state.db, item))


@routes.post(
    "/announcements/{id}/cancel",
    summary="Cancel an announcement on every screen",
    description="Within a second; an ended or cancelled one stays as it is.",
    parameters=(ID,),
    answers={200: Answer("the announcement as it is now", ref("Announcement"))},
)
async def cancel(request: Request) -> Response:
    principal = auth.principal(request)
    item = _visible(request, principal)
    allowed = (
        can(principal, Action.SEND_ANNOUNCEMENTS)
        if announcements.ALL in item.areas
        else all(can(principal, Action.SEND_ANNOUNCEMENTS, area) for area in item.areas)
    )
    if not allowed:
        raise Forbidden("this token may not cancel an announcement that reaches other areas")
    db: sqlite3.Connection = request.app.state.db
    if announcements.cancel(db, item.id, auth.actor(principal)):
        announcer: Announcer = request.app.state.announcer
        await announcer.changed()
    found = announcements.get(db, item.id)
    assert found is not None
    return json_response(announcement_json(db, found))


def _visible(request: Request, principal: Principal) -> announcements.Stored:
    content: Content = request.app.state.content
    try:
        announcement_id = int(request.path_params["id"])
    except ValueError:
        raise NotFound("no such announcement") from None
    if not 0 <= announcement_id < 2**63:  # more than SQLite's integers hold
        raise NotFound("no such announcement")
    item = announcements.get(request.app.state.db, announcement_id)
    if item is None or not any(
        item.reaches(area) and can(principal, Action.VIEW_AREA, area) for area in content.recipes
    ):
        raise NotFound("no such announcement")
    return item


def _moment(value: object, field: str, say: Messages) -> float | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
    except ValueError:
        raise Invalid(
            say.say(
                "expected a moment with an offset, like 2026-12-06T14:00:00+01:00",
                "Skriv et tidspunkt med tidszone, f.eks. 2026-12-06T14:00:00+01:00.",
            ),
            field,
        ) from None
    return parsed.timestamp()
