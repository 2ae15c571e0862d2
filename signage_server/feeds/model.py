"""What a feed yields, whatever its format: plain-text items, ready to route and render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

FeedKind = Literal["news", "events"]


class FeedError(ValueError):
    """A feed that cannot be used as it is; the message says why, for the admin."""


@dataclass(frozen=True)
class FeedItem:
    """One news story or one event (one occurrence of a recurring event).

    All text is plain text (no markup, entities decoded, whitespace normalised), not yet
    shortened; links and image URLs are absolute http(s) URLs or None. Times are aware
    datetimes; ``published`` is when the item was published or last edited, ``start`` and
    ``end`` are the event's own times (None for news).
    """

    feed: str
    uid: str
    title: str
    summary: str = ""
    link: str | None = None
    image_url: str | None = None
    published: dt.datetime | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    all_day: bool = False
    place: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    items: tuple[FeedItem, ...]
    title: str = ""
    #: Problems that did not stop the feed (a malformed document that still had entries,
    #: one broken event in a calendar), for the admin to see.
    warnings: tuple[str, ...] = field(default_factory=tuple)
