"""Which feed items an area shows: routed, de-duplicated, capped, ordered. Pure.

News come newest first; events by start, and only those not yet over. An event without an
end is taken to last until the end of its day (there is nothing better to go on, and an
event must leave the screens at some point). The same story or event from two feeds is
shown once: the first feed in feeds.toml wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .definitions import Feed
from .model import FeedItem


@dataclass(frozen=True)
class Chosen:
    """An item picked for an area, with the feed it came from."""

    feed: Feed
    item: FeedItem
    #: For events: when it is over (its end, or the end of its day when it has none).
    ends: dt.datetime | None = None

    @property
    def key(self) -> str:
        """A stable short id for the item, also across restarts."""
        digest = hashlib.sha256(f"{self.feed.id}\n{self.item.uid}".encode()).hexdigest()
        return f"{self.feed.id}:{digest[:12]}"


@dataclass(frozen=True)
class Selection:
    news: tuple[Chosen, ...] = ()
    events: tuple[Chosen, ...] = ()


def select(
    feeds: Sequence[Feed],
    items: Mapping[str, Sequence[FeedItem]],
    area: str,
    now: dt.datetime,
    zone: dt.tzinfo,
) -> Selection:
    """The news and events of ``area`` at ``now``; ``zone`` is the area's time zone."""
    seen: set[str] = set()
    news: list[Chosen] = []
    events: list[Chosen] = []
    for feed in feeds:
        if not feed.goes_to(area):
            continue
        routed = [item for item in items.get(feed.id, ()) if feed.routed(item, area)]
        if feed.kind == "news":
            picked = [Chosen(feed, item) for item in _newest_first(routed)]
        else:
            picked = [
                Chosen(feed, item, ends)
                for item in sorted(
                    (item for item in routed if item.start is not None),
                    key=lambda item: (_start(item), item.title.casefold()),
                )
                if (ends := event_end(item, zone)) > now
            ]
        taken = 0
        for chosen in picked:
            if taken >= feed.max_items:
                break
            key = _identity(chosen.item)
            if key in seen:
                continue
            seen.add(key)
            taken += 1
            (news if feed.kind == "news" else events).append(chosen)
    news.sort(key=lambda chosen: _published(chosen.item), reverse=True)
    events.sort(key=lambda chosen: (_start(chosen.item), chosen.item.title.casefold()))
    return Selection(tuple(news), tuple(events))


def event_end(item: FeedItem, zone: dt.tzinfo) -> dt.datetime:
    """When an event is over; without a usable end, at the end of the day it starts."""
    start = _start(item)
    if item.end is not None and item.end > start:
        return item.end
    day = start.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _identity(item: FeedItem) -> str:
    """What makes two items the same story or event, whichever feed they came through."""
    if item.link:
        parts = urllib.parse.urlsplit(item.link)
        path = parts.path.rstrip("/") or "/"
        host = parts.netloc.lower().removeprefix("www.")
        link = f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"
        if item.start is None:
            return f"link:{link}"
        # One link may lead to a series (a weekly event): keep its occurrences apart.
        return f"link:{link}@{item.start.timestamp():.0f}"
    title = " ".join(item.title.casefold().split())
    start = f"{item.start.timestamp():.0f}" if item.start is not None else ""
    return f"title:{title}@{start}"


def _newest_first(items: Sequence[FeedItem]) -> list[FeedItem]:
    # Stable: items without a date keep the feed's own order, after the dated ones.
    return sorted(items, key=_published, reverse=True)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _published(item: FeedItem) -> dt.datetime:
    return item.published if item.published is not None else _EPOCH


def _start(item: FeedItem) -> dt.datetime:
    assert item.start is not None
    return item.start
