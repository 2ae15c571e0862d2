"""iCalendar (RFC 5545) event calendars: bytes and a clock in, one item per occurrence out.

Recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, X-WR-TIMEZONE) is left to
recurring-ical-events; this module decides what of a messy real-world calendar a screen may
show, and keeps one broken event from taking the rest of the calendar with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from typing import Any
from urllib.parse import urlsplit

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

from signage_server.feeds.clean import plain_text, safe_url
from signage_server.feeds.model import FeedError, FeedItem, ParsedFeed

# The properties recurring-ical-events reads to place an event in time: a broken one of
# these makes the event's times unknowable, so the event is skipped.
_TIMING = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "SEQUENCE")
# Series are expanded in growing steps so that a dense rule stops at max_occurrences
# instead of materialising the whole window (dateutil builds each step as a list).
_FIRST_STEP = dt.timedelta(days=1)
_LONGEST_STEP = dt.timedelta(days=7)
_LONGEST_REPEATING = dt.timedelta(days=366)
_TOO_OFTEN = ("SECONDLY", "MINUTELY")
_MAX_WARNINGS = 50
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_START = re.compile(r"^BEGIN:(VCALENDAR|VEVENT)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# An occurrence on its way to a FeedItem: aware start and end, all-day flag, and the
# library's Occurrence (made into a component only if it is among the items kept).
_Occurrence = tuple[dt.datetime, dt.datetime, bool, Any]


def parse_ical(
    data: bytes,
    *,
    feed_id: str,
    url: str,
    now: dt.datetime,
    horizon_days: int = 60,
    max_occurrences: int = 500,
    default_timezone: str = "Europe/Copenhagen",
) -> ParsedFeed:
    """Read an iCalendar body into the occurrences that have not ended by ``now``.

    Occurrences from a day before ``now`` to ``horizon_days`` after it are expanded, at most
    ``max_occurrences`` of them (the earliest). Floating times are read in the calendar's
    X-WR-TIMEZONE, else in ``default_timezone``, which is also the zone of all-day dates and
    of the returned times. ``url`` is the feed's address, against which relative links are
    resolved. Events that cannot be read are skipped and named in ``ParsedFeed.warnings``.

    Raises:
        FeedError: the body is not an iCalendar calendar (empty, HTML, garbage), or no
            event in it could be read.
        ValueError: ``now`` is naive, ``default_timezone`` is not a known time zone, or
            ``horizon_days`` or ``max_occurrences`` is below 1.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be an aware datetime, got {now.isoformat()}")
    if horizon_days < 1 or max_occurrences < 1:
        raise ValueError(
            f"horizon_days and max_occurrences must be at least 1, "
            f"got {horizon_days} and {max_occurrences}"
        )
    try:
        zone = zoneinfo.ZoneInfo(default_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"default_timezone: unknown time zone {default_timezone!r}") from None
    warnings: list[str] = []
    calendar = _read_calendar(data, warnings)
    _check_timezone(calendar, default_timezone, warnings)
    events, recurring, labels = _screen_events(calendar, warnings)

    now = now.astimezone(zone)
    window = (now - dt.timedelta(days=1), now + dt.timedelta(days=horizon_days))
    occurrences: list[_Occurrence] = []
    for series in _all_series(events, labels, warnings):
        # A single event needs one query; a series is expanded in growing steps.
        first_step = _FIRST_STEP if str(series.uid) in recurring else window[1] - window[0]
        try:
            occurrences.extend(_expand(series, window, first_step, now, zone, max_occurrences))
        except Exception as error:  # the library on untrusted input: anything can escape
            warnings.append(f"skipped {_label_of(series, labels)}: {_reason(error)}")
    occurrences.sort(key=lambda occurrence: occurrence[0])

    items: list[FeedItem] = []
    for start, end, all_day, occurrence in occurrences:
        if len(items) == max_occurrences:
            warnings.append(
                f"more than {max_occurrences} occurrences in the next {horizon_days} days; "
                f"kept the first {max_occurrences}"
            )
            break
        label = _label_of(occurrence, labels)
        try:
            component = occurrence.as_component(False)
            if _is_hidden(component):
                continue
            item = _item(component, start, end, all_day, feed_id, url, recurring, zone)
        except Exception as error:
            warnings.append(f"skipped an occurrence of {label}: {_reason(error)}")
            continue
        if not item.title:
            warnings.append(f"skipped {label}: it has no title (SUMMARY)")
            continue
        items.append(item)
    items.sort(key=lambda item: (item.start or now, item.title, item.uid))
    title = _plain(str(_first(calendar.get("X-WR-CALNAME")) or _first(calendar.get("NAME")) or ""))
    return ParsedFeed(items=tuple(items), title=title, warnings=_summarised(warnings))


