"""Announcements: a message from the municipality to every screen of some areas at once.

An **urgent** one (a water outage, a storm) takes over the screen until it ends or is
cancelled; an **info** one ("Husk valget tirsdag") runs as a banner and a slide in the
rotation. Each has a start and an end; an urgent one must be given an end, an info one ends
:data:`DEFAULT_INFO_HOURS` after its start unless told otherwise.

Stored in the database, with every create and cancel in the audit log (who, when, what, to
whom). The audit entry's id is the **sequence number**: it only grows, survives a restart,
and names the set of announcements a player has (``Announcements.seq``). A player that
acknowledges a set has received every announcement of its area created at or before that
number that had not ended; what it shows it reports one by one. So the page can say, screen
by screen, "received", "shown", or "offline".
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from player.protocol import SEVERITIES, Announcement, Asset

from .textslides import MAX_TEXT, MAX_TITLE, clean_text

ALL = "all"
DEFAULT_INFO_HOURS = 24
MAX_DAYS = 31
#: How far back the start may lie (a form sent a little late still means "now").
PAST_TOLERANCE_SECONDS = 300


class AnnouncementError(ValueError):
    """An announcement that cannot be sent; ``field`` names the bad field."""

    def __init__(self, field: str, message: str, danish: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.danish = danish


@dataclass(frozen=True)
class Draft:
    title: str
    text: str = ""
    severity: str = "info"
    #: Area ids, or ("all",).
    areas: tuple[str, ...] = (ALL,)
    starts_at: float | None = None
    ends_at: float | None = None
    picture: Asset | None = None


@dataclass(frozen=True)
class Stored:
    id: int
    title: str
    text: str
    severity: str
    areas: tuple[str, ...]
    starts_at: float
    ends_at: float
    created_at: float
    created_by: str
    cancelled_at: float | None
    cancelled_by: str | None
    seq: int
    picture: Asset | None

    def reaches(self, area: str) -> bool:
        return ALL in self.areas or area in self.areas

    def live_at(self, now: float) -> bool:
        """Not cancelled and not ended: it belongs in the areas' sets."""
        return self.cancelled_at is None and self.ends_at > now

    def message(self) -> Announcement:
        return Announcement(
            self.id,
            self.title,
            self.text,
            self.severity,
            self.starts_at,
            self.ends_at,
            self.picture,
        )


def check(draft: Draft, known_areas: Iterable[str], now: float) -> Draft:
    """The draft with its text cleaned and its times settled. Raises AnnouncementError."""
    title = clean_text(draft.title).replace("\n", " ")
    text = clean_text(draft.text)
    if not title:
        raise AnnouncementError("title", "a title is required", "Skriv en overskrift.")
    if len(title) > MAX_TITLE:
        raise AnnouncementError(
            "title",
            f"the title has {len(title)} characters; at most {MAX_TITLE}",
            f"Overskriften er for lang ({len(title)} tegn). Højst {MAX_TITLE} tegn.",
        )
    if len(text) > MAX_TEXT:
        raise AnnouncementError(
            "text",
            f"the text has {len(text)} characters; at most {MAX_TEXT}",
            f"Teksten er for lang ({len(text)} tegn). Højst {MAX_TEXT} tegn.",
        )
    if draft.severity not in SEVERITIES:
        raise AnnouncementError(
            "severity",
            f"severity must be one of {', '.join(SEVERITIES)}",
            "Vælg, om meddelelsen er vigtig eller til orientering.",
        )
    areas = tuple(dict.fromkeys(draft.areas))
    known = set(known_areas)
    if not areas:
        raise AnnouncementError(
            "areas", "choose the areas (or all)", "Vælg mindst ét område (eller alle)."
        )
    if ALL in areas:
        areas = (ALL,)
    else:
        unknown = sorted(set(areas) - known)
        if unknown:
            raise AnnouncementError(
                "areas",
                f"unknown areas: {', '.join(unknown)}",
                f"Ukendt område: {', '.join(unknown)}.",
            )
    starts_at = now if draft.starts_at is None else draft.starts_at
    if starts_at < now - PAST_TOLERANCE_SECONDS:
        raise AnnouncementError(
            "starts_at", "the start is in the past", "Starttidspunktet er allerede passeret."
        )
    starts_at = max(starts_at, now)
    ends_at = draft.ends_at
    if ends_at is None:
        if draft.severity == "urgent":
            raise AnnouncementError(
                "ends_at",
                "an urgent announcement needs an end",
                "En vigtig meddelelse skal have et sluttidspunkt: den dækker hele skærmen.",
            )
        ends_at = starts_at + DEFAULT_INFO_HOURS * 3600
    if ends_at <= starts_at:
        raise AnnouncementError(
            "ends_at",
            "the end must be after the start",
            "Sluttidspunktet skal ligge efter starttidspunktet.",
        )
    if ends_at - starts_at > MAX_DAYS * 86400:
        raise AnnouncementError(
            "ends_at",
            f"an announcement may last at most {MAX_DAYS} days",
            f"En meddelelse kan højst vare {MAX_DAYS} dage. Brug et opslag til længere tid.",
        )
    return Draft(title, text, draft.severity, areas, starts_at, ends_at, draft.picture)


