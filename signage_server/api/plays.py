"""``/api/v1/areas/{area}/plays``: proof of play as JSON — per slide how often and how
long it was on the area's screens, and per day, over a range of local days (the web UI's
charts and CSV export show the same, see docs/plays.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import plays
from .areas import AREA, area_of
from .errors import Invalid, json_response
from .language import Messages, messages
from .routing import Answer, Routes

DEFAULT_DAYS = 7
PARAMETERS = (
    AREA,
    {
        "name": "from",
        "in": "query",
        "required": False,
        "description": "the first local day, YYYY-MM-DD (default: six days before `to`)",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "the last local day, YYYY-MM-DD (default: today)",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "slide",
        "in": "query",
        "required": False,
        "description": "one item id (e.g. morkov/01-plakat.jpg); default: all",
        "schema": {"type": "string", "maxLength": 4096},
    },
)
PLAYS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["area", "from", "to", "slides", "days"],
    "additionalProperties": False,
    "properties": {
        "area": {"type": "string"},
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "slides": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["item", "title", "plays", "seconds", "screens"],
                "additionalProperties": False,
                "properties": {
                    "item": {"type": "string"},
                    "title": {"type": "string"},
                    "plays": {"type": "integer"},
                    "seconds": {"type": "number"},
                    "screens": {"type": "integer"},
                },
            },
        },
        "days": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["day", "plays", "seconds"],
                "additionalProperties": False,
                "properties": {
                    "day": {"type": "string", "format": "date"},
                    "plays": {"type": "integer"},
                    "seconds": {"type": "number"},
                },
            },
        },
    },
}

routes = Routes("plays", {"Plays": PLAYS_SCHEMA})


@routes.get(
    "/areas/{area}/plays",
    summary="Proof of play: time on the area's screens per slide and per day",
    description="Over a range of local days in the area's time zone, at most "
    f"{plays.MAX_DAYS} days. The CSV of every play is at /areas/{{area}}/plays.csv in the "
    "web UI.",
    parameters=PARAMETERS,
    errors=(422,),
    answers={200: Answer("the totals", {"$ref": "#/components/schemas/Plays"})},
)
async def area_plays(request: Request) -> Response:
    _principal, recipe = area_of(request)
    say = messages(request)
    zone = recipe.zone
    params = request.query_params
    today = dt.datetime.now(zone).date()
    last = _day(params.get("to"), "to", today, say)
    first = _day(params.get("from"), "from", last - dt.timedelta(days=DEFAULT_DAYS - 1), say)
    if first > last:
        raise Invalid(say.say("from is after to", "Fra ligger efter til."), "from")
    if (last - first).days + 1 > plays.MAX_DAYS:
        raise Invalid(
            say.say(
                f"at most {plays.MAX_DAYS} days at a time",
                f"Højst {plays.MAX_DAYS} dage ad gangen.",
            ),
            "from",
        )
    slide = params.get("slide") or None
    span = plays.DateRange(first, last, zone)
    db = request.app.state.db
    return json_response(
        {
            "area": recipe.area,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "slides": [
                {
                    "item": total.item,
                    "title": total.title,
                    "plays": total.plays,
                    "seconds": round(total.seconds, 1),
                    "screens": total.screens,
                }
                for total in plays.totals_by_slide(db, recipe.area, span, slide)
            ],
            "days": [
                {"day": day.day.isoformat(), "plays": day.plays, "seconds": round(day.seconds, 1)}
                for day in plays.totals_by_day(db, recipe.area, span, slide)
            ],
        }
    )


def _day(value: str | None, field: str, default: dt.date, say: Messages) -> dt.date:
    if value is None:
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            say.say("expected a date like 2026-12-06", "Skriv datoen som 2026-12-06."), field
        ) from None
    if not 2000 <= day.year <= 2100:
        raise Invalid(say.say("the date is out of range", "Datoen er uden for det mulige."), field)
    return day
