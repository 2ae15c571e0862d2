"""Dates and times as Danes write them on a poster, without the locale module.

"lørdag 6. december kl. 10.00–15.00": weekdays and months in lower case, a dot between
hours and minutes, an en dash between the ends of a span, never the year. Every function
takes the time zone to show times in; the result depends on the arguments only, never on
today's date or the machine's locale.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, NamedTuple

__all__ = [
    "at",
    "clock",
    "day_month",
    "long_date",
    "short_date",
    "short_when",
    "when",
]

WEEKDAYS: Final = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
# Dansk Sprognævn's abbreviations.
SHORT_WEEKDAYS: Final = ("man.", "tirs.", "ons.", "tors.", "fre.", "lør.", "søn.")
MONTHS: Final = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
# Short month names stay whole: "maj", "juni" and "juli" are not abbreviated.
SHORT_MONTHS: Final = (
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "maj",
    "juni",
    "juli",
    "aug.",
    "sep.",
    "okt.",
    "nov.",
    "dec.",
)
ALL_DAY: Final = "hele dagen"

_DASH = "–"
_MIDNIGHT = dt.time()
# A party that ends by this time belongs to the evening before: "kl. 20.00–2.00".
_NIGHT_ENDS = dt.time(6)
_DAY = dt.timedelta(days=1)


def _local(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        # astimezone() would read a naive time as the machine's local time.
        raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(zone)


def _long(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]}"


def _short(day: dt.date) -> str:
    return f"{SHORT_WEEKDAYS[day.weekday()]} {day.day}. {SHORT_MONTHS[day.month - 1]}"


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour}.{moment.minute:02d}"


def day_month(value: dt.datetime, zone: dt.tzinfo) -> str:
    """Return the day and month: "6. december". Raises ValueError for a naive ``value``."""
    local = _local(value, zone)
    return f"{local.day}. {MONTHS[local.month - 1]}"


def long_date(value: dt.datetime, zone: dt.tzinfo) -> str:
    """Return the date: "lørdag 6. december". Raises ValueError for a naive ``value``."""
    return _long(_local(value, zone).date())


def short_date(value: dt.datetime, zone: dt.tzinfo) -> str:
    """Return the short date: "lør. 6. dec.". Raises ValueError for a naive ``value``."""
    return _short(_local(value, zone).date())


def clock(value: dt.datetime, zone: dt.tzinfo) -> str:
    """Return the time: "14.00", "9.30", "0.15". Raises ValueError for a naive ``value``."""
    return _clock(_local(value, zone))


def at(value: dt.datetime, zone: dt.tzinfo) -> str:
    """Return the time of day: "kl. 14.00". Raises ValueError for a naive ``value``."""
    return f"kl. {clock(value, zone)}"


class _Span(NamedTuple):
    """An event as its reader sees it: from one day to another, with clock times or not."""

    first: dt.date
    last: dt.date
    begins: str | None  # None for an all-day event
    ends: str | None  # None for an all-day event or one without an end


def _calendar_day(value: dt.datetime, zone: dt.tzinfo) -> dt.date:
    # An all-day event's bounds are dates, not moments: midnight in whatever zone the
    # calendar gave keeps its own date. Any other time (midnight in Copenhagen written in
    # UTC) is a moment, and its date is the one in the area's zone.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")
    if value.time() == _MIDNIGHT:
        return value.date()
    return value.astimezone(zone).date()


def _last_day(end: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The last day of an all-day event that ends (exclusively) at ``end``."""
    day = _calendar_day(end, zone)
    midnight = end.time() == _MIDNIGHT or _local(end, zone).time() == _MIDNIGHT
    return day - _DAY if midnight else day


def _span(start: dt.datetime, end: dt.datetime | None, zone: dt.tzinfo, all_day: bool) -> _Span:
    if all_day:
        first = _calendar_day(start, zone)
        last = first if end is None else _last_day(end, zone)
        return _Span(first, max(first, last), None, None)
    begins = _local(start, zone)
    ends = None if end is None else _local(end, zone)
    # Timestamps, not the datetimes: within one zone Python compares wall times, and
    # 2.30 comes twice on the night the clocks go back.
    if ends is None or ends.timestamp() <= begins.timestamp():
        return _Span(begins.date(), begins.date(), _clock(begins), None)
    if ends.time() == _MIDNIGHT:
        # Danes end the day at 24.00: "kl. 20.00–24.00", not "–0.00" the day after.
        return _Span(begins.date(), ends.date() - _DAY, _clock(begins), "24.00")
    last = ends.date()
    if last == begins.date() + _DAY and ends.time() <= _NIGHT_ENDS:
        last = begins.date()
    return _Span(begins.date(), last, _clock(begins), _clock(ends))


def when(
    start: dt.datetime, end: dt.datetime | None, zone: dt.tzinfo, *, all_day: bool = False
) -> str:
    """When an event takes place, for its own slide.

    "lørdag 6. december kl. 10.00–15.00", "lørdag 6. december kl. 14.00" (no end),
    "lørdag 6. december kl. 20.00–2.00" (over midnight), "fredag 5. december kl. 18.00 –
    søndag 7. december kl. 14.00"; all-day: "lørdag 6. december", "5.–7. december",
    "28. november – 2. december". ``end`` is exclusive for all-day events; an end that is
    not after the start is ignored. Raises ValueError for naive datetimes.
    """
    first, last, begins, ends = _span(start, end, zone, all_day)
    if begins is None:
        if first == last:
            return _long(first)
        until = f"{last.day}. {MONTHS[last.month - 1]}"
        if (first.month, first.year) == (last.month, last.year):
            return f"{first.day}.{_DASH}{until}"
        return f"{first.day}. {MONTHS[first.month - 1]} {_DASH} {until}"
    if first == last:
        times = begins if ends is None else f"{begins}{_DASH}{ends}"
        return f"{_long(first)} kl. {times}"
    return f"{_long(first)} kl. {begins} {_DASH} {_long(last)} kl. {ends}"


def short_when(
    start: dt.datetime, end: dt.datetime | None, zone: dt.tzinfo, *, all_day: bool = False
) -> tuple[str, str]:
    """The date and the time of an event, for a row of the overview.

    ("lør. 6. dec.", "kl. 10.00–15.00"), ("lør. 6. dec.", "kl. 14.00"),
    ("lør. 6. dec.", "hele dagen"), and for an event over several days
    ("fre. 5. dec.", "til søn. 7. dec."). Raises ValueError for naive datetimes.
    """
    first, last, begins, ends = _span(start, end, zone, all_day)
    if first != last:
        return _short(first), f"til {_short(last)}"
    if begins is None:
        return _short(first), ALL_DAY
    times = begins if ends is None else f"{begins}{_DASH}{ends}"
    return _short(first), f"kl. {times}"
