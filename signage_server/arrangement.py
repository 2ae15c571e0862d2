"""What editors set on slides in the web UI: a schedule, a duration, a title, paused or
not (per file of a drop folder), and the order of an area's slides.

Kept in the database (``slide_settings``, ``slide_order``) and read into an
:class:`Arrangement`, the plain value :func:`compose` takes. A file's settings from the
web take the place of a ``[slides."<file>"]`` rule in the area's recipe: the later, explicit
choice wins, and the web UI says so. Settings are by file, so they hold for every page
of a PDF, as a recipe's rules do; a slide's key is ``<folder>/<file>``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .recipes import SlideRule


def key_of(folder: str, file: str) -> str:
    return f"{folder}/{file}"


@dataclass(frozen=True)
class Arrangement:
    #: The web's settings by slide key (``folder/file``).
    rules: Mapping[str, SlideRule] = field(default_factory=dict)
    paused: frozenset[str] = frozenset()
    #: Per area: slide key → position (0 first). Slides without one follow, in the
    #: recipe's order.
    order: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def rule(self, folder: str, file: str) -> SlideRule | None:
        return self.rules.get(key_of(folder, file))

    def is_paused(self, folder: str, file: str) -> bool:
        return key_of(folder, file) in self.paused

    def position(self, area: str, folder: str, file: str) -> int | None:
        return self.order.get(area, {}).get(key_of(folder, file))


def load(db: sqlite3.Connection) -> Arrangement:
    rules: dict[str, SlideRule] = {}
    paused: set[str] = set()
    for row in db.execute("SELECT * FROM slide_settings"):
        key = key_of(row["folder"], row["file"])
        rules[key] = _rule(row)
        if row["paused"]:
            paused.add(key)
    order: dict[str, dict[str, int]] = {}
    for row in db.execute("SELECT area, slide, position FROM slide_order"):
        order.setdefault(row["area"], {})[row["slide"]] = row["position"]
    return Arrangement(rules, frozenset(paused), order)


def save(
    db: sqlite3.Connection,
    folder: str,
    file: str,
    rule: SlideRule,
    *,
    paused: bool = False,
    user_id: int | None = None,
) -> None:
    """Store the web's settings of one file (all of them: what is None is unset)."""
    db.execute(
        "INSERT OR REPLACE INTO slide_settings (folder, file, paused, duration, starts_at, "
        "ends_at, weekdays, hours, title, updated_by, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            folder,
            file,
            int(paused),
            rule.duration,
            rule.start.timestamp() if rule.start else None,
            rule.until.timestamp() if rule.until else None,
            ",".join(str(day) for day in sorted(rule.weekdays)) if rule.weekdays else None,
            _hours_text(rule.hours),
            rule.title,
            user_id,
            time.time(),
        ),
    )


def load_one(db: sqlite3.Connection, folder: str, file: str) -> SlideRule | None:
    row = db.execute(
        "SELECT * FROM slide_settings WHERE folder = ? AND file = ?", (folder, file)
    ).fetchone()
    return None if row is None else _rule(row)


def is_paused(db: sqlite3.Connection, folder: str, file: str) -> bool:
    row = db.execute(
        "SELECT paused FROM slide_settings WHERE folder = ? AND file = ?", (folder, file)
    ).fetchone()
    return bool(row and row["paused"])


def set_order(db: sqlite3.Connection, area: str, keys: Iterable[str]) -> None:
    """The area's slides in this order (keys ``folder/file``), in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM slide_order WHERE area = ?", (area,))
        db.executemany(
            "INSERT INTO slide_order (area, slide, position) VALUES (?, ?, ?)",
            [(area, key, position) for position, key in enumerate(dict.fromkeys(keys))],
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def forget(db: sqlite3.Connection, folder: str, file: str) -> None:
    """Drop what was set on a file that is gone (deleted from the web UI)."""
    db.execute("DELETE FROM slide_settings WHERE folder = ? AND file = ?", (folder, file))
    db.execute("DELETE FROM slide_order WHERE slide = ?", (key_of(folder, file),))


def _rule(row: Mapping[str, object] | sqlite3.Row) -> SlideRule:
    def moment(value: object) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, float) else None

    weekdays = row["weekdays"]
    hours = row["hours"]
    duration = row["duration"]
    title = row["title"]
    return SlideRule(
        duration=duration if isinstance(duration, float) else None,
        start=moment(row["starts_at"]),
        until=moment(row["ends_at"]),
        weekdays=frozenset(int(day) for day in weekdays.split(","))
        if isinstance(weekdays, str) and weekdays
        else None,
        hours=_parse_hours(hours) if isinstance(hours, str) else None,
        title=title if isinstance(title, str) and title else None,
    )


def _hours_text(hours: tuple[dt.time, dt.time] | None) -> str | None:
    if hours is None:
        return None
    return f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"


def _parse_hours(text: str) -> tuple[dt.time, dt.time] | None:
    try:
        begin, end = text.split("-")
        return dt.time.fromisoformat(begin), dt.time.fromisoformat(end)
    except ValueError:
        return None
