"""Proof of play: what each screen reports it showed (the ``plays`` table), the totals the web
UI draws, a screen's day, and the CSV export.

Days are the area's local days: a range of dates runs from local midnight of the first to
local midnight after the last, so a day in which the clocks change has 23 or 25 hours. A play
belongs to the day (and the range) in which it started.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from player.protocol import Play

#: The longest range the web UI and the export take, in days.
MAX_DAYS = 92
#: A play starting further than this ahead of the server's clock is not stored: its player's
#: clock is far off, and it would sit in the charts of a day that has not come.
FUTURE_SECONDS = 24 * 3600.0
#: The longest play the protocol allows; a screen's day looks back this far for plays that
#: began the evening before.
LONGEST_PLAY = 86400.0
CSV_COLUMNS = ("screen", "area", "item", "title", "started", "seconds")
#: A cell starting with one of these is a formula to a spreadsheet (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 1000


def store(
    db: sqlite3.Connection, screen_id: int, area: str, plays: Iterable[Play], now: float
) -> int:
    """Keep the plays a screen reported; returns how many were new. Storing the same play
    again (a batch sent twice, when the acknowledgement was lost) stores nothing."""
    rows = [
        (screen_id, area, play.item, play.title, play.started_at, play.seconds)
        for play in plays
        if play.started_at <= now + FUTURE_SECONDS
    ]
    if not rows:
        return 0
    before = db.total_changes
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(
            "INSERT OR IGNORE INTO plays (screen_id, area, item, title, started_at, seconds) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return db.total_changes - before


# --- days and ranges ------------------------------------------------------------------


def midnight(day: dt.date, zone: ZoneInfo) -> float:
    """The moment ``day`` begins in ``zone``, as epoch seconds."""
    return dt.datetime.combine(day, dt.time(), zone).timestamp()


@dataclass(frozen=True)
class DateRange:
    """The local days ``first`` to ``last``, both included, in ``zone``."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @property
    def start(self) -> float:
        return midnight(self.first, self.zone)

    @property
    def end(self) -> float:
        return midnight(self.last + dt.timedelta(days=1), self.zone)

    def days(self) -> list[dt.date]:
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=offset) for offset in range(count)]


def hours(day: dt.date, zone: ZoneInfo) -> list[tuple[float, float]]:
    """The hours of a local day as ``(start, end)`` epoch seconds: 24, or 23 and 25 on the
    days the clocks change (the hour that is lived twice comes twice)."""
    start, end = midnight(day, zone), midnight(day + dt.timedelta(days=1), zone)
    bands = []
    moment = start
    while moment < end:
        bands.append((moment, min(moment + 3600.0, end)))
        moment += 3600.0
    return bands


# --- what the charts read --------------------------------------------------------------


@dataclass(frozen=True)
class SlideTotal:
    item: str
    #: The title it had when last shown.
    title: str
    plays: int
    seconds: float
    screens: int


def totals_by_slide(
    db: sqlite3.Connection, area: str, span: DateRange, item: str | None = None
) -> list[SlideTotal]:
    """Per item shown in the area: how often and how long, over every screen; longest first."""
    where, values = _where(area, span, item)
    rows = db.execute(
        "SELECT item, title, MAX(started_at) AS last, COUNT(*) AS plays, "
        "SUM(seconds) AS seconds, COUNT(DISTINCT screen_id) AS screens "
        f"FROM plays WHERE {where} GROUP BY item ORDER BY seconds DESC, item",
        values,
    ).fetchall()
    return [
        SlideTotal(row["item"], row["title"], row["plays"], row["seconds"], row["screens"])
        for row in rows
    ]


@dataclass(frozen=True)
class DayTotal:
    day: dt.date
    plays: int
    seconds: float


def totals_by_day(
    db: sqlite3.Connection, area: str, span: DateRange, item: str | None = None
) -> list[DayTotal]:
    """Per local day of the range: how long anything (or ``item``) was on the area's screens."""
    totals = []
    for day in span.days():
        one = DateRange(day, day, span.zone)
        where, values = _where(area, one, item)
        row = db.execute(
            f"SELECT COUNT(*) AS plays, COALESCE(SUM(seconds), 0) AS seconds "
            f"FROM plays WHERE {where}",
            values,
        ).fetchone()
        totals.append(DayTotal(day, row["plays"], row["seconds"]))
    return totals


