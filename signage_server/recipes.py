"""Recipes: ``playlists/<area>.toml``, one per area, read and checked.

Every problem is reported as ``file:line: problem`` so that a volunteer who
edited the file by hand can find it. A recipe that fails keeps the last good
version of that area live (the caller decides that; this module only reads).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from player.protocol import LAYOUTS

from .tomlcheck import ConfigError, Locator, load_toml

AREA_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: File names in playlists/ that are not areas.
RESERVED = frozenset({"feeds"})
DEFAULT_TIMEZONE = "Europe/Copenhagen"
DEFAULT_DURATION = 10.0
WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("man", "mandag", "mon", "monday"),
            ("tir", "tirsdag", "tue", "tuesday"),
            ("ons", "onsdag", "wed", "wednesday"),
            ("tor", "torsdag", "thu", "thursday"),
            ("fre", "fredag", "fri", "friday"),
            ("lør", "lørdag", "sat", "saturday"),
            ("søn", "søndag", "sun", "sunday"),
        ]
    )
    for name in names
}
HOURS_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")
TOP_KEYS = frozenset(
    {
        "name",
        "timezone",
        "layout",
        "default_duration",
        "sources",
        "slides",
        "rotation",
        "ticker",
        "overview_days",
        "screens",
    }
)
#: The blocks of an area's rotation: the drop folders' slides, and what the feeds bring.
BLOCKS = ("overview", "slides", "events", "news")
DEFAULT_ROTATION = ("overview", "slides", "events", "news")
#: What the ticker along the bottom shows: headlines of news, of events, of both, or nothing.
TICKER_CHOICES = ("news", "events", "all", "none")
DEFAULT_OVERVIEW_DAYS = 14
SLIDE_KEYS = frozenset({"duration", "from", "until", "weekdays", "hours", "title"})
SCREENS_KEYS = frozenset({"hours"})
#: Values of a day in ``[screens] hours`` that switch the screens off all day.
OFF_WORDS = frozenset({"off", "slukket"})
#: The key of ``[screens] hours`` for the days not named.
OTHER_DAYS = frozenset({"default", "øvrige"})
DAY_NAMES = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


class RecipeError(ConfigError):
    """A recipe file that cannot be used; ``str()`` reads ``file:line: problem``."""


@dataclass(frozen=True)
class SlideRule:
    """Settings for one file of the drop folders, by file name."""

    duration: float | None = None
    start: dt.datetime | None = None
    until: dt.datetime | None = None
    weekdays: frozenset[int] | None = None
    hours: tuple[dt.time, dt.time] | None = None
    title: str | None = None


#: Minutes from the day's midnight: (start, end), end > start; past 1440 runs into the next day.
Span = tuple[int, int]


@dataclass(frozen=True)
class OpeningHours:
    """When the area's screens are on: per weekday (Monday first) a span, or None for off."""

    days: tuple[Span | None, ...]


@dataclass(frozen=True)
class Recipe:
    area: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    layout: str = "landscape"
    default_duration: float = DEFAULT_DURATION
    sources: tuple[str, ...] = ()
    slides: Mapping[str, SlideRule] = field(default_factory=dict)
    #: The order of the blocks in the rotation; a block left out is not shown.
    rotation: tuple[str, ...] = DEFAULT_ROTATION
    ticker: str = "news"
    overview_days: int = DEFAULT_OVERVIEW_DAYS
    #: From the ``[screens]`` table; None: the screens are always on.
    opening_hours: OpeningHours | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def area_files(playlists: Path) -> list[Path]:
    """The recipe files of playlists/, sorted, without reserved names."""
    if not playlists.is_dir():
        return []
    return sorted(
        path
        for path in playlists.glob("*.toml")
        if path.stem not in RESERVED and not path.name.startswith(".")
    )