def add(db: sqlite3.Connection, draft: Draft, actor: str, now: float | None = None) -> Stored:
    """Store a checked draft and its audit entry, in one transaction."""
    now = time.time() if now is None else now
    assert draft.starts_at is not None and draft.ends_at is not None, "check() first"
    picture = draft.picture
    db.execute("BEGIN IMMEDIATE")
    try:
        cursor = db.execute(
            "INSERT INTO announcements (title, text, picture_sha256, picture_size, "
            "picture_type, severity, areas, starts_at, ends_at, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.title,
                draft.text,
                None if picture is None else picture.sha256,
                None if picture is None else picture.size,
                None if picture is None else picture.type,
                draft.severity,
                json.dumps(list(draft.areas)),
                draft.starts_at,
                draft.ends_at,
                now,
                actor,
            ),
        )
        announcement_id = int(cursor.lastrowid or 0)
        seq = _audit(
            db,
            now,
            actor,
            "announce",
            f"announcement:{announcement_id}",
            {
                "title": draft.title,
                "text": draft.text,
                "severity": draft.severity,
                "areas": list(draft.areas),
                "starts_at": draft.starts_at,
                "ends_at": draft.ends_at,
            },
        )
        db.execute("UPDATE announcements SET seq = ? WHERE id = ?", (seq, announcement_id))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    found = get(db, announcement_id)
    assert found is not None
    return found


def cancel(
    db: sqlite3.Connection, announcement_id: int, actor: str, now: float | None = None
) -> bool:
    """Cancel one that is still live; False when it was cancelled or ended already."""
    now = time.time() if now is None else now
    db.execute("BEGIN IMMEDIATE")
    try:
        changed = db.execute(
            "UPDATE announcements SET cancelled_at = ?, cancelled_by = ? "
            "WHERE id = ? AND cancelled_at IS NULL AND ends_at > ?",
            (now, actor, announcement_id, now),
        ).rowcount
        if changed:
            _audit(db, now, actor, "cancel", f"announcement:{announcement_id}", {})
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return bool(changed)


def get(db: sqlite3.Connection, announcement_id: int) -> Stored | None:
    row = db.execute("SELECT * FROM announcements WHERE id = ?", (announcement_id,)).fetchone()
    return None if row is None else _stored(row)


def live(db: sqlite3.Connection, now: float) -> list[Stored]:
    """Every announcement not cancelled and not ended, oldest first."""
    rows = db.execute(
        "SELECT * FROM announcements WHERE cancelled_at IS NULL AND ends_at > ? ORDER BY id",
        (now,),
    )
    return [_stored(row) for row in rows]


def recent(db: sqlite3.Connection, limit: int = 50) -> list[Stored]:
    rows = db.execute("SELECT * FROM announcements ORDER BY id DESC LIMIT ?", (limit,))
    return [_stored(row) for row in rows]


