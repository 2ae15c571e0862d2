"""The schedule fields of the slide forms (duration, from, until, weekdays, hours, title)
read into a :class:`SlideRule`, and a rule shown back in the form and in the list.

Dates and times are the area's local ones. "Until 6 December" means to the end of that
day, as in a recipe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..pages import danish
from ..recipes import SlideRule
from ..textslides import MAX_TITLE, clean_text

MIN_DURATION, MAX_DURATION = 3, 600
#: Monday first, as ``datetime.weekday()``; the form's field names.
WEEKDAY_FIELDS = ("man", "tir", "ons", "tor", "fre", "lor", "son")


@dataclass(frozen=True)
class Fields:
    """What the form shows: the texts of the inputs."""

    title: str = ""
    duration: str = ""
    start: str = ""
    until: str = ""
    weekdays: frozenset[int] = frozenset()
    hours_from: str = ""
    hours_to: str = ""


def read(
    form: Mapping[str, object], zone: ZoneInfo, gettext: Callable[[str], str]
) -> tuple[Fields, SlideRule | None, dict[str, str]]:
    """The fields as typed, the rule (None when there are errors), and the errors by field."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    fields = Fields(
        title=clean_text(text("title")).replace("\n", " "),
        duration=text("duration"),
        start=text("from"),
        until=text("until"),
        weekdays=frozenset(
            index for index, name in enumerate(WEEKDAY_FIELDS) if form.get(f"day_{name}")
        ),
        hours_from=text("hours_from"),
        hours_to=text("hours_to"),
    )
    errors: dict[str, str] = {}
    if len(fields.title) > MAX_TITLE:
        errors["title"] = gettext("The title is too long (at most %(num)d characters).") % {
            "num": MAX_TITLE
        }
    duration = None
    if fields.duration:
        try:
            duration = float(fields.duration.replace(",", "."))
        except ValueError:
            duration = -1.0
        if not MIN_DURATION <= duration <= MAX_DURATION:
            errors["duration"] = gettext(
                "Write the number of seconds, from %(low)d to %(high)d."
            ) % {"low": MIN_DURATION, "high": MAX_DURATION}
    start = _date(fields.start, "from", errors, gettext)
    until = _date(fields.until, "until", errors, gettext)
    start_at = dt.datetime.combine(start, dt.time(), tzinfo=zone) if start else None
    until_at = (
        dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone) if until else None
    )
    if start_at and until_at and until_at <= start_at:
        errors["until"] = gettext("The last day must be on or after the first day.")
    hours = None
    if fields.hours_from or fields.hours_to:
        try:
            hours = (
                dt.time.fromisoformat(fields.hours_from),
                dt.time.fromisoformat(fields.hours_to),
            )
        except ValueError:
            errors["hours"] = gettext("Give both times, like 08:00 and 22:00.")
        else:
            if hours[0] == hours[1]:
                errors["hours"] = gettext("The two times must not be the same.")
    weekdays = fields.weekdays if fields.weekdays and len(fields.weekdays) < 7 else None
    if errors:
        return fields, None, errors
    rule = SlideRule(
        duration=duration,
        start=start_at,
        until=until_at,
        weekdays=weekdays,
        hours=hours,
        title=fields.title or None,
    )
    return fields, rule, errors


def fields_of(rule: SlideRule | None, zone: ZoneInfo) -> Fields:
    """The form's fields for a rule (to edit it)."""
    if rule is None:
        return Fields()
    until = rule.until.astimezone(zone) if rule.until else None
    if until is not None and until.time() == dt.time():
        until -= dt.timedelta(days=1)  # to the end of the day before: that day is the last
    return Fields(
        title=rule.title or "",
        duration=f"{rule.duration:g}" if rule.duration else "",
        start=rule.start.astimezone(zone).date().isoformat() if rule.start else "",
        until=until.date().isoformat() if until else "",
        weekdays=rule.weekdays or frozenset(),
        hours_from=f"{rule.hours[0]:%H:%M}" if rule.hours else "",
        hours_to=f"{rule.hours[1]:%H:%M}" if rule.hours else "",
    )


def summary(rule: SlideRule, zone: ZoneInfo, gettext: Callable[[str], str]) -> str:
    """A short text of when a slide shows, for the list ("" for always)."""
    parts = []
    if rule.start:
        parts.append(gettext("from %(day)s") % {"day": _day(rule.start.astimezone(zone))})
    if rule.until:
        last = rule.until.astimezone(zone)
        if last.time() == dt.time():
            last -= dt.timedelta(days=1)
        parts.append(gettext("until %(day)s") % {"day": _day(last)})
    if rule.weekdays:
        parts.append(
            ", ".join(
                WEEKDAY_FIELDS[day].replace("lor", "lør").replace("son", "søn")
                for day in sorted(rule.weekdays)
            )
        )
    if rule.hours:
        parts.append(f"{rule.hours[0]:%H.%M}–{rule.hours[1]:%H.%M}")
    return " · ".join(parts)


def _day(moment: dt.datetime) -> str:
    return danish.day_month(moment, moment.tzinfo or dt.UTC)


def _date(
    value: str, name: str, errors: dict[str, str], gettext: Callable[[str], str]
) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = gettext("Write the date as 2026-12-06 (or pick it in the calendar).")
        return None
    if not 2000 <= day.year <= 2100:
        errors[name] = gettext("The date is out of range.")
        return None
    return day
