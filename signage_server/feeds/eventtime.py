"""When an event in a library's event RSS happens.

Danish libraries list their events as RSS (DPL CMS, and the Ding sites before it, at
``/ding-redia-rss/event``). An item's ``pubDate`` is when the event was put on the site,
often weeks before it takes place, so it cannot say when to show the event or in what
order. The time has elements of its own: ``content-rss:arrangement-starttime`` and
``arrangement-endtime`` (namespace ``http://xml.redia.dk/rss``), or ``ev:startdate`` and
``ev:enddate`` (the RSS 1.0 event module), or xCal's ``dtstart`` and ``dtend``. Their
values come as

- Unix epoch seconds (``1796562000``), or milliseconds when there are 13 digits;
- ISO 8601 (``2026-12-06T14:00:00+01:00``, or a date alone: ``2026-12-06``);
- RFC 822, as in ``pubDate`` (``Sun, 06 Dec 2026 14:00:00 +0100``);
- a date written for people, in Danish or English: ``06.12.2026 - 14:00``,
  ``søndag 6. december 2026 kl. 14.00``, ``6/12-26``, ``6. dec. 2026 kl. 14``.

A time without a zone is Copenhagen time, and every result is in Copenhagen time. An event
written as dates rather than times (no time of day, or midnight to 23:59) is all-day: it
runs from midnight to the midnight after its last day. This module reads the written
values only; :mod:`.rss` finds them in the feed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

__all__ = ["EventTime", "event_time"]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class EventTime:
    """When an event happens; all None when the feed does not say."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    all_day: bool = False


@dataclass(frozen=True)
class _When:
    at: dt.datetime  # in Copenhagen time
    has_time: bool
    formatted: bool  # written for people ("6. december 2026 kl. 14.00"), not a timestamp


_MIDNIGHT = dt.time(0, 0)


def event_time(start_text: str, end_text: str, *, title: str, warnings: list[str]) -> EventTime:
    """When an event happens, from its written start and end ("" where the feed has none).

    A start that cannot be read gives no time at all; an end that cannot be read, or that
    is before the start, is left out. Each such value is named in ``warnings``, with
    ``title`` to tell which entry it was.
    """
    start_text = start_text.strip()
    end_text = end_text.strip()
    if not start_text:
        return EventTime()
    start = _read_time(start_text)
    if start is None:
        warnings.append(f"entry {title!r}: start time {start_text!r} not understood")
        return EventTime()
    end = _read_time(end_text) if end_text else None
    if end_text and end is None:
        warnings.append(f"entry {title!r}: end time {end_text!r} not understood")

    # Listings write "kl. 00:00" when an event has a date but no time of day.
    start_is_date = not start.has_time or start.at.time() == _MIDNIGHT
    if start_is_date and (
        (end is None and (start.formatted or not start.has_time))
        or (end is not None and (_ends_a_day(end) or not end.has_time))
    ):
        day_start = _local_midnight(start.at.date())
        day_end = _day_after(end) if end is not None else _local_midnight(start.at.date(), 1)
        if day_end <= day_start:
            day_end = _local_midnight(start.at.date(), 1)
        return EventTime(start=day_start, end=day_end, all_day=True)

    end_at = end.at if end is not None else None
    if end_at is not None and end_at < start.at:
        warnings.append(f"entry {title!r}: end {end_text!r} is before start {start_text!r}")
        end_at = None
    return EventTime(start=start.at, end=end_at)


def _ends_a_day(when: _When) -> bool:
    clock = when.at.time().replace(second=0, microsecond=0)
    return clock in {dt.time(23, 59), _MIDNIGHT}


def _day_after(when: _When) -> dt.datetime:
    """The exclusive end of an all-day event that ends on ``when``."""
    if when.has_time and when.at.time() == _MIDNIGHT and not when.formatted:
        return when.at  # a timestamp at midnight already ends the day before
    return _local_midnight(when.at.date(), 1)


def _local_midnight(day: dt.date, days_later: int = 0) -> dt.datetime:
    later = day + dt.timedelta(days=days_later)
    return dt.datetime(later.year, later.month, later.day, tzinfo=COPENHAGEN)


_MONTHS = {
    "jan": 1, "januar": 1, "january": 1,
    "feb": 2, "februar": 2, "february": 2,
    "mar": 3, "marts": 3, "march": 3,
    "apr": 4, "april": 4,
    "maj": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oct": 10, "oktober": 10, "october": 10,
    "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
_EPOCH = re.compile(r"-?\d{9,13}")
_ISO_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}")
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TEXT_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\.?\s*({_MONTH_NAMES})\b\.?,?\s*(\d{{4}})(?!\d)", re.IGNORECASE
)
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2}))(?!\d)"
)
_CLOCK = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])[:.]([0-5]\d)(?:[:.][0-5]\d)?(?!\d)")
_HOUR = re.compile(r"\bkl\.?\s*([01]?\d|2[0-3])(?![\d:.]\d|\d)", re.IGNORECASE)  # "kl. 14"


def _read_time(text: str) -> _When | None:
    """Read an event time: epoch seconds, ISO 8601, RFC 822 or a Danish date string.

    Times without a zone are Copenhagen time; the result is in Copenhagen time.
    """
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text.lstrip("-")) == 13 else 1)
        try:
            at = dt.datetime.fromtimestamp(seconds, tz=COPENHAGEN)
        except (OverflowError, OSError, ValueError):
            return None
        # Digits that read as a timestamp centuries away are something else ("202612061400").
        return _When(at, has_time=True, formatted=False) if 1970 <= at.year <= 2200 else None
    try:
        iso = dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return _When(_local(iso), has_time=not _ISO_DATE.fullmatch(text), formatted=False)
    if "," in text and re.search(r"[A-Za-z]{3}", text):
        try:
            return _When(_local(parsedate_to_datetime(text)), has_time=True, formatted=False)
        except (TypeError, ValueError, IndexError):
            pass
    return _danish_time(text)


def _danish_time(text: str) -> _When | None:
    """Read "06.12.2026 - 14:00", "lørdag 6. december 2026 kl. 14.00", "6/12-26" and so on."""
    day_match = _TEXT_DATE.search(text)
    if day_match is not None:
        day, month, year = (
            int(day_match.group(1)),
            _MONTHS[day_match.group(2).lower()],
            int(day_match.group(3)),
        )
    else:
        day_match = _NUMERIC_DATE.search(text)
        if day_match is None:
            return None
        if day_match.group(1):
            year, month, day = (int(day_match.group(n)) for n in (1, 2, 3))
        else:
            day, month, year = (int(day_match.group(n)) for n in (4, 5, 6))
            if year < 100:
                year += 2000
    clock = _CLOCK.search(text, day_match.end()) or _HOUR.search(text, day_match.end())
    hour = int(clock.group(1)) if clock else 0
    minute = int(clock.group(2)) if clock and clock.re is _CLOCK else 0
    try:
        at = dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)
    except ValueError:
        return None
    return _When(at, has_time=clock is not None, formatted=True)


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=COPENHAGEN)
    return moment.astimezone(COPENHAGEN)
