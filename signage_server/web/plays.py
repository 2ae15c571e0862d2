"""Proof of play in the web UI: how long each slide of an area was on its screens, per slide
and per day (charts drawn as inline SVG, the numbers in a table beside them), the CSV export,
and one screen's day as a timeline. Dates and times are the area's.

The charts need no script: the server works out every bar's place and size and writes the
SVG (widths in per cent, so a chart fits a phone and a desktop alike).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import sqlite3
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import plays, screens
from ..content import Content
from ..permissions import Action, can
from ..recipes import DEFAULT_TIMEZONE, Recipe
from . import auth, i18n, pages, sessions

DEFAULT_DAYS = 7
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_SPACE_RE = re.compile(r"(\d) ")
#: Okabe and Ito's colours (told apart with every kind of colour blindness), then more.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
    "#882255", "#44aa99", "#999933", "#6699cc",
)  # fmt: skip
#: The bar chart: per slide a line of text and a bar under it, in CSS pixels.
SLIDE_ROW = 46
#: The day chart's columns, and the timeline's bands.
DAY_CHART_HEIGHT = 150
HOUR_ROW = 30
#: The timeline's hour labels take this much of its width (per cent); the hours the rest.
LABEL_SHARE = 10.0
#: A title in a chart is cut to this many characters; the table has it whole.
CHART_TITLE_CHARS = 24
MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
WEEKDAYS = {
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


class BadQuery(Exception):
    """A date or range in the address that cannot be used; shown as a 400 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- words for people ----------------------------------------------------------------------


def duration(seconds: float, language: i18n.Language) -> str:
    """``45 s``, ``3 min 20 s``, ``2 t 13 min`` (Danish) or ``2 h 13 min``; a number keeps to
    its unit (a no-break space), so a narrow table breaks only between the units."""
    total = round(seconds)
    if total < 60:
        text = language.gettext("%(seconds)d s") % {"seconds": total}
    elif total < 3600:
        minutes, rest = divmod(total, 60)
        if rest == 0 or minutes >= 10:
            text = language.gettext("%(minutes)d min") % {"minutes": round(total / 60)}
        else:
            text = language.gettext("%(minutes)d min %(seconds)d s") % {
                "minutes": minutes,
                "seconds": rest,
            }
    else:
        hours, minutes = divmod(round(total / 60), 60)
        text = language.gettext("%(hours)d h %(minutes)d min") % {
            "hours": hours,
            "minutes": minutes,
        }
    return NUMBER_SPACE_RE.sub("\\1\u00a0", text)


def count(number: int, language: i18n.Language) -> str:
    """A whole number with the language's thousands separator (3.210 / 3,210)."""
    text = f"{number:,}"
    return text.replace(",", ".") if language.code == "da" else text


def long_date(day: dt.date, language: i18n.Language, weekday: bool = False) -> str:
    """``1. december 2025`` or ``1 December 2025``, after the weekday if asked."""
    code = language.code if language.code in MONTHS else "da"
    month = MONTHS[code][day.month - 1]
    text = f"{day.day}. {month} {day.year}" if code == "da" else f"{day.day} {month} {day.year}"
    return f"{WEEKDAYS[code][day.weekday()]} {text}" if weekday else text


def short_date(day: dt.date, language: i18n.Language) -> str:
    return f"{day.day}.{day.month}." if language.code == "da" else f"{day.day}/{day.month}"


def clock(when: float, zone: ZoneInfo, language: i18n.Language, seconds: bool = False) -> str:
    local = dt.datetime.fromtimestamp(when, zone)
    separator = "." if language.code == "da" else ":"
    form = ["%H", "%M", "%S"] if seconds else ["%H", "%M"]
    return local.strftime(separator.join(form))


