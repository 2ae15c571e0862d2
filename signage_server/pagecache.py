"""Rendered slide pages, remembered: the same card in the same layout is rendered once.

Rendering a page costs milliseconds (most of it choosing the QR code's mask), and an area
is recomposed often, so pages are kept in memory (least recently used first out), and their
sha256 is kept in the database by a key made of the card's content, the layout, the time zone
and the renderer's own code and templates. After a restart, a page whose blob is still on
disk is not rendered again; after an upgrade that changes a template, every key changes and
the pages are rendered anew.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pages import danish, render
from .pages.cards import EventCard, NewsCard, OverviewCard
from .pages.render import Pages

Card = NewsCard | EventCard | OverviewCard
#: Keys not used for this long are dropped from the database at start.
FORGET_SECONDS = 60 * 86400.0


@dataclass(frozen=True)
class Page:
    sha256: str
    size: int
    #: The document; None when it was rendered before and is stored already.
    html: bytes | None = None


class PageIndex:
    """Card key → the sha256 and size of its page, in the ``pages`` table."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def get(self, key: str) -> tuple[str, int] | None:
        row = self.db.execute(
            "SELECT asset_sha256, size FROM pages WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def put(self, key: str, sha256: str, size: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pages (key, asset_sha256, size, used_at) VALUES (?, ?, ?, ?)",
            (key, sha256, size, self.clock()),
        )

    def forget_old(self) -> None:
        self.db.execute("DELETE FROM pages WHERE used_at < ?", (self.clock() - FORGET_SECONDS,))


class Renderer:
    LIMIT = 20_000

    def __init__(
        self,
        pages: Pages | None = None,
        *,
        index: PageIndex | None = None,
        stored: Callable[[str], bool] | None = None,
    ) -> None:
        self.pages = pages or Pages()
        self.index = index
        self.stored = stored or (lambda sha256: False)
        self._done: OrderedDict[str, Page] = OrderedDict()
        self._code = _fingerprint()

    def render(self, card: Card, layout: str, zone: Any) -> Page:
        """The page of ``card``; ``html`` is None when it is stored from an earlier run."""
        key = self.key(card, layout, zone)
        page = self._done.get(key)
        if page is not None:
            self._done.move_to_end(key)
            return page
        if self.index is not None:
            known = self.index.get(key)
            if known is not None and self.stored(known[0]):
                page = Page(*known)
                self._remember(key, page)
                return page
        if isinstance(card, NewsCard):
            html = self.pages.news(card, layout, zone)
        elif isinstance(card, EventCard):
            html = self.pages.event(card, layout, zone)
        else:
            html = self.pages.overview(card, layout, zone)
        page = Page(hashlib.sha256(html).hexdigest(), len(html), html)
        if self.index is not None:
            self.index.put(key, page.sha256, page.size)
        self._remember(key, page)
        return page

    def key(self, card: Card, layout: str, zone: Any) -> str:
        text = f"{self._code}\n{layout}\n{zone}\n{_canonical(card)!r}"
        return hashlib.sha256(text.encode()).hexdigest()

    def _remember(self, key: str, page: Page) -> None:
        self._done[key] = page
        while len(self._done) > self.LIMIT:
            self._done.popitem(last=False)


def _canonical(value: Any) -> Any:
    """A card's whole content, with its times as ISO text: an event read from a feed has its
    times in ZoneInfo('Europe/Copenhagen'), the same event read back from the database in a
    fixed +01:00, and both must give the same key (found by bench/feeds.py)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return tuple(_canonical(part) for part in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value)),
        )
    return value


def _fingerprint() -> str:
    """A hash of the code and templates that make a page: a change renders pages anew."""
    digest = hashlib.sha256()
    sources = [Path(render.__file__), Path(danish.__file__), *sorted(render.TEMPLATES.glob("*"))]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