def _summarised(warnings: list[str]) -> tuple[str, ...]:
    """Each problem once, and not so many that the admin stops reading."""
    unique = list(dict.fromkeys(warnings))
    more = len(unique) - _MAX_WARNINGS
    return (*unique[:_MAX_WARNINGS], *([f"… and {more} more warnings"] if more > 0 else []))


# Reading the body


def _read_calendar(data: bytes, warnings: list[str]) -> icalendar.Calendar:
    text = _decode(data, warnings)
    begin = _START.search(text)
    if begin is None:
        first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if not first_line:
            raise FeedError("the body is empty, not an iCalendar calendar")
        if first_line.startswith("<"):
            raise FeedError(
                f"got HTML or XML, not an iCalendar calendar (it starts {first_line[:40]!r})"
            )
        raise FeedError(
            f"not an iCalendar calendar: no BEGIN:VCALENDAR line (it starts {first_line[:40]!r})"
        )
    if text[: begin.start()].strip():
        warnings.append("ignored text before BEGIN:VCALENDAR")
    text = text[begin.start() :]
    try:
        components = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as error:
        return _read_piece_by_piece(text, _reason(error), warnings)
    if not components:  # icalendar drops what is never closed, e.g. a cut-off body
        return _read_piece_by_piece(text, "END:VCALENDAR is missing", warnings)
    if len(components) == 1 and isinstance(components[0], icalendar.Calendar):
        return components[0]
    # A bare VEVENT, or several calendars concatenated by a careless server.
    merged = icalendar.Calendar()
    for component in components:
        if isinstance(component, icalendar.Calendar):
            for name, value in component.items():
                merged.setdefault(name, value)
            merged.subcomponents.extend(component.subcomponents)
        else:
            merged.add_component(component)
    return merged


