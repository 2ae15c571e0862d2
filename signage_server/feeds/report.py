"""``signage feeds``: each feed's state, as the admin needs it when a feed misbehaves."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from . import storage
from .definitions import Feed


def rows(feeds: Sequence[Feed], db: sqlite3.Connection) -> list[dict[str, Any]]:
    """One plain dict per defined feed (JSON-ready), in the order of feeds.toml."""
    statuses = storage.load_statuses(db)
    result = []
    for feed in feeds:
        status = statuses.get(feed.id)
        if status is not None and status.url != feed.url:
            status = None  # recorded for an old address; the new one is not polled yet
        if status is None:
            state = "waiting"
        elif status.last_error:
            state = "failing"
        else:
            state = "ok"
        result.append(
            {
                "id": feed.id,
                "kind": feed.kind,
                "url": feed.url,
                "areas": feed.areas if feed.areas == "all" else list(feed.areas),
                "state": state,
                "title": status.title if status else "",
                "items": status.item_count if status else 0,
                "last_success": status.last_success if status else None,
                "last_attempt": status.last_attempt if status else None,
                "last_change": status.last_change if status else None,
                "last_error": status.last_error if status else None,
                "failures": status.failures if status else 0,
                "next_poll": status.next_poll if status else None,
                "warnings": list(status.warnings) if status else [],
            }
        )
    return result


def table(entries: Sequence[dict[str, Any]], zone: dt.tzinfo | None = None) -> str:
    """The rows as text for a terminal, times in ``zone`` (the machine's by default)."""
    if not entries:
        return "No feeds are defined (playlists/feeds.toml).\n"
    lines = []
    for entry in entries:
        areas = "all" if entry["areas"] == "all" else ",".join(entry["areas"])
        lines.append(
            f"{entry['id']}  ({entry['kind']} → {areas})  {entry['state'].upper()}"
            f"  {entry['items']} items"
        )
        lines.append(f"    url:          {entry['url']}")
        if entry["title"]:
            lines.append(f"    title:        {entry['title']}")
        lines.append(f"    last success: {_when(entry['last_success'], zone)}")
        if entry["last_error"]:
            times = "once" if entry["failures"] == 1 else f"{entry['failures']} times in a row"
            attempt = _when(entry["last_attempt"], zone)
            lines.append(
                f"    last error:   {entry['last_error']} "
                f"({times}, at {attempt}; showing the last good items)"
            )
        next_poll = _when(entry["next_poll"], zone, "when the server runs")
        lines.append(f"    next poll:    {next_poll}")
        for warning in entry["warnings"][:5]:
            lines.append(f"    warning:      {warning}")
    return "\n".join(lines) + "\n"


def _when(moment: float | None, zone: dt.tzinfo | None, missing: str = "never") -> str:
    if moment is None:
        return missing
    return dt.datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M:%S")
