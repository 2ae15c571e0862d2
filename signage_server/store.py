"""The SQLite database in the data dir, and its versioned migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: Each entry is one migration; its position (from 1) is the schema version.
#: Append only: a released migration never changes.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE screens (
        id INTEGER PRIMARY KEY,
        area TEXT NOT NULL,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        revoked_at REAL,
        last_seen REAL,
        connected INTEGER NOT NULL DEFAULT 0,
        version TEXT,
        item TEXT,
        software TEXT
    );
    CREATE TABLE renditions (
        source_sha256 TEXT NOT NULL,
        profile TEXT NOT NULL,
        asset_sha256 TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        size INTEGER NOT NULL,
        type TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (source_sha256, profile)
    );
    """,
    """
    CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        etag TEXT,
        last_modified TEXT,
        last_attempt REAL,
        last_success REAL,
        last_change REAL,
        last_parse REAL,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        item_count INTEGER NOT NULL DEFAULT 0,
        warnings TEXT NOT NULL DEFAULT '[]',
        next_poll REAL
    );
    CREATE TABLE feed_items (
        feed TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (feed, position)
    );
    CREATE TABLE feed_pictures (
        url TEXT PRIMARY KEY,
        asset_sha256 TEXT,
        size INTEGER,
        type TEXT,
        error TEXT,
        fetched_at REAL NOT NULL
    );
    """,
    """
    CREATE TABLE pages (
        key TEXT PRIMARY KEY,
        asset_sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        used_at REAL NOT NULL
    );
    """,
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
        created_at REAL NOT NULL,
        disabled_at REAL
    );
    CREATE TABLE user_areas (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        area TEXT NOT NULL,
        PRIMARY KEY (user_id, area)
    );
    """,
    """
    ALTER TABLE screens ADD COLUMN connected_at REAL;
    ALTER TABLE screens ADD COLUMN disconnected_at REAL;
    CREATE TABLE slide_settings (
        folder TEXT NOT NULL,
        file TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        duration REAL,
        starts_at REAL,
        ends_at REAL,
        weekdays TEXT,
        hours TEXT,
        title TEXT,
        updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (folder, file)
    );
    CREATE TABLE slide_order (
        area TEXT NOT NULL,
        slide TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (area, slide)
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        area TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        contact TEXT NOT NULL,
        starts_at REAL,
        ends_at REAL,
        file_name TEXT,
        file_sha256 TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'approved', 'rejected')),
        reason TEXT,
        slide_file TEXT,
        created_at REAL NOT NULL,
        decided_at REAL,
        decided_by INTEGER REFERENCES users(id) ON DELETE SET NULL
    );
    CREATE INDEX submissions_by_area ON submissions (area, status, created_at);
    """,
    """
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
        created_at REAL NOT NULL,
        revoked_at REAL,
        last_used REAL
    );
    CREATE TABLE api_token_areas (
        token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
        area TEXT NOT NULL,
        PRIMARY KEY (token_id, area)
    );
    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        picture_sha256 TEXT,
        picture_size INTEGER,
        picture_type TEXT,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'urgent')),
        areas TEXT NOT NULL,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL,
        cancelled_at REAL,
        cancelled_by TEXT,
        -- the sequence number of the set it first went out in (its audit entry's id)
        seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE announcement_deliveries (
        announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
        screen_id INTEGER NOT NULL REFERENCES screens(id) ON DELETE CASCADE,
        received_at REAL,
        shown_at REAL,
        PRIMARY KEY (announcement_id, screen_id)
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE idempotency_keys (
        principal TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (principal, key)
    );
    CREATE TABLE plays (
        screen_id INTEGER NOT NULL REFERENCES screens(id) ON DELETE CASCADE,
        area TEXT NOT NULL,
        item TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        started_at REAL NOT NULL,
        seconds REAL NOT NULL,
        PRIMARY KEY (screen_id, started_at, item)
    );
    CREATE INDEX plays_by_area ON plays (area, started_at);
    """,
    """
    ALTER TABLE screens ADD COLUMN health TEXT;
    ALTER TABLE screens ADD COLUMN health_at REAL;
    ALTER TABLE screens ADD COLUMN screenshot_sha256 TEXT;
    ALTER TABLE screens ADD COLUMN screenshot_type TEXT;
    ALTER TABLE screens ADD COLUMN screenshot_at REAL;
    ALTER TABLE screens ADD COLUMN screenshot_what TEXT;
    ALTER TABLE screens ADD COLUMN screenshot_error TEXT;
    """,
)


def connect(path: Path) -> sqlite3.Connection:
    """Open the database (creating it), in WAL mode, migrated to the newest schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    migrate(db)
    return db


def schema_version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(db: sqlite3.Connection) -> None:
    """Run the migrations the database has not seen yet, each in its own transaction."""
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {current} is newer than this program "
            f"({len(MIGRATIONS)}); upgrade Lokalskærm"
        )
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
