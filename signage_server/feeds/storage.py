"""What the poller keeps in the database: each feed's status, its last good items, pictures.

The last good items of a feed survive a failing poll and a restart of the server: a feed
that breaks goes on showing what it showed, and the admin sees why in its status.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .fetch import Validators
from .model import FeedItem


@dataclass(frozen=True)
class FeedStatus:
    """One feed's polling record, for the poller and for ``signage feeds``."""

    id: str
    url: str
    title: str = ""
    validators: Validators = field(default_factory=Validators)
    last_attempt: float | None = None
    last_success: float | None = None
    #: When the items last changed (a 304 or an identical body is a success, not a change).
    last_change: float | None = None
    #: When a body was last parsed (a 304 is not parsed).
    last_parse: float | None = None
    last_error: str | None = None
    failures: int = 0
    item_count: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    next_poll: float | None = None


@dataclass(frozen=True)
class Picture:
    """A feed item's picture, fetched and rendered; ``asset`` is None when it failed."""

    url: str
    asset: str | None
    size: int
    type: str
    error: str | None
    fetched_at: float


def load_statuses(db: sqlite3.Connection) -> dict[str, FeedStatus]:
    return {row["id"]: _status(row) for row in db.execute("SELECT * FROM feeds ORDER BY id")}


def save_status(db: sqlite3.Connection, status: FeedStatus) -> None:
    db.execute(
        """
        INSERT INTO feeds (id, url, title, etag, last_modified, last_attempt, last_success,
                           last_change, last_parse, last_error, failures, item_count, warnings,
                           next_poll)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            url = excluded.url, title = excluded.title, etag = excluded.etag,
            last_modified = excluded.last_modified, last_attempt = excluded.last_attempt,
            last_success = excluded.last_success, last_change = excluded.last_change,
            last_parse = excluded.last_parse,
            last_error = excluded.last_error, failures = excluded.failures,
            item_count = excluded.item_count, warnings = excluded.warnings,
            next_poll = excluded.next_poll
        """,
        (
            status.id,
            status.url,
            status.title,
            status.validators.etag,
            status.validators.last_modified,
            status.last_attempt,
            status.last_success,
            status.last_change,
            status.last_parse,
            status.last_error,
            status.failures,
            status.item_count,
            json.dumps(list(status.warnings), ensure_ascii=False),
            status.next_poll,
        ),
    )


def save_items(db: sqlite3.Connection, status: FeedStatus, items: Iterable[FeedItem]) -> None:
    """Replace a feed's items and record its status, in one transaction."""
    rows = [(status.id, position, _dump(item)) for position, item in enumerate(items)]
    db.execute("BEGIN IMMEDIATE")
    try:
        save_status(db, replace(status, item_count=len(rows)))
        db.execute("DELETE FROM feed_items WHERE feed = ?", (status.id,))
        db.executemany("INSERT INTO feed_items (feed, position, body) VALUES (?, ?, ?)", rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def load_items(db: sqlite3.Connection) -> dict[str, tuple[FeedItem, ...]]:
    items: dict[str, list[FeedItem]] = {}
    for row in db.execute("SELECT feed, body FROM feed_items ORDER BY feed, position"):
        items.setdefault(row["feed"], []).append(_load(row["body"]))
    return {feed: tuple(found) for feed, found in items.items()}


def forget(db: sqlite3.Connection, feed_ids: Iterable[str]) -> None:
    """Drop the record and items of feeds that are no longer defined."""
    db.executemany("DELETE FROM feeds WHERE id = ?", [(feed_id,) for feed_id in feed_ids])


def load_pictures(db: sqlite3.Connection) -> dict[str, Picture]:
    return {
        row["url"]: Picture(
            row["url"],
            row["asset_sha256"],
            row["size"] or 0,
            row["type"] or "",
            row["error"],
            row["fetched_at"],
        )
        for row in db.execute("SELECT * FROM feed_pictures")
    }


def save_picture(db: sqlite3.Connection, picture: Picture) -> None:
    db.execute(
        "INSERT OR REPLACE INTO feed_pictures (url, asset_sha256, size, type, error, fetched_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            picture.url,
            picture.asset,
            picture.size,
            picture.type,
            picture.error,
            picture.fetched_at,
        ),
    )


# --- items as JSON ---------------------------------------------------------------

_TIMES = ("published", "start", "end")


def _dump(item: FeedItem) -> str:
    body: dict[str, Any] = dict(item.__dict__)
    for key in _TIMES:
        value = body[key]
        body[key] = value.isoformat() if value is not None else None
    body["categories"] = list(item.categories)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _load(text: str) -> FeedItem:
    body: dict[str, Any] = json.loads(text)
    for key in _TIMES:
        if body.get(key) is not None:
            body[key] = dt.datetime.fromisoformat(body[key])
    body["categories"] = tuple(body.get("categories", ()))
    return FeedItem(**body)


def _status(row: Mapping[str, Any]) -> FeedStatus:
    return FeedStatus(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        validators=Validators(row["etag"], row["last_modified"]),
        last_attempt=row["last_attempt"],
        last_success=row["last_success"],
        last_change=row["last_change"],
        last_parse=row["last_parse"],
        last_error=row["last_error"],
        failures=row["failures"],
        item_count=row["item_count"],
        warnings=tuple(json.loads(row["warnings"] or "[]")),
        next_poll=row["next_poll"],
    )
