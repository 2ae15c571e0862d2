"""Proof of play on the server (signage_server/plays.py): storing what screens report, the
totals and a screen's day in the area's time zone (also on the days the clocks change), and
the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from player.protocol import Play
from signage_server import plays, screens, store
from signage_server.plays import DateRange

CPH = ZoneInfo("Europe/Copenhagen")


def at(day: str, clock: str = "00:00:00", zone: ZoneInfo = CPH) -> float:
    """Epoch seconds of a local time, e.g. ``at("2025-12-01", "10:00:00")``."""
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone).timestamp()


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    connection = store.connect(tmp_path / "data" / "signage.db")
    screens.add(connection, "morkov", "Forsamlingshuset")
    screens.add(connection, "morkov", "Hallen")
    screens.add(connection, "jyderup", "Biblioteket")
    return connection


def test_a_batch_stored_twice_is_stored_once(db: sqlite3.Connection) -> None:
    batch = [
        Play("morkov/a.jpg", at("2025-12-01", "10:00:00"), 10.0, "Julemarked"),
        Play("morkov/b.jpg", at("2025-12-01", "10:00:10"), 8.0, "Spisning"),
    ]
    now = at("2025-12-01", "12:00:00")
    assert plays.store(db, 1, "morkov", batch, now) == 2
    assert plays.store(db, 1, "morkov", batch, now) == 0  # the acknowledgement was lost
    assert plays.store(db, 2, "morkov", batch, now) == 2  # another screen showed the same
    assert db.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 4
    assert plays.store(db, 1, "morkov", [], now) == 0


def test_plays_from_a_clock_a_day_ahead_are_not_stored(db: sqlite3.Connection) -> None:
    now = at("2025-12-01", "12:00:00")
    ahead = Play("morkov/a.jpg", now + 2 * 86400, 10.0)
    near = Play("morkov/a.jpg", now + 60, 10.0)
    assert plays.store(db, 1, "morkov", [ahead, near], now) == 1


def test_totals_per_slide_and_per_day(db: sqlite3.Connection) -> None:
    now = at("2025-12-10")
    plays.store(
        db,
        1,
        "morkov",
        [
            Play("morkov/a.jpg", at("2025-12-01", "10:00:00"), 10.0, "Julemarked"),
            Play("morkov/a.jpg", at("2025-12-02", "23:59:55"), 10.0, "Julemarked i hallen"),
            Play("morkov/b.jpg", at("2025-12-02", "10:00:00"), 30.0, "Spisning"),
            Play("morkov/a.jpg", at("2025-12-04", "00:00:00"), 10.0, "after the range"),
        ],
        now,
    )
    plays.store(db, 2, "morkov", [Play("morkov/a.jpg", at("2025-12-01", "11:00"), 5.0)], now)
    plays.store(db, 3, "jyderup", [Play("jyderup/x.jpg", at("2025-12-01", "11:00"), 5.0)], now)
    span = DateRange(dt.date(2025, 12, 1), dt.date(2025, 12, 3), CPH)
    totals = plays.totals_by_slide(db, "morkov", span)
    assert [(t.item, t.title, t.plays, t.seconds, t.screens) for t in totals] == [
        ("morkov/b.jpg", "Spisning", 1, 30.0, 1),
        # The title it had when last shown; a play belongs to the day it started on.
        ("morkov/a.jpg", "Julemarked i hallen", 3, 25.0, 2),
    ]
    days = plays.totals_by_day(db, "morkov", span)
    assert [(d.day.day, d.plays, d.seconds) for d in days] == [
        (1, 2, 15.0),
        (2, 2, 40.0),
        (3, 0, 0),
    ]
    only_a = plays.totals_by_day(db, "morkov", span, "morkov/a.jpg")
    assert [d.seconds for d in only_a] == [15.0, 10.0, 0]
    assert plays.screens_with_plays(db, "morkov", span) == 2
    assert plays.totals_by_slide(db, "morkov", span, "morkov/b.jpg")[0].item == "morkov/b.jpg"


def test_days_follow_the_areas_clock_when_it_changes() -> None:
    # Copenhagen: 30 March 2025 has 23 hours, 26 October 2025 has 25.
    assert len(plays.hours(dt.date(2025, 3, 30), CPH)) == 23
    assert len(plays.hours(dt.date(2025, 10, 26), CPH)) == 25
    assert len(plays.hours(dt.date(2025, 12, 1), CPH)) == 24
    autumn = plays.hours(dt.date(2025, 10, 26), CPH)
    labels = [dt.datetime.fromtimestamp(start, CPH).strftime("%H") for start, _ in autumn]
    assert labels[:5] == ["00", "01", "02", "02", "03"]
    span = DateRange(dt.date(2025, 10, 26), dt.date(2025, 10, 26), CPH)
    assert span.end - span.start == 25 * 3600
    assert span.start == at("2025-10-26")  # midnight is still summer time (+02:00)
    # The same dates in another zone are other moments.
    tokyo = DateRange(span.first, span.last, ZoneInfo("Asia/Tokyo"))
    assert span.start - tokyo.start == 7 * 3600


def test_a_play_before_midnight_is_in_that_day_also_when_the_clocks_change(
    db: sqlite3.Connection,
) -> None:
    now = at("2025-11-01")
    late = Play("morkov/a.jpg", at("2025-10-25", "23:59:00"), 30.0)  # summer time
    early = Play("morkov/a.jpg", at("2025-10-26", "00:00:00"), 10.0)
    last = Play("morkov/a.jpg", at("2025-10-26", "23:59:59"), 10.0)  # winter time
    plays.store(db, 1, "morkov", [late, early, last], now)
    days = plays.totals_by_day(
        db, "morkov", DateRange(dt.date(2025, 10, 25), dt.date(2025, 10, 27), CPH)
    )
    assert [(d.plays, d.seconds) for d in days] == [(1, 30.0), (2, 20.0), (0, 0)]


def test_a_screens_day_is_cut_at_its_midnights(db: sqlite3.Connection) -> None:
    now = at("2025-12-05")
    plays.store(
        db,
        1,
        "morkov",
        [
            Play("morkov/a.jpg", at("2025-12-01", "23:59:50"), 20.0, "Julemarked"),
            Play("morkov/b.jpg", at("2025-12-02", "12:00:00"), 8.0, "Spisning"),
            Play("morkov/a.jpg", at("2025-12-02", "23:59:55"), 10.0, "Julemarked"),
        ],
        now,
    )
    plays.store(db, 2, "morkov", [Play("morkov/x.jpg", at("2025-12-02", "12:00"), 8.0)], now)
    day = plays.screen_day(db, 1, dt.date(2025, 12, 2), CPH)
    assert [(s.item, s.start, s.seconds) for s in day] == [
        ("morkov/a.jpg", at("2025-12-02"), 10.0),
        ("morkov/b.jpg", at("2025-12-02", "12:00:00"), 8.0),
        ("morkov/a.jpg", at("2025-12-02", "23:59:55"), 5.0),
    ]
    assert plays.screen_day(db, 3, dt.date(2025, 12, 2), CPH) == []


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_quotes_and_guards_against_formulas(db: sqlite3.Connection) -> None:
    now = at("2025-12-05")
    titles = [
        '=HYPERLINK("http://evil.example","klik")',
        "+45 12 34 56 78",
        "-2 grader, frost",
        "@SUM(A1:A9)",
        'Koncert "Live", i hallen\nkl. 20',
        "Almindelig titel",
    ]
    plays.store(
        db,
        1,
        "morkov",
        [
            Play(f"morkov/{n}.jpg", at("2025-12-01", f"10:00:{n:02d}"), 9.6, title)
            for n, title in enumerate(titles)
        ],
        now,
    )
    span = DateRange(dt.date(2025, 12, 1), dt.date(2025, 12, 1), CPH)
    chunks = list(plays.export_rows(db, "morkov", span))
    text = plays.csv_header() + plays.csv_lines(chunks[0], {1: "=Hallen"}, CPH)
    assert "\r\n" in text
    rows = read_csv(text)
    assert rows[0] == ["screen", "area", "item", "title", "started", "seconds"]
    assert [row[3] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example","klik")',
        "'+45 12 34 56 78",
        "'-2 grader, frost",
        "'@SUM(A1:A9)",
        'Koncert "Live", i hallen\nkl. 20',
        "Almindelig titel",
    ]
    assert rows[1][0] == "'=Hallen"
    assert rows[1][4] == "2025-12-01T10:00:00+01:00"
    assert rows[1][5] == "10"  # whole seconds
    assert plays.guard("\tx") == "'\tx" and plays.guard("normal = fine") == "normal = fine"


def test_csv_times_carry_the_offset_of_their_season(db: sqlite3.Connection) -> None:
    plays.store(db, 1, "morkov", [Play("morkov/a.jpg", at("2025-07-01", "10:00"), 5.0)], 2e9)
    span = DateRange(dt.date(2025, 7, 1), dt.date(2025, 7, 1), CPH)
    rows = read_csv(plays.csv_lines(next(plays.export_rows(db, "morkov", span)), {}, CPH))
    assert rows[0][0] == "1"  # a screen without a name: its id
    assert rows[0][4] == "2025-07-01T10:00:00+02:00"


def test_the_export_goes_in_chunks_without_losing_ties(
    db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plays, "EXPORT_CHUNK", 3)
    start = at("2025-12-01", "10:00")
    batch = [Play(f"morkov/{n % 4}.jpg", start + n // 4, 5.0) for n in range(20)]
    plays.store(db, 1, "morkov", batch, 2e9)
    plays.store(db, 2, "morkov", batch[:5], 2e9)  # same moments on another screen
    span = DateRange(dt.date(2025, 12, 1), dt.date(2025, 12, 1), CPH)
    chunks = list(plays.export_rows(db, "morkov", span))
    rows = [(r["started_at"], r["screen_id"], r["item"]) for chunk in chunks for r in chunk]
    assert max(len(chunk) for chunk in chunks) == 3
    assert len(rows) == 25 and len(set(rows)) == 25 and rows == sorted(rows)
    only = [r for chunk in plays.export_rows(db, "morkov", span, "morkov/1.jpg") for r in chunk]
    assert len(only) == 6 and {r["item"] for r in only} == {"morkov/1.jpg"}
