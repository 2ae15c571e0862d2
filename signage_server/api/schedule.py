"""A slide's schedule, seconds and title as the API shows and takes them, read into the
same :class:`SlideRule` the web UI's forms make, with the same limits and messages.

- ``from``, ``until``: ISO 8601 moments with an offset (``2026-12-06T18:00:00+01:00``), or a
  date (``2026-12-06``), which means the start of that day for ``from`` and the end of it
  for ``until`` in the area's time zone, as in the web UI. Shown as moments in the area's
  zone; ``until`` is the moment the slide stops showing.
- ``weekdays``: ``["mon", "sat"]``; none or all seven mean every day.
- ``hours``: ``"10:00-15:00"`` (an end before the start runs past midnight).
- ``duration``: seconds, 3 to 600.
- ``title``: plain text, at most 120 characters (HTML is kept as the text it is).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from ..recipes import SlideRule
from ..textslides import MAX_TITLE, clean_text
from ..web.schedule import MAX_DURATION, MIN_DURATION
from .errors import Invalid
from .language import Messages

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIELDS = ("from", "until", "weekdays", "hours", "duration", "title")
FIRST_YEAR, LAST_YEAR = 2000, 2100

_MOMENT = {
    "type": ["string", "null"],
    "description": "an ISO 8601 moment with offset, or a date (YYYY-MM-DD) in the area's zone",
}
#: The schedule as the API shows it (the same keys are taken by PATCH, with null clearing).
SCHEDULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["from", "until", "weekdays", "hours", "duration"],
    "additionalProperties": False,
    "properties": {
        "from": {"type": ["string", "null"], "format": "date-time"},
        "until": {"type": ["string", "null"], "format": "date-time"},
        "weekdays": {
            "type": ["array", "null"],
            "items": {"enum": list(WEEKDAYS)},
            "uniqueItems": True,
        },
        "hours": {"type": ["string", "null"], "pattern": HOURS_RE.pattern},
        "duration": {"type": ["number", "null"], "minimum": MIN_DURATION, "maximum": MAX_DURATION},
    },
}
#: What PATCH takes for each field.
INPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "from": _MOMENT,
    "until": _MOMENT,
    "weekdays": {
        "type": ["array", "null"],
        "items": {"enum": list(WEEKDAYS)},
        "uniqueItems": True,
        "description": "the days it shows; none or all seven: every day",
    },
    "hours": {
        "type": ["string", "null"],
        "pattern": HOURS_RE.pattern,
        "description": "the time of day it shows, e.g. 10:00-15:00",
    },
    "duration": {
        "type": ["number", "null"],
        "minimum": MIN_DURATION,
        "maximum": MAX_DURATION,
        "description": "seconds on screen",
    },
    "title": {
        "type": ["string", "null"],
        "maxLength": MAX_TITLE,
        "description": "the slide's title (plain text); null: from the file's name",
    },
}


def as_json(rule: SlideRule, zone: ZoneInfo) -> dict[str, Any]:
    """The schedule of a rule, as the API shows it."""
    return {
        "from": rule.start.astimezone(zone).isoformat() if rule.start else None,
        "until": rule.until.astimezone(zone).isoformat() if rule.until else None,
        "weekdays": [WEEKDAYS[day] for day in sorted(rule.weekdays)] if rule.weekdays else None,
        "hours": f"{rule.hours[0]:%H:%M}-{rule.hours[1]:%H:%M}" if rule.hours else None,
        "duration": rule.duration,
    }


def apply(
    base: SlideRule, changes: Mapping[str, object], zone: ZoneInfo, say: Messages
) -> SlideRule:
    """``base`` with the given fields changed (None clears one); raises Invalid naming the
    first field that is not valid."""
    rule = base
    if "from" in changes:
        rule = replace(rule, start=_moment(changes["from"], "from", zone, say))
    if "until" in changes:
        rule = replace(rule, until=_moment(changes["until"], "until", zone, say))
    if "weekdays" in changes:
        rule = replace(rule, weekdays=_weekdays(changes["weekdays"], say))
    if "hours" in changes:
        rule = replace(rule, hours=_hours(changes["hours"], say))
    if "duration" in changes:
        rule = replace(rule, duration=_duration(changes["duration"], say))
    if "title" in changes:
        rule = replace(rule, title=_title(changes["title"], say))
    if rule.start and rule.until and rule.until <= rule.start:
        field = "until" if "until" in changes or "from" not in changes else "from"
        raise Invalid(say.say("until must be after from", "Slut skal ligge efter start."), field)
    return rule


def from_form(form: Mapping[str, str]) -> dict[str, object]:
    """The fields of a multipart form as :func:`apply` takes them: an empty field is
    left out, ``weekdays`` is a list separated by commas, ``duration`` a number if it
    is one (else it stays text, and is refused as such)."""
    changes: dict[str, object] = {}
    for name in FIELDS:
        value = form.get(name, "").strip()
        if not value:
            continue
        if name == "weekdays":
            changes[name] = [day.strip() for day in value.split(",") if day.strip()]
        elif name == "duration":
            try:
                changes[name] = float(value.replace(",", "."))
            except ValueError:
                changes[name] = value
        else:
            changes[name] = value
    return changes


def _moment(value: object, field: str, zone: ZoneInfo, say: Messages) -> dt.datetime | None:
    if value is None:
        return None
    problem = say.say(
        "expected an ISO 8601 moment with offset (2026-12-06T18:00:00+01:00) or a date "
        "(2026-12-06)",
        "Skriv tidspunktet som 2026-12-06T18:00:00+01:00 eller datoen som 2026-12-06.",
    )
    if not isinstance(value, str):
        raise Invalid(problem, field)
    text = value.strip()
    try:
        if DATE_RE.match(text):
            day = dt.date.fromisoformat(text)
            if field == "until":  # to the end of that day, as in the web UI
                day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        else:
            moment = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise Invalid(problem, field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Invalid(problem, field)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise Invalid(say.web("The date is out of range."), field)
    return moment


def _weekdays(value: object, say: Messages) -> frozenset[int] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not all(day in WEEKDAYS for day in value)
        or len(set(value)) != len(value)
    ):
        raise Invalid(
            say.say(
                f"expected a list of weekdays, each once: {', '.join(WEEKDAYS)}",
                f"Skriv ugedagene som en liste, hver én gang: {', '.join(WEEKDAYS)}.",
            ),
            "weekdays",
        )
    days = frozenset(WEEKDAYS.index(day) for day in value)
    return days if days and len(days) < len(WEEKDAYS) else None


def _hours(value: object, say: Messages) -> tuple[dt.time, dt.time] | None:
    if value is None:
        return None
    match = HOURS_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise Invalid(say.web("Give both times, like 08:00 and 22:00."), "hours")
    begin = dt.time(int(match[1]), int(match[2]))
    end = dt.time(int(match[3]), int(match[4]))
    if begin == end:
        raise Invalid(say.web("The two times must not be the same."), "hours")
    return begin, end


def _duration(value: object, say: Messages) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not MIN_DURATION <= value <= MAX_DURATION
    ):
        raise Invalid(
            say.web(
                "Write the number of seconds, from %(low)d to %(high)d.",
                low=MIN_DURATION,
                high=MAX_DURATION,
            ),
            "duration",
        )
    return float(value)


def _title(value: object, say: Messages) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(say.say("expected text", "Skriv en tekst."), "title")
    title = clean_text(value).replace("\n", " ")
    if len(title) > MAX_TITLE or len(value) > MAX_TITLE:
        raise Invalid(
            say.web("The title is too long (at most %(num)d characters).", num=MAX_TITLE),
            "title",
        )
    return title or None