def _decode(data: bytes, warnings: list[str]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # icalendar would put U+FFFD in place of every "ø"; Windows-1252 is the usual culprit.
        warnings.append("the calendar is not valid UTF-8; read it as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _read_piece_by_piece(text: str, reason: str, warnings: list[str]) -> icalendar.Calendar:
    """Parse each VTIMEZONE and VEVENT on its own, when the calendar as a whole fails."""
    warnings.append(f"the calendar as a whole could not be read ({reason}); read it event by event")
    calendar = icalendar.Calendar()
    blocks: list[list[str]] = []
    block: list[str] | None = None
    depth = 0
    for line in text.splitlines():
        key = line.strip().upper()
        starts_anew = depth == 1 and key in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE")
        if block is not None and (starts_anew or key == "END:VCALENDAR"):
            warnings.append(f"skipped an incomplete {_block_label(block)}")  # no END line
            block = None
        if block is None:
            if key in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE"):
                block, depth = [line], 1
            elif not line[:1].isspace() and key.split(":")[0] in ("X-WR-TIMEZONE", "X-WR-CALNAME"):
                calendar[key.split(":")[0]] = line.partition(":")[2].strip()
            continue
        block.append(line)
        depth += key.startswith("BEGIN:") - key.startswith("END:")
        if depth == 0:
            blocks.append(block)
            block = None
    if block is not None:
        warnings.append(
            f"the calendar is cut off; skipped its last, incomplete {_block_label(block)}"
        )
    # Time zones first, so that icalendar knows their TZIDs when it reads the events.
    blocks.sort(key=lambda lines: lines[0].strip().upper() != "BEGIN:VTIMEZONE")
    for lines in blocks:
        try:
            calendar.add_component(icalendar.Calendar.from_ical("\r\n".join(lines) + "\r\n"))
        except Exception as error:
            warnings.append(f"skipped an unreadable {_block_label(lines)}: {_reason(error)}")
    if not calendar.walk("VEVENT"):
        raise FeedError(f"could not read the calendar: {reason}")
    return calendar


def _block_label(lines: list[str]) -> str:
    fields = dict(line.partition(":")[::2] for line in lines if ":" in line)
    summary, uid = fields.get("SUMMARY", "").strip(), fields.get("UID", "").strip()
    return f"event {summary!r}" if summary else f"event with UID {uid}" if uid else "event"


def _check_timezone(calendar: icalendar.Calendar, default: str, warnings: list[str]) -> None:
    """Drop an X-WR-TIMEZONE that names no known zone: recurring-ical-events fails on it."""
    declared = _first(calendar.get("X-WR-TIMEZONE"))
    if declared is None:
        return
    try:
        zoneinfo.ZoneInfo(str(declared).strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        warnings.append(
            f"unknown X-WR-TIMEZONE {str(declared)!r}; read floating times in {default}"
        )
        del calendar["X-WR-TIMEZONE"]
    else:
        calendar["X-WR-TIMEZONE"] = str(declared).strip()


# Checking events before expansion


def _screen_events(
    calendar: icalendar.Calendar, warnings: list[str]
) -> tuple[icalendar.Calendar, set[str], dict[str, str]]:
    """The calendar's events whose times can be known, each with a UID, in a new calendar.

    Only top-level events count: icalendar and the library would also find a VEVENT
    nested in some other component. Returns that calendar, the UIDs of recurring series,
    and a label per UID for warnings.
    """
    events = icalendar.Calendar()
    if "X-WR-TIMEZONE" in calendar:
        events["X-WR-TIMEZONE"] = calendar["X-WR-TIMEZONE"]
    recurring: set[str] = set()
    labels: dict[str, str] = {}
    for event in calendar.subcomponents:
        if event.name != "VEVENT":
            continue
        if isinstance(uids := event.get("UID"), list):  # UID written twice
            event["UID"] = uids[0]
        if "UID" not in event:
            # Derived from the content, so that it stays the same from poll to poll.
            content = sorted(f"{k}:{_raw(v)}" for k, v in event.items() if k != "DTSTAMP")
            digest = hashlib.sha1("\n".join(content).encode()).hexdigest()
            event["UID"] = f"no-uid-{digest[:16]}"
        uid, label = str(event["UID"]), _label(event)
        try:
            problem = _problem(event, label, warnings)
        except Exception as error:  # e.g. a year-9999 DTEND that overflows in UTC
            problem = _reason(error)
        if problem:
            warnings.append(f"skipped {label}: {problem}")
            continue
        events.add_component(event)
        labels.setdefault(uid, label)
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
            recurring.add(uid)
    return events, recurring, labels


def _problem(event: icalendar.Component, label: str, warnings: list[str]) -> str | None:
    """Why the event cannot be placed in time, or None; repairs what can be repaired."""
    _repair_values(event, label, warnings)
    for name in _TIMING:
        broken = [v for v in _values(event.get(name)) if isinstance(v, icalendar.vBroken)]
        if broken:
            return f"unreadable {name} {str(broken[0])!r}"
    if any(component.name == "VEVENT" for component in event.subcomponents):
        return "it contains another VEVENT (is an END:VEVENT missing?)"
    start = event.get("DTSTART")
    if start is None:
        return "it has no start (DTSTART)"
    for name in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
        if isinstance(event.get(name), list):
            return f"it has more than one {name}"
    if not isinstance(start.dt, dt.date):
        return f"DTSTART {_raw(start)!r} is not a date or a date-time"
    for rule in _values(event.get("RRULE")):
        # dateutil loops forever on INTERVAL=0, and walks minute by minute from DTSTART.
        if not all(isinstance(n, int) and n > 0 for n in rule.get("INTERVAL", [1])):
            return f"its RRULE has an INTERVAL below 1 ({_raw(rule)!r})"
        if rule.get("FREQ", [""])[0] in _TOO_OFTEN or len(rule.get("BYSECOND", ())) > 1:
            return f"it repeats too often to show ({_raw(rule)!r})"
    _repair_times(event, start.dt, label, warnings)
    if "RRULE" in event and _length(event, start.dt) > _LONGEST_REPEATING:
        # The library widens each query by the length: a century-long daily event is slow.
        return "it repeats, and each time it lasts more than a year"
    tzid = start.params.get("TZID")
    if tzid and isinstance(start.dt, dt.datetime) and start.dt.tzinfo is None:
        warnings.append(f"unknown time zone {tzid!r} in {label}; read it as local time")
    if any(name not in _TIMING for name, _ in event.errors):  # None: an unparsable line
        warnings.append(f"ignored unreadable lines in {label}")
    return None


def _repair_values(event: icalendar.Component, label: str, warnings: list[str]) -> None:
    for name in ("EXDATE", "RDATE"):  # Google writes "EXDATE;VALUE=DATE:" with no date
        values = _values(event.get(name))
        rest = [v for v in values if not (isinstance(v, icalendar.vBroken) and not str(v).strip())]
        if len(rest) < len(values):
            warnings.append(f"ignored an empty {name} in {label}")
            if rest:
                event[name] = rest if len(rest) > 1 else rest[0]
            else:
                del event[name]
    rules = _values(event.get("RRULE"))
    if any(isinstance(rule, icalendar.vBroken) for rule in rules):
        # "BYDAY=MO, TU, WE" (spaces after commas) is a common hand-made mistake.
        try:
            fixed = [icalendar.vRecur.from_ical(re.sub(r"\s", "", str(rule))) for rule in rules]
        except ValueError:
            return
        event["RRULE"] = fixed if len(fixed) > 1 else fixed[0]


def _repair_times(
    event: icalendar.Component, start: dt.date, label: str, warnings: list[str]
) -> None:
    end = getattr(event.get("DTEND"), "dt", None)
    if not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        # An all-day start with a timed end: the library would make both timed, at midnight
        # of the end's zone (02:00 here for a UTC end). Keep the event all-day.
        event["DTEND"] = icalendar.vDDDTypes(end.date())
    if _length(event, start) < dt.timedelta(0):
        # The library would swap start and end; the start is what people come by.
        warnings.append(f"ignored an end before the start in {label}")
        event.pop("DTEND", None)
        event.pop("DURATION", None)


def _length(event: icalendar.Component, start: dt.date) -> dt.timedelta:
    end = getattr(event.get("DTEND"), "dt", None)
    duration = getattr(event.get("DURATION"), "dt", None)
    if isinstance(end, dt.date):
        return _aware(end, dt.UTC) - _aware(start, dt.UTC)
    return duration if isinstance(duration, dt.timedelta) else dt.timedelta(0)


def _label(event: icalendar.Component) -> str:
    title = _plain(str(_first(event.get("SUMMARY")) or ""))
    title = title if len(title) <= 60 else title[:59] + "…"
    return f"event {title!r} (UID {event['UID']})" if title else f"event with UID {event['UID']}"


def _label_of(series_or_occurrence: Any, labels: dict[str, str]) -> str:
    uid = str(series_or_occurrence.uid)
    return labels.get(uid, f"event with UID {uid}")


# Expansion


def _all_series(
    calendar: icalendar.Calendar, labels: dict[str, str], warnings: list[str]
) -> list[Any]:
    """The library's series of the calendar; per UID when the calendar as a whole fails."""
    try:
        return list(recurring_ical_events.of(calendar).series)
    except Exception as error:
        warnings.append(
            f"the calendar could not be expanded ({_reason(error)}); read event by event"
        )
    by_uid: dict[str, list[icalendar.Component]] = {}
    for event in calendar.subcomponents:
        by_uid.setdefault(str(event["UID"]), []).append(event)
    result: list[Any] = []
    for uid, events in by_uid.items():
        alone = icalendar.Calendar()
        if "X-WR-TIMEZONE" in calendar:
            alone["X-WR-TIMEZONE"] = calendar["X-WR-TIMEZONE"]
        alone.subcomponents = events
        try:
            result.extend(recurring_ical_events.of(alone).series)
        except Exception as error:
            warnings.append(f"skipped {labels.get(uid, uid)}: {_reason(error)}")
    return result


def _expand(
    series: Any,
    window: tuple[dt.datetime, dt.datetime],
    first_step: dt.timedelta,
    now: dt.datetime,
    zone: dt.tzinfo,
    limit: int,
) -> list[_Occurrence]:
    """The series' occurrences in the window that have not ended, at most ``limit``.

    Occurrences are keyed by start: overrides can move several instances onto the same
    time (Thunderbird does this), which on a screen would be the same event twice.
    """
    found: dict[dt.datetime, _Occurrence] = {}
    low, stop = window
    step = first_step
    while low < stop and len(found) < limit:
        high = min(low + step, stop)
        for occurrence in series.between(low, high):
            all_day = not isinstance(occurrence.start, dt.datetime)
            start, end = _aware(occurrence.start, zone), _aware(occurrence.end, zone)
            if start in found:  # also an occurrence that spans two steps
                continue
            if all_day and end <= start:
                end = start + dt.timedelta(days=1)
            if end < now or (end == now and end > start):
                continue
            found[start] = (start, end, all_day, occurrence)
        low, step = high, min(step * 2, _LONGEST_STEP)
    return list(found.values())


def _is_hidden(component: icalendar.Component) -> bool:
    """Cancelled occurrences, and events their owner marked as not for the public."""
    status = str(_first(component.get("STATUS")) or "").strip().upper()
    access = str(_first(component.get("CLASS")) or "").strip().upper()
    return status == "CANCELLED" or access in ("PRIVATE", "CONFIDENTIAL")


# Building items


def _item(
    component: icalendar.Component,
    start: dt.datetime,
    end: dt.datetime,
    all_day: bool,
    feed_id: str,
    base_url: str,
    recurring: set[str],
    zone: dt.tzinfo,
) -> FeedItem:
    uid = str(component["UID"])
    return FeedItem(
        feed=feed_id,
        uid=f"{uid}#{start.isoformat()}" if uid in recurring else uid,
        title=_text(component, "SUMMARY"),
        summary=_text(component, "DESCRIPTION"),
        link=_safe_url(_first(component.get("URL")), base_url),
        image_url=_image_url(component, base_url),
        published=_published(component, zone),
        start=start,
        end=end,
        all_day=all_day,
        place=_text(component, "LOCATION") or None,
        categories=_categories(component),
    )


def _aware(value: dt.date, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(zone)
    return dt.datetime.combine(value, dt.time(), tzinfo=zone)


def _text(component: icalendar.Component, name: str) -> str:
    return _plain(str(_first(component.get(name)) or ""))


def _categories(component: icalendar.Component) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for value in _values(component.get("CATEGORIES")):
        parts = value.cats if isinstance(value, icalendar.vCategory) else str(value).split(",")
        for part in parts:
            if name := _plain(str(part)):
                names.setdefault(name, None)
    return tuple(names)


def _image_url(component: icalendar.Component, base_url: str) -> str | None:
    # RFC 7986 IMAGE is an image by definition; ATTACH only when it says or looks so.
    for name in ("IMAGE", "ATTACH"):
        for value in _values(component.get(name)):
            params = getattr(value, "params", {})
            if isinstance(value, icalendar.vBinary):
                url = _safe_url(params.get("ALTREP"), base_url)
            else:
                url = _safe_url(value, base_url)
            if url is None:
                continue
            kind = str(params.get("FMTTYPE", "")).lower()
            looks_like_image = urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES)
            if name == "IMAGE" or kind.startswith("image/") or (not kind and looks_like_image):
                return url
    return None


def _published(component: icalendar.Component, zone: dt.tzinfo) -> dt.datetime | None:
    for name in ("LAST-MODIFIED", "CREATED"):
        value = _first(component.get(name))
        if isinstance(value, icalendar.vDDDTypes) and isinstance(value.dt, dt.datetime):
            return _aware(value.dt, zone)
    return None


# Small helpers


def _values(value: Any) -> list[Any]:
    """A property's values: icalendar gives a list when a property is repeated."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    values = _values(value)
    return values[0] if values else None


def _raw(value: Any) -> str:
    try:
        return str(value.to_ical().decode())
    except Exception:
        return str(value)


def _reason(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 200 else text[:199] + "…"


def _plain(text: str) -> str:
    return plain_text(text, single_line=True)


def _safe_url(value: object, base_url: str) -> str | None:
    """An absolute http(s) URL, or None for anything else (javascript:, data:, mailto:…)."""
    return safe_url(str(value or ""), base_url)