def load(path: Path) -> Recipe:
    """Read and check one recipe file. Raises RecipeError."""
    area = path.stem
    if not AREA_ID_RE.match(area):
        raise RecipeError(
            path,
            1,
            f"the file name {path.name!r} is not a usable area id: use lower-case "
            "letters a-z, digits, '-' and '_' (for example morkov.toml)",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(path, 1, f"the file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise RecipeError(path, 1, f"cannot read the file: {exc.strerror}") from None
    return parse(path, text)


def parse(path: Path, text: str) -> Recipe:
    """Check the text of a recipe. Raises RecipeError."""
    body, where = load_toml(path, text, RecipeError)
    area = path.stem

    for key in body:
        if key not in TOP_KEYS:
            raise where.error((), key, f"unknown setting {key!r}; known: {_known(TOP_KEYS)}")

    name = body.get("name", area)
    if not isinstance(name, str) or not name.strip():
        raise where.error((), "name", f"name: expected the area's name as text, got {name!r}")

    timezone = body.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(timezone, str):
        raise where.error((), "timezone", f"timezone: expected text, got {timezone!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.error(
            (), "timezone", f"timezone: unknown time zone {timezone!r} (e.g. 'Europe/Copenhagen')"
        ) from None

    layout = body.get("layout", "landscape")
    if layout not in LAYOUTS:
        raise where.error((), "layout", f"layout: expected one of {LAYOUTS}, got {layout!r}")

    default_duration = _duration(where, (), "default_duration", body.get("default_duration"))

    sources_value = body.get("sources", [area, "all"])
    if not isinstance(sources_value, list) or not sources_value:
        raise where.error(
            (), "sources", f"sources: expected a list of folder names, got {sources_value!r}"
        )
    for source in sources_value:
        if not isinstance(source, str) or not AREA_ID_RE.match(source):
            raise where.error((), "sources", f"sources: {source!r} is not a folder name of assets/")
    sources = tuple(dict.fromkeys(sources_value))

    slides_value = body.get("slides", {})
    if not isinstance(slides_value, dict):
        raise where.error((), "slides", 'slides: expected tables like [slides."poster.jpg"]')
    slides = {
        file_name: _slide_rule(where, file_name, rule, ZoneInfo(timezone))
        for file_name, rule in slides_value.items()
    }
    rotation = body.get("rotation", list(DEFAULT_ROTATION))
    if (
        not isinstance(rotation, list)
        or not all(isinstance(block, str) and block in BLOCKS for block in rotation)
        or len(set(rotation)) != len(rotation)
    ):
        raise where.error(
            (),
            "rotation",
            f"rotation: expected a list of {', '.join(repr(b) for b in BLOCKS)}, "
            f"each at most once, got {rotation!r}",
        )
    ticker = body.get("ticker", "news")
    if ticker is False:
        ticker = "none"
    if ticker not in TICKER_CHOICES:
        raise where.error(
            (), "ticker", f"ticker: expected one of {TICKER_CHOICES} (or false), got {ticker!r}"
        )
    overview_days = body.get("overview_days", DEFAULT_OVERVIEW_DAYS)
    if isinstance(overview_days, bool) or not isinstance(overview_days, int):
        overview_days = None
    if overview_days is None or not 1 <= overview_days <= 60:
        raise where.error(
            (), "overview_days", "overview_days: expected a whole number of days from 1 to 60"
        )
    opening_hours = _screens(where, body.get("screens"))
    return Recipe(
        area=area,
        name=name.strip(),
        timezone=timezone,
        layout=layout,
        default_duration=default_duration or DEFAULT_DURATION,
        sources=sources,
        slides=slides,
        rotation=tuple(rotation),
        ticker=ticker,
        overview_days=overview_days,
        opening_hours=opening_hours,
    )


def _screens(where: Locator, value: Any) -> OpeningHours | None:
    """The ``[screens]`` table: ``hours`` as one span for every day, or a table by weekday
    (``man = "07:00-22:00"``, a range ``man-fre``, ``default`` for the days not named);
    ``"off"`` for a day off. A table must cover every day, so that no day is off or on by a
    rule nobody wrote down."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise where.error((), "screens", 'screens: expected a table, [screens] hours = "…"')
    for key in value:
        if key not in SCREENS_KEYS:
            raise where.error(
                ("screens",), key, f"unknown screens setting {key!r}; known: {_known(SCREENS_KEYS)}"
            )
    if "hours" not in value:
        return None
    hours = value["hours"]
    if isinstance(hours, str):
        span = _opening_span(where, hours, "hours")
        days: list[Span | None] = [span] * 7
    elif isinstance(hours, dict):
        chosen: dict[int, Span | None] = {}
        has_default, default = False, None
        for key, text in hours.items():
            if not isinstance(text, str):
                raise where.error(
                    ("screens",), "hours", f'hours.{key}: expected text like "07:00-22:00" or "off"'
                )
            span = _opening_span(where, text, f"hours.{key}")
            if key.casefold() in OTHER_DAYS:
                has_default, default = True, span
                continue
            for day in _day_range(where, key):
                if day in chosen:
                    raise where.error(
                        ("screens",), "hours", f"hours: {DAY_NAMES[day]} is given twice"
                    )
                chosen[day] = span
        missing = [DAY_NAMES[day] for day in range(7) if day not in chosen]
        if missing and not has_default:
            raise where.error(
                ("screens",),
                "hours",
                f"hours: no hours for {', '.join(missing)}; give them, or the other days "
                'at once with default = "07:00-22:00" (or default = "off")',
            )
        days = [chosen.get(day, default) for day in range(7)]
    else:
        raise where.error(
            ("screens",),
            "hours",
            'hours: expected "07:00-22:00", or a table like { man-fre = "07:00-22:00", '
            f'lør-søn = "09:00-23:00" }}, got {hours!r}',
        )
    if all(day is None for day in days):
        raise where.error(
            ("screens",), "hours", "hours: every day is off; the screens would never be on"
        )
    return OpeningHours(tuple(days))


def _opening_span(where: Locator, text: str, key: str) -> Span | None:
    if text.strip().casefold() in OFF_WORDS:
        return None
    match = HOURS_RE.match(text)
    problem = f'{key}: expected a time span like "07:00-22:00" or "off", got {text!r}'
    if match is None:
        raise where.error(("screens",), "hours", problem)
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise where.error(("screens",), "hours", problem)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == start:
        raise where.error(
            ("screens",),
            "hours",
            f"{key}: start and end are the same time (all day is 00:00-24:00)",
        )
    if end < start:
        end += 24 * 60  # past midnight: into the next day
    return (start, end)


def _day_range(where: Locator, key: str) -> list[int]:
    """``man`` → [0]; ``man-fre`` → [0, 1, 2, 3, 4]; ``fre-søn`` → [4, 5, 6]."""
    first, dash, last = key.casefold().partition("-")
    start, end = WEEKDAYS.get(first.strip()), WEEKDAYS.get(last.strip()) if dash else None
    if start is None or (dash and end is None):
        raise where.error(
            ("screens",),
            "hours",
            f"hours: unknown day {key!r} (man, tir, ons, tor, fre, lør, søn, a range like "
            "man-fre, or default)",
        )
    if end is None:
        return [start]
    if end < start:
        raise where.error(
            ("screens",), "hours", f"hours: the range {key!r} runs backwards (write man-fre)"
        )
    return list(range(start, end + 1))


def _slide_rule(where: Locator, file_name: str, rule: Any, zone: ZoneInfo) -> SlideRule:
    table = ("slides", file_name)
    if not isinstance(rule, dict):
        raise where.error(
            ("slides",), file_name, f"slides.{file_name}: expected a table, got {rule!r}"
        )
    for key in rule:
        if key not in SLIDE_KEYS:
            raise where.error(
                table, key, f"unknown slide setting {key!r}; known: {_known(SLIDE_KEYS)}"
            )
    start = _moment(where, table, "from", rule.get("from"), zone, end_of_day=False)
    until = _moment(where, table, "until", rule.get("until"), zone, end_of_day=True)
    if start is not None and until is not None and until <= start:
        raise where.error(table, "until", "until: must be after from")
    weekdays = None
    if "weekdays" in rule:
        value = rule["weekdays"]
        if not isinstance(value, list) or not value:
            raise where.error(table, "weekdays", 'weekdays: expected a list like ["lør", "søn"]')
        days = set()
        for day in value:
            index = WEEKDAYS.get(day.casefold()) if isinstance(day, str) else None
            if index is None:
                raise where.error(
                    table,
                    "weekdays",
                    f"weekdays: unknown day {day!r} (man, tir, ons, tor, fre, lør, søn)",
                )
            days.add(index)
        weekdays = frozenset(days)
    hours = None
    if "hours" in rule:
        value = rule["hours"]
        match = HOURS_RE.match(value) if isinstance(value, str) else None
        try:
            if match is None:
                raise ValueError
            h1, m1, h2, m2 = (int(part) for part in match.groups())
            if (h2, m2) == (24, 0):  # "til midnat"
                h2 = 0
            hours = (dt.time(h1, m1), dt.time(h2, m2))
        except ValueError:
            raise where.error(
                table, "hours", f'hours: expected a time span like "08:00-22:00", got {value!r}'
            ) from None
        if hours[0] == hours[1]:
            raise where.error(table, "hours", "hours: start and end are the same time")
    title = rule.get("title")
    if title is not None and not isinstance(title, str):
        raise where.error(table, "title", f"title: expected text, got {title!r}")
    return SlideRule(
        duration=_duration(where, table, "duration", rule.get("duration")),
        start=start,
        until=until,
        weekdays=weekdays,
        hours=hours,
        title=title,
    )


def _duration(where: Locator, table: tuple[str, ...], key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 3600:
        raise where.error(table, key, f"{key}: expected seconds from 1 to 3600, got {value!r}")
    return float(value)


def _moment(
    where: Locator,
    table: tuple[str, ...],
    key: str,
    value: Any,
    zone: ZoneInfo,
    *,
    end_of_day: bool,
) -> dt.datetime | None:
    """A TOML date or date-time (or the same as text) as an aware datetime in ``zone``.

    A bare date as ``until`` means the end of that day: "until 6 December" shows on the 6th.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
        except ValueError:
            raise where.error(
                table,
                key,
                f"{key}: expected a date like 2026-12-06 or 2026-12-06T18:00:00, got {value!r}",
            ) from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end_of_day else value
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)
    raise where.error(
        table, key, f"{key}: expected a date like 2026-12-06 or 2026-12-06T18:00:00, got {value!r}"
    )


def _known(keys: frozenset[str]) -> str:
    return ", ".join(sorted(keys))
