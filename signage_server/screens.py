"""Screens: players paired to an area, known by a random token stored only as a hash."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

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
    #: The player's last report of its machine (protocol.Health as a dict), and when.
    health: dict[str, Any] | None = None
    health_at: float | None = None
    #: The last answer to "take a screenshot": the picture (in the screenshots' blob
    #: store) and its media type, when it came, what was on screen in words, and why
    #: there is no picture.
    screenshot_sha256: str | None = None
    screenshot_type: str | None = None
    screenshot_at: float | None = None
    screenshot_what: str | None = None
    screenshot_error: str | None = None


COLUMNS = (
    "id, area, name, connected, last_seen, version, item, software, connected_at, "
    "disconnected_at, revoked_at, health, health_at, screenshot_sha256, screenshot_type, "
    "screenshot_at, screenshot_what, screenshot_error"
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
        _health(row["health"]),
        row["health_at"],
        row["screenshot_sha256"],
        row["screenshot_type"],
        row["screenshot_at"],
        row["screenshot_what"],
        row["screenshot_error"],
    )


def _health(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def remove_unused(db: sqlite3.Connection, screen_id: int) -> None:
    """Delete a screen that never connected (a pairing whose token could not be handed
    over), so that it leaves no row behind."""
    db.execute("DELETE FROM screens WHERE id = ? AND last_seen IS NULL", (screen_id,))


def audit(
    db: sqlite3.Connection, actor: str, action: str, screen: Screen, detail: dict[str, Any]
) -> None:
    """An entry in the audit log about a screen (who paired it, and where)."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), actor, action, f"screen:{screen.id}", json.dumps(detail, ensure_ascii=False)),
    )


def record_screenshot(
    db: sqlite3.Connection,
    screen_id: int,
    *,
    at: float,
    what: str,
    sha256: str | None,
    media_type: str | None,
    error: str | None,
) -> str | None:
    """Keep a screen's newest screenshot answer; returns the picture it replaced, if any
    (for the caller to delete when no other screen has it)."""
    row = db.execute("SELECT screenshot_sha256 FROM screens WHERE id = ?", (screen_id,)).fetchone()
    db.execute(
        "UPDATE screens SET screenshot_sha256 = ?, screenshot_type = ?, screenshot_at = ?, "
        "screenshot_what = ?, screenshot_error = ? WHERE id = ?",
        (sha256, media_type, at, what, error, screen_id),
    )
    old: str | None = row["screenshot_sha256"] if row is not None else None
    return old if old != sha256 else None


def screenshot_in_use(db: sqlite3.Connection, sha256: str) -> bool:
    row = db.execute("SELECT 1 FROM screens WHERE screenshot_sha256 = ?", (sha256,)).fetchone()
    return row is not None


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
        self._health: dict[int, tuple[str, float]] = {}

    def seen(self, screen_id: int, now: float) -> None:
        self._seen[screen_id] = now

    def status(self, screen_id: int, version: str | None, item: str | None, now: float) -> None:
        """What the screen says it shows now (None clears it)."""
        self._seen[screen_id] = now
        self._status[screen_id] = (version, item)

    def health(self, screen_id: int, health: dict[str, Any], now: float | None = None) -> None:
        """The machine's health from the screen's heartbeat (the newest wins)."""
        self._health[screen_id] = (json.dumps(health), time.time() if now is None else now)

    def flush(self, db: sqlite3.Connection) -> None:
        if not self._seen and not self._status and not self._health:
            return
        seen, self._seen = self._seen, {}
        status, self._status = self._status, {}
        health, self._health = self._health, {}
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
            db.executemany(
                "UPDATE screens SET health = ?, health_at = ? WHERE id = ?",
                [(text, at, screen_id) for screen_id, (text, at) in health.items()],
            )


def mark_all_disconnected(db: sqlite3.Connection) -> None:
    """At start: no screen is connected yet. One still marked connected lost its connection
    when the last process ended, which was about when it was last seen."""
    db.execute(
        "UPDATE screens SET connected = 0, disconnected_at = COALESCE(last_seen, ?) "
        "WHERE connected = 1",
        (time.time(),),
    )
