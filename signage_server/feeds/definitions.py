"""``playlists/feeds.toml``: which news and event feeds there are and where they go.

::

    [[feed]]
    id = "kommunen"                 # a-z, 0-9, - and _
    url = "https://www.holbaek.dk/nyheder.rss"
    kind = "news"                   # "news" or "events"
    areas = "all"                   # or a list of area ids: ["morkov", "jyderup"]
    poll_minutes = 15               # optional
    max_items = 20                  # optional, per area
    duration = 10                   # optional: seconds per slide
    format = "auto"                 # optional: auto, rss, ical

    [feed.route.morkov]             # optional: only what is about Mørkøv goes to Mørkøv
    keywords = ["Mørkøv"]
    categories = ["Mørkøv"]
    places = ["Mørkøv", "Forsamlingshuset"]

Without a ``route`` for an area, every item of the feed goes to it. With one, an item goes
to that area when any of its rules matches (case is ignored; keywords are looked for in
the title and text, categories among the item's categories, places in the event's place).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..recipes import AREA_ID_RE
from ..tomlcheck import ConfigError, Locator, load_toml
from .model import FeedItem, FeedKind

FEED_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FEED_KEYS = frozenset(
    {"id", "url", "kind", "areas", "poll_minutes", "max_items", "duration", "format", "route"}
)
ROUTE_KEYS = frozenset({"keywords", "categories", "places"})
FORMATS = ("auto", "rss", "ical")
DEFAULT_POLL_MINUTES = 15
DEFAULT_MAX_ITEMS = 20
DEFAULT_DURATION = 10.0


class FeedDefinitionError(ConfigError):
    """feeds.toml cannot be used; ``str()`` reads ``file:line: problem``."""


@dataclass(frozen=True)
class Route:
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    places: tuple[str, ...] = ()

    def matches(self, item: FeedItem) -> bool:
        text = f"{item.title}\n{item.summary}".casefold()
        if any(word.casefold() in text for word in self.keywords):
            return True
        categories = {category.casefold() for category in item.categories}
        if any(category.casefold() in categories for category in self.categories):
            return True
        place = (item.place or "").casefold()
        return any(name.casefold() in place for name in self.places)


@dataclass(frozen=True)
class Feed:
    id: str
    url: str
    kind: FeedKind
    #: "all", or the area ids it goes to.
    areas: tuple[str, ...] | Literal["all"]
    poll_minutes: float = DEFAULT_POLL_MINUTES
    max_items: int = DEFAULT_MAX_ITEMS
    duration: float = DEFAULT_DURATION
    format: str = "auto"
    routes: Mapping[str, Route] = field(default_factory=dict)

    def goes_to(self, area: str) -> bool:
        return self.areas == "all" or area in self.areas

    def routed(self, item: FeedItem, area: str) -> bool:
        """Whether ``item`` belongs on the screens of ``area``."""
        if not self.goes_to(area):
            return False
        route = self.routes.get(area)
        return route is None or route.matches(item)


def load(path: Path) -> list[Feed]:
    """Read and check feeds.toml; a missing file means no feeds. Raises FeedDefinitionError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError as exc:
        raise FeedDefinitionError(path, 1, f"the file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise FeedDefinitionError(path, 1, f"cannot read the file: {exc.strerror}") from None
    return parse(path, text)


def parse(path: Path, text: str) -> list[Feed]:
    body, where = load_toml(path, text, FeedDefinitionError)
    for key in body:
        if key != "feed":
            raise where.error((), key, f"unknown setting {key!r}; feeds are [[feed]] tables")
    tables = body.get("feed", [])
    if not isinstance(tables, list):
        raise where.error((), "feed", "feed: write each feed as a [[feed]] table")
    feeds: list[Feed] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        feed = _feed(where, ("feed", str(index)), table)
        if feed.id in seen:
            raise where.error(("feed", str(index)), "id", f"id: {feed.id!r} is used twice")
        seen.add(feed.id)
        feeds.append(feed)
    return feeds


def _feed(where: Locator, at: tuple[str, ...], table: dict[str, Any]) -> Feed:
    for key in table:
        if key not in FEED_KEYS:
            raise where.error(
                at, key, f"unknown feed setting {key!r}; known: {', '.join(sorted(FEED_KEYS))}"
            )
    feed_id = table.get("id")
    if not isinstance(feed_id, str) or not FEED_ID_RE.match(feed_id):
        raise where.error(
            at, "id", f"id: expected a short name of a-z, 0-9, - and _, got {feed_id!r}"
        )
    url = table.get("url")
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise where.error(at, "url", f"url: expected an http(s) address, got {url!r}")
    kind = table.get("kind")
    if kind not in ("news", "events"):
        raise where.error(at, "kind", f'kind: expected "news" or "events", got {kind!r}')
    areas = table.get("areas")
    if areas != "all":
        if (
            not isinstance(areas, list)
            or not areas
            or not all(isinstance(a, str) and AREA_ID_RE.match(a) for a in areas)
        ):
            raise where.error(
                at, "areas", f'areas: expected "all" or a list of area ids, got {areas!r}'
            )
        areas = tuple(dict.fromkeys(areas))
    poll = _number(where, at, "poll_minutes", table, DEFAULT_POLL_MINUTES, 1, 24 * 60)
    max_items = _number(where, at, "max_items", table, DEFAULT_MAX_ITEMS, 1, 500)
    duration = _number(where, at, "duration", table, DEFAULT_DURATION, 1, 3600)
    if isinstance(max_items, float) and not max_items.is_integer():
        raise where.error(at, "max_items", f"max_items: expected a whole number, got {max_items}")
    fmt = table.get("format", "auto")
    if fmt not in FORMATS:
        raise where.error(at, "format", f"format: expected one of {FORMATS}, got {fmt!r}")
    routes_value = table.get("route", {})
    if not isinstance(routes_value, dict):
        raise where.error(at, "route", "route: expected tables like [feed.route.morkov]")
    routes = {}
    for area, rules in routes_value.items():
        route_at = (*at, "route", area)
        if not AREA_ID_RE.match(area):
            raise where.error((*at, "route"), area, f"route: {area!r} is not an area id")
        if not isinstance(rules, dict):
            raise where.error((*at, "route"), area, f"route.{area}: expected a table")
        if areas != "all" and area not in areas:
            raise where.error(
                route_at,
                next(iter(rules), area),
                f"route.{area}: the feed does not go to {area!r} (see areas)",
            )
        routes[area] = _route(where, route_at, rules)
    return Feed(
        id=feed_id,
        url=str(url),
        kind=kind,
        areas=areas,
        poll_minutes=float(poll),
        max_items=int(max_items),
        duration=float(duration),
        format=fmt,
        routes=routes,
    )


def _route(where: Locator, at: tuple[str, ...], rules: dict[str, Any]) -> Route:
    values: dict[str, tuple[str, ...]] = {}
    for key, value in rules.items():
        if key not in ROUTE_KEYS:
            raise where.error(
                at, key, f"unknown route rule {key!r}; known: {', '.join(sorted(ROUTE_KEYS))}"
            )
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise where.error(at, key, f"{key}: expected a list of words, got {value!r}")
        values[key] = tuple(v.strip() for v in value)
    if not values:
        raise where.error(at[:-1], at[-1], f"route.{at[-1]}: give keywords, categories or places")
    return Route(**values)


def _number(
    where: Locator,
    at: tuple[str, ...],
    key: str,
    table: dict[str, Any],
    default: float,
    low: float,
    high: float,
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise where.error(
            at, key, f"{key}: expected a number from {low:g} to {high:g}, got {value!r}"
        )
    return float(value)
