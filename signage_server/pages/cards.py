"""What a slide page shows: one news story, one event, or the events of the coming days.

Text is plain text (feeds/clean.py made it so), not yet shortened; the renderer fits it
to the layout. Times are aware datetimes, shown in the area's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["EventCard", "NewsCard", "OverviewCard"]


@dataclass(frozen=True)
class NewsCard:
    title: str
    summary: str
    #: An absolute http(s) URL, shown as a QR code; anything else shows none.
    link: str | None
    #: The sha256 (64 lower-case hex digits) of a picture served at /assets/<sha256>.
    image: str | None
    published: dt.datetime | None
    #: The feed's name, e.g. "Holbæk Kommune"; may be "".
    source: str = ""


@dataclass(frozen=True)
class EventCard:
    title: str
    summary: str
    link: str | None
    image: str | None
    start: dt.datetime
    #: For all-day events the end is exclusive (midnight after the last day), as DTEND is.
    end: dt.datetime | None
    all_day: bool = False
    place: str | None = None
    source: str = ""


@dataclass(frozen=True)
class OverviewCard:
    #: "Mørkøv" in "Det sker i Mørkøv de næste 14 dage".
    area_name: str
    days: int
    #: Sorted by start, without the events that have ended.
    events: tuple[EventCard, ...]
