"""Screens: players paired to an area, known by a random token stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

TOKEN_PREFIX = "scr_"


@dataclass(frozen=True)
class Screen:
    id: int
    area: str
    name: str
    connected: bool = False
    last_seen: float | None = None
    version: str | None = None
    item: str | None = None
    software: str | None = None
    #: When the screen's current connection began (if connected), or its last one did.
    connected_at: float | None = None
    #: When the screen's last connection ended.
    disconnected_at: float | None = None
    revoked_at: float | None = None


COLUMNS = (
    "id, area, name, connected, last_seen, version, item, software, connected_at, "
    "disconnected_at, revoked_at"
)


def hash_token(token: str) -> str:
    # Tokens carry 192 random bits, so a fast hash is as safe as a slow one here.
    return hashlib.sha256(token.encode()).hexdigest()


def add(db: sqlite3.Connection, area: str, name: str) -> tuple[Screen, str]:
    """Create a screen; returns it with its token, which is shown this once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    cursor = db.execute(
        "INSERT INTO screens (area, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
        (area, name, hash_token(token), time.time()),
    )
    assert cursor.lastrowid is not None
    return Screen(cursor.lastrowid, area, name), token


def authenticate(db: sqlite3.Connection, token: str) -> Screen | None:
    """The screen this token belongs to, unless it is unknown or revoked."""
    row = db.execute(
        "SELECT id, area, name FROM screens WHERE token_hash = ? AND revoked_at IS NULL",
        (hash_token(token),),
    ).fetchone()
    return None if row is None else Screen(row["id"], row["area"], row["name"])


def is_active(db: sqlite3.Connection, screen_id: int) -> bool:
    row = db.execute(
        "SELECT 1 FROM screens WHERE id = ? AND revoked_at IS NULL", (screen_id,)
    ).fetchone()
    return row is not None


def revoke(db: sqlite3.Connection, screen_id: int) -> bool:
    cursor = db.execute(
        "UPDATE screens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (time.time(), screen_id),
    )
    return cursor.rowcount == 1


def all_screens(db: sqlite3.Connection, *, revoked: bool = False) -> list[Screen]:
    """The active screens by area and name; with ``revoked``, the revoked ones too."""
    where = "" if revoked else "WHERE revoked_at IS NULL "
    rows = db.execute(f"SELECT {COLUMNS} FROM screens {where}ORDER BY area, name, id").fetchall()
    return [_screen(row) for row in rows]


def get(db: sqlite3.Connection, screen_id: int) -> Screen | None:
    """The screen with this id, revoked or not."""
    row = db.execute(f"SELECT {COLUMNS} FROM screens WHERE id = ?", (screen_id,)).fetchone()
    return None if row is None else _screen(row)


def _screen(row: sqlite3.Row) -> Screen:
    return Screen(
        row["id"],
        row["area"],
        row["name"],
        bool(row["connected"]),
        row["last_seen"],
        row["version"],
        row["item"],
        row["software"],
        row["connected_at"],
        row["disconnected_at"],
        row["revoked_at"],
    )


def record_seen(
    db: sqlite3.Connection,
    screen_id: int,
    *,
    connected: bool,
    version: str | None = None,
    item: str | None = None,
    software: str | None = None,
) -> None:
    """A screen connected or disconnected (``connected`` says which it is now).

    ``connected_at`` marks the start of a connection unless the screen was connected
    already (a second connection before the first one timed out); ``disconnected_at``
    marks the moment it went from connected to not. SQLite reads the old row on the
    right of every ``=``, so ``connected`` there is the state before this call.
    """
    now = time.time()
    db.execute(
        "UPDATE screens SET last_seen = :now, connected = :connected, "
        "version = COALESCE(:version, version), item = COALESCE(:item, item), "
        "software = COALESCE(:software, software), "
        "connected_at = CASE WHEN :connected AND NOT (connected AND connected_at IS NOT NULL) "
        "THEN :now ELSE connected_at END, "
        "disconnected_at = CASE WHEN NOT :connected AND connected "
        "THEN :now ELSE disconnected_at END "
        "WHERE id = :id",
        {
            "now": now,
            "connected": int(connected),
            "version": version,
            "item": item,
            "software": software,
            "id": screen_id,
        },
    )


class Presence:
    """When each screen was last heard from and what it shows, written in batches.

    Every screen reports each slide change and a heartbeat; one UPDATE each on the
    event loop would cost more than the fan-out itself, so they gather here and
    :meth:`flush` writes them in one transaction (about once a second).
    """

    def __init__(self) -> None:
        self._seen: dict[int, float] = {}
        self._status: dict[int, tuple[str | None, str | None]] = {}

    def seen(self, screen_id: int, now: float) -> None:
        self._seen[screen_id] = now

    def status(self, screen_id: int, version: str | None, item: str | None, now: float) -> None:
        """What the screen says it shows now (None clears it)."""
        self._seen[screen_id] = now
        self._status[screen_id] = (version, item)

    def flush(self, db: sqlite3.Connection) -> None:
        if not self._seen and not self._status:
            return
        seen, self._seen = self._seen, {}
        status, self._status = self._status, {}
        with db:
            db.execute("BEGIN")
            db.executemany(
                "UPDATE screens SET last_seen = ? WHERE id = ?",
                [(at, screen_id) for screen_id, at in seen.items()],
            )
            db.executemany(
                "UPDATE screens SET version = ?, item = ? WHERE id = ?",
                [(version, item, screen_id) for screen_id, (version, item) in status.items()],
            )


def mark_all_disconnected(db: sqlite3.Connection) -> None:
    """At start: no screen is connected yet. One still marked connected lost its connection
    when the last process ended, which was about when it was last seen."""
    db.execute(
        "UPDATE screens SET connected = 0, disconnected_at = COALESCE(last_seen, ?) "
        "WHERE connected = 1",
        (time.time(),),
    )