def _cut(text: str, limit: int = CHART_TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


# --- reading the address --------------------------------------------------------------------


def parse_day(value: str, field: str, language: i18n.Language) -> dt.date:
    """A date written YYYY-MM-DD; raises BadQuery naming the field and what it got."""
    try:
        if not DATE_RE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadQuery(
            language.gettext("“%(field)s”: “%(value)s” is not a date. Write it as YYYY-MM-DD.")
            % {"value": value[:40], "field": field}
        ) from None


def date_range(request: Request, zone: ZoneInfo, language: i18n.Language) -> plays.DateRange:
    """``from`` and ``to`` (both included) from the address; by default the last 7 days."""
    today = dt.datetime.now(zone).date()
    given_to = request.query_params.get("to", "").strip()
    given_from = request.query_params.get("from", "").strip()
    last = parse_day(given_to, language.gettext("To"), language) if given_to else today
    first = (
        parse_day(given_from, language.gettext("From"), language)
        if given_from
        else last - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
    if first > last:
        raise BadQuery(language.gettext("The first day comes after the last one."))
    if (last - first).days + 1 > plays.MAX_DAYS:
        raise BadQuery(
            language.gettext("Choose at most %(num)d days at a time.") % {"num": plays.MAX_DAYS}
        )
    return plays.DateRange(first, last, zone)


def _bad_query(request: Request, problem: BadQuery) -> Response:
    return pages.render(
        request, "plays_bad_request.html", {"message": problem.message}, status_code=400
    )


def _area(request: Request) -> Recipe:
    """The area of the address, if the asker may see it; 404 for an unknown one."""
    area = request.path_params["area"]
    content: Content = request.app.state.content
    recipe = content.recipes.get(area)
    if recipe is None:
        auth.require(request, Action.VIEW_OVERVIEW)
        raise HTTPException(404)
    auth.require(request, Action.VIEW_AREA, area)
    return recipe


def _slide(request: Request) -> str | None:
    value = request.query_params.get("slide", "")
    return value[:4096] or None


# --- the area's page --------------------------------------------------------------------------


async def area_plays(request: Request) -> Response:
    recipe = _area(request)
    language = i18n.language(request)
    try:
        span = date_range(request, recipe.zone, language)
    except BadQuery as problem:
        return _bad_query(request, problem)
    slide = _slide(request)
    db: sqlite3.Connection = request.app.state.db
    content: Content = request.app.state.content
    totals = plays.totals_by_slide(db, recipe.area, span)
    # The slides on the screens now count too: one never shown is a finding.
    shown = {total.item for total in totals}
    published = content.hub.current(recipe.area)
    for item in published.snapshot.items if published else ():
        if item.id not in shown:
            totals.append(plays.SlideTotal(item.id, item.title, 0, 0.0, 0))
            shown.add(item.id)
    titles = {total.item: total.title or total.item for total in totals}
    days = plays.totals_by_day(db, recipe.area, span, slide)
    query = {"from": span.first.isoformat(), "to": span.last.isoformat()}
    area_screens = [
        screen for screen in screens.all_screens(db, revoked=True) if screen.area == recipe.area
    ]
    today = dt.datetime.now(recipe.zone).date().isoformat()
    context = {
        "area": recipe,
        "span": span,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "first_text": long_date(span.first, language),
        "last_text": long_date(span.last, language),
        "slide": slide,
        "max_days": plays.MAX_DAYS,
        "slide_title": titles.get(slide, slide) if slide else None,
        "options": sorted(titles.items(), key=lambda pair: pair[1].casefold()),
        "total_seconds": duration(sum(t.seconds for t in totals), language),
        "total_plays": count(sum(t.plays for t in totals), language),
        "screens_count": plays.screens_with_plays(db, recipe.area, span),
        "slide_chart": slide_chart(totals, language, query),
        "day_chart": day_chart(days, language),
        "csv_all": f"/areas/{recipe.area}/plays.csv?" + urlencode(query),
        "csv_slide": f"/areas/{recipe.area}/plays.csv?" + urlencode({**query, "slide": slide})
        if slide
        else None,
        "area_screens": [
            {"id": s.id, "name": s.name, "revoked": s.revoked_at is not None} for s in area_screens
        ],
        "today": today,
    }
    return pages.render(request, "plays_area.html", context)


def slide_chart(
    totals: list[plays.SlideTotal], language: i18n.Language, query: dict[str, str]
) -> dict[str, Any]:
    """Bars for the slides, longest first: geometry for the SVG, words for the table."""
    longest = max((t.seconds for t in totals), default=0.0)
    rows = []
    for index, total in enumerate(totals):
        share = 100.0 * total.seconds / longest if longest else 0.0
        title = total.title or total.item
        rows.append(
            {
                "item": total.item,
                "title": title,
                "short": _cut(title),
                "plays": count(total.plays, language),
                "plays_number": total.plays,
                "time": duration(total.seconds, language),
                "text_y": index * SLIDE_ROW + 17,
                "bar_y": index * SLIDE_ROW + 24,
                "width": _pct(max(share, 0.4) if total.seconds else 0.0),
                "colour": PALETTE[index % len(PALETTE)],
                "link": "?" + urlencode({**query, "slide": total.item}),
            }
        )
    return {"rows": rows, "height": max(1, len(rows)) * SLIDE_ROW}


def day_chart(days: list[plays.DayTotal], language: i18n.Language) -> dict[str, Any]:
    """A column per day; a label under every day, or every few days in a long range."""
    most = max((d.seconds for d in days), default=0.0)
    step = 1 if len(days) <= 8 else math.ceil(len(days) / 7)
    slot = 100.0 / max(1, len(days))
    columns = []
    for index, day in enumerate(days):
        height = DAY_CHART_HEIGHT * day.seconds / most if most else 0.0
        if day.seconds:
            height = max(height, 1.0)
        columns.append(
            {
                "date": long_date(day.day, language, weekday=True),
                "time": duration(day.seconds, language),
                "plays": count(day.plays, language),
                "x": _pct(index * slot + slot * 0.15),
                "width": _pct(slot * 0.7),
                "centre": _pct(index * slot + slot / 2),
                "y": f"{DAY_CHART_HEIGHT - height + 4:.1f}",
                "height": f"{height:.1f}",
                "label": short_date(day.day, language) if index % step == 0 else None,
            }
        )
    return {"columns": columns, "base": DAY_CHART_HEIGHT + 4, "height": DAY_CHART_HEIGHT + 28}


# --- the export -----------------------------------------------------------------------------


async def area_plays_csv(request: Request) -> Response:
    recipe = _area(request)
    language = i18n.language(request)
    try:
        span = date_range(request, recipe.zone, language)
    except BadQuery as problem:
        return _bad_query(request, problem)
    slide = _slide(request)
    db: sqlite3.Connection = request.app.state.db
    names = {screen.id: screen.name for screen in screens.all_screens(db, revoked=True)}
    zone = recipe.zone

    async def body() -> AsyncIterator[str]:
        # A byte order mark, so that a spreadsheet reads æ, ø and å as UTF-8.
        yield "\ufeff" + plays.csv_header()
        for rows in plays.export_rows(db, recipe.area, span, slide):
            yield plays.csv_lines(rows, names, zone)
            await asyncio.sleep(0)  # the screens' traffic goes on between chunks

    name = f"visninger-{recipe.area}-{span.first.isoformat()}-{span.last.isoformat()}.csv"
    headers = {**pages.HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=headers)


# --- a screen's day ---------------------------------------------------------------------------


async def screen_day(request: Request) -> Response:
    db: sqlite3.Connection = request.app.state.db
    screen = screens.get(db, request.path_params["screen_id"])
    if screen is None:
        auth.require(request, Action.VIEW_OVERVIEW)
        raise HTTPException(404)
    principal = sessions.principal(request)
    # The admins see every screen; an editor the screens of their areas.
    if not (can(principal, Action.MANAGE_SCREENS) or can(principal, Action.VIEW_AREA, screen.area)):
        auth.require(request, Action.MANAGE_SCREENS)  # raises: log in, or not allowed
    content: Content = request.app.state.content
    recipe = content.recipes.get(screen.area)
    zone = recipe.zone if recipe else ZoneInfo(DEFAULT_TIMEZONE)
    language = i18n.language(request)
    given = request.query_params.get("date", "").strip()
    try:
        day = (
            parse_day(given, language.gettext("Day"), language)
            if given
            else dt.datetime.now(zone).date()
        )
    except BadQuery as problem:
        return _bad_query(request, problem)
    segments = plays.screen_day(db, screen.id, day, zone)
    context = {
        "screen": screen,
        "area_name": recipe.name if recipe else screen.area,
        "may_view_area": recipe is not None and can(principal, Action.VIEW_AREA, screen.area),
        "day": day.isoformat(),
        "day_text": long_date(day, language, weekday=True),
        "previous": (day - dt.timedelta(days=1)).isoformat(),
        "next": (day + dt.timedelta(days=1)).isoformat(),
        **timeline(segments, day, zone, language),
    }
    return pages.render(request, "plays_day.html", context)


def timeline(
    segments: list[plays.Segment], day: dt.date, zone: ZoneInfo, language: i18n.Language
) -> dict[str, Any]:
    """A band per hour of the local day, each play a segment in its slide's colour, and the
    legend: the slides, longest on screen first."""
    by_item: dict[str, list[plays.Segment]] = {}
    for segment in segments:
        by_item.setdefault(segment.item, []).append(segment)
    order = sorted(by_item, key=lambda item: (-sum(s.seconds for s in by_item[item]), item))
    colours = {item: PALETTE[index % len(PALETTE)] for index, item in enumerate(order)}
    legend = [
        {
            "title": by_item[item][-1].title or item,
            "item": item,
            "colour": colours[item],
            "plays": count(len(by_item[item]), language),
            "time": duration(sum(s.seconds for s in by_item[item]), language),
        }
        for item in order
    ]
    hour_bands = plays.hours(day, zone)
    parts: list[list[dict[str, str]]] = [[] for _ in hour_bands]
    for segment in segments:
        tip = (
            f"{clock(segment.start, zone, language, seconds=True)}–"
            f"{clock(segment.end, zone, language, seconds=True)} "
            f"{segment.title or segment.item} ({duration(segment.seconds, language)})"
        )
        for row, (start, end) in enumerate(hour_bands):
            begin, finish = max(start, segment.start), min(end, segment.end)
            if finish > begin:
                parts[row].append(
                    {
                        "x": _pct(LABEL_SHARE + (100 - LABEL_SHARE) * (begin - start) / 3600),
                        "width": _pct((100 - LABEL_SHARE) * (finish - begin) / 3600),
                        "colour": colours[segment.item],
                        "tip": tip,
                    }
                )
    bands = []
    for row, (start, _) in enumerate(hour_bands):
        bands.append(
            {
                "label": dt.datetime.fromtimestamp(start, zone).strftime("%H"),
                "y": row * HOUR_ROW + 4,
                "text_y": row * HOUR_ROW + 21,
                "parts": parts[row],
            }
        )
    return {
        "bands": bands,
        "legend": legend,
        "band_x": _pct(LABEL_SHARE),
        "band_width": _pct(100 - LABEL_SHARE),
        "band_height": HOUR_ROW - 8,
        "height": len(bands) * HOUR_ROW + 4,
        "plays_count": count(len(segments), language),
        "total": duration(sum(s.seconds for s in segments), language),
        "first_shown": clock(segments[0].start, zone, language) if segments else None,
        "last_shown": clock(segments[-1].end, zone, language) if segments else None,
    }


ROUTES = [
    Route("/areas/{area}/plays", area_plays, methods=["GET"]),
    Route("/areas/{area}/plays.csv", area_plays_csv, methods=["GET"]),
    Route("/screens/{screen_id:int}/day", screen_day, methods=["GET"]),
]