def current_seq(db: sqlite3.Connection) -> int:
    """The newest sequence number: the last audit entry about announcements."""
    row = db.execute(
        "SELECT MAX(id) FROM audit_log WHERE action IN ('announce', 'cancel')"
    ).fetchone()
    return int(row[0] or 0)


def area_set(stored: Sequence[Stored], area: str) -> tuple[Announcement, ...]:
    """What an area's screens get: its live announcements, urgent first, then by start."""
    mine = [item for item in stored if item.reaches(area)]
    mine.sort(key=lambda item: (item.severity != "urgent", item.starts_at, item.id))
    return tuple(item.message() for item in mine)


def received(
    db: sqlite3.Connection,
    acks: Iterable[tuple[int, str, int, float]],
    now: float | None = None,
) -> None:
    """Screens acknowledged sets: each ``(screen_id, area, seq, at)`` means the screen has
    every live announcement of its area that went out at or before ``seq``."""
    now = time.time() if now is None else now
    current = live(db, now)
    db.executemany(
        "INSERT INTO announcement_deliveries (announcement_id, screen_id, received_at) "
        "VALUES (?, ?, ?) ON CONFLICT (announcement_id, screen_id) "
        "DO UPDATE SET received_at = COALESCE(received_at, excluded.received_at)",
        [
            (item.id, screen_id, at)
            for screen_id, area, seq, at in acks
            for item in current
            if item.seq <= seq and item.reaches(area)
        ],
    )


def shown(db: sqlite3.Connection, screen_id: int, announcement_id: int, at: float) -> None:
    """A screen had the announcement on screen (``at``: the player's clock)."""
    if get(db, announcement_id) is None:
        return
    db.execute(
        "INSERT INTO announcement_deliveries (announcement_id, screen_id, received_at, "
        "shown_at) VALUES (?, ?, ?, ?) ON CONFLICT (announcement_id, screen_id) "
        "DO UPDATE SET shown_at = COALESCE(shown_at, excluded.shown_at), "
        "received_at = COALESCE(received_at, excluded.received_at)",
        (announcement_id, screen_id, at, at),
    )


@dataclass(frozen=True)
class Delivery:
    screen_id: int
    screen: str
    area: str
    connected: bool
    received_at: float | None
    shown_at: float | None


def deliveries(db: sqlite3.Connection, item: Stored) -> list[Delivery]:
    """Each active screen the announcement is for, with what it has acknowledged."""
    rows = db.execute(
        "SELECT s.id, s.name, s.area, s.connected, d.received_at, d.shown_at "
        "FROM screens s LEFT JOIN announcement_deliveries d "
        "ON d.screen_id = s.id AND d.announcement_id = ? "
        "WHERE s.revoked_at IS NULL ORDER BY s.area, s.name",
        (item.id,),
    )
    return [
        Delivery(row[0], row[1], row[2], bool(row[3]), row[4], row[5])
        for row in rows
        if item.reaches(row[2])
    ]


def audit(db: sqlite3.Connection, limit: int = 100) -> list[Mapping[str, object]]:
    rows = db.execute(
        "SELECT id, at, actor, action, subject, detail FROM audit_log "
        "WHERE action IN ('announce', 'cancel') ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [dict(row) | {"detail": json.loads(row["detail"])} for row in rows]


def _audit(
    db: sqlite3.Connection,
    now: float,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, object],
) -> int:
    cursor = db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, subject, json.dumps(detail, ensure_ascii=False)),
    )
    return int(cursor.lastrowid or 0)


def _stored(row: sqlite3.Row) -> Stored:
    picture = None
    if row["picture_sha256"]:
        picture = Asset(row["picture_sha256"], row["picture_size"], row["picture_type"])
    return Stored(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        severity=row["severity"],
        areas=tuple(json.loads(row["areas"])),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        cancelled_at=row["cancelled_at"],
        cancelled_by=row["cancelled_by"],
        seq=row["seq"],
        picture=picture,
    )