def screens_with_plays(db: sqlite3.Connection, area: str, span: DateRange) -> int:
    where, values = _where(area, span, None)
    row = db.execute(f"SELECT COUNT(DISTINCT screen_id) FROM plays WHERE {where}", values)
    count: int = row.fetchone()[0]
    return count


@dataclass(frozen=True)
class Segment:
    """A play on a screen's timeline, cut to the day."""

    item: str
    title: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def screen_day(
    db: sqlite3.Connection, screen_id: int, day: dt.date, zone: ZoneInfo
) -> list[Segment]:
    """What one screen showed on a local day, in order, cut at the day's edges."""
    start, end = midnight(day, zone), midnight(day + dt.timedelta(days=1), zone)
    rows = db.execute(
        "SELECT item, title, started_at, seconds FROM plays "
        "WHERE screen_id = ? AND started_at >= ? AND started_at < ? "
        "AND started_at + seconds > ? ORDER BY started_at, item",
        (screen_id, start - LONGEST_PLAY, end, start),
    ).fetchall()
    return [
        Segment(
            row["item"],
            row["title"],
            max(start, row["started_at"]),
            min(end, row["started_at"] + row["seconds"]),
        )
        for row in rows
    ]


# --- the CSV export -----------------------------------------------------------------------


def export_chunk(
    db: sqlite3.Connection,
    area: str,
    span: DateRange,
    item: str | None,
    after: tuple[float, int, str] | None = None,
    limit: int | None = None,
) -> list[sqlite3.Row]:
    """The next ``limit`` plays of the export in time order, after the key ``after``
    (``(started_at, screen_id, item)`` of the last row of the previous chunk). Short queries
    one after another, so that a long export holds nothing open between them."""
    where, values = _where(area, span, item)
    if after is not None:
        where += " AND (started_at, screen_id, item) > (?, ?, ?)"
        values += after
    return db.execute(
        "SELECT screen_id, area, item, title, started_at, seconds "
        f"FROM plays WHERE {where} ORDER BY started_at, screen_id, item LIMIT ?",
        (*values, limit or EXPORT_CHUNK),
    ).fetchall()


def export_rows(
    db: sqlite3.Connection, area: str, span: DateRange, item: str | None = None
) -> Iterator[list[sqlite3.Row]]:
    """Every play of the export, a chunk at a time."""
    after = None
    while True:
        rows = export_chunk(db, area, span, item, after)
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = (last["started_at"], last["screen_id"], last["item"])


def csv_header() -> str:
    return _csv_line(CSV_COLUMNS)


def csv_lines(rows: Iterable[sqlite3.Row], screen_names: dict[int, str], zone: ZoneInfo) -> str:
    """The rows as CSV (RFC 4180: commas, quotes where needed, CRLF); ``started`` in ISO 8601
    with the area's offset, ``seconds`` whole (a spreadsheet reads no decimal point wrong)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        started = dt.datetime.fromtimestamp(row["started_at"], zone).replace(microsecond=0)
        writer.writerow(
            (
                guard(screen_names.get(row["screen_id"], str(row["screen_id"]))),
                guard(row["area"]),
                guard(row["item"]),
                guard(row["title"]),
                started.isoformat(),
                round(row["seconds"]),
            )
        )
    return out.getvalue()


def guard(text: str) -> str:
    """A cell a spreadsheet will not run as a formula: one starting with ``= + - @`` (or a tab
    or carriage return) gets an apostrophe in front."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_line(cells: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def _where(area: str, span: DateRange, item: str | None) -> tuple[str, tuple[str | float, ...]]:
    where = "area = ? AND started_at >= ? AND started_at < ?"
    values: tuple[str | float, ...] = (area, span.start, span.end)
    if item is not None:
        where += " AND item = ?"
        values += (item,)
    return where, values
