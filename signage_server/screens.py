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


def all_screens(db: sqlite3.Connection) -> list[Screen]:
    rows = db.execute(
        "SELECT id, area, name, connected, last_seen, version, item FROM screens "
        "WHERE revoked_at IS NULL ORDER BY area, name"
    ).fetchall()
    return [
        Screen(
            row["id"],
            row["area"],
            row["name"],
            bool(row["connected"]),
            row["last_seen"],
            row["version"],
            row["item"],
        )
        for row in rows
    ]


def record_seen(
    db: sqlite3.Connection,
    screen_id: int,
    *,
    connected: bool,
    version: str | None = None,
    item: str | None = None,
    software: str | None = None,
) -> None:
    db.execute(
        "UPDATE screens SET last_seen = ?, connected = ?, version = COALESCE(?, version), "
        "item = COALESCE(?, item), software = COALESCE(?, software) WHERE id = ?",
        (time.time(), int(connected), version, item, software, screen_id),
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
    db.execute("UPDATE screens SET connected = 0 WHERE connected = 1")
