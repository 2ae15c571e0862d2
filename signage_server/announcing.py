"""Getting announcements to the screens: each area's set, as one ``announcements`` frame,
handed to the hub (which sends it to the area's screens that speak protocol 1.2, and to each
screen that connects), and each area's info announcements as slides in its rotation.

:meth:`Announcer.changed` is called right after an announcement is stored or cancelled, so
the frames go out in the same moment; :meth:`run` also publishes again when an announcement
starts or ends (a screen that connects then gets an up-to-date set) and now and then, so an
area whose recipe appears later gets its set too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable

from player.protocol import Announcements, Asset, Item, serialize

from . import announcements
from .feedslides import FeedSlides
from .hub import Hub
from .pagecache import Renderer
from .pages.cards import NewsCard
from .pages.render import HTML

log = logging.getLogger(__name__)

#: How long an info announcement stands as a slide in the rotation.
SLIDE_SECONDS = 15.0
#: Publish again at least this often (new areas, a clock that was wrong).
REFRESH_SECONDS = 60.0
#: The block of the rotation that info announcements make: always first.
BLOCK = "announcements"
#: Acknowledgements are written to the database together, this often: a thousand screens
#: answering at once must not make the last of them wait for the first ones' writes.
FLUSH_SECONDS = 0.5


class Announcer:
    def __init__(
        self,
        db: sqlite3.Connection,
        hub: Hub,
        areas: Callable[[], Iterable[str]],
        recompose: Callable[[Iterable[str]], Awaitable[None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.hub = hub
        self.areas = areas
        self.recompose = recompose
        self.clock = clock
        self.live: list[announcements.Stored] = []
        self._changed = asyncio.Event()
        self._acks: dict[tuple[int, str], tuple[int, float]] = {}
        self._shown: list[tuple[int, int, float]] = []

    def acknowledged(self, screen_id: int, area: str, seq: int) -> None:
        """A screen has the set ``seq``; written at the next flush."""
        known = self._acks.get((screen_id, area))
        if known is None or known[0] < seq:
            self._acks[(screen_id, area)] = (seq, self.clock())

    def showed(self, screen_id: int, announcement_id: int, at: float) -> None:
        """A screen had an announcement on screen; written at the next flush."""
        self._shown.append((screen_id, announcement_id, at))

    def flush(self) -> None:
        acks, self._acks = self._acks, {}
        shown, self._shown = self._shown, []
        if not acks and not shown:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            announcements.received(
                self.db,
                [(screen_id, area, seq, at) for (screen_id, area), (seq, at) in acks.items()],
                self.clock(),
            )
            for screen_id, announcement_id, at in shown:
                announcements.shown(self.db, screen_id, announcement_id, at)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    async def flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                self.flush()
            except sqlite3.Error:
                log.exception("could not record acknowledgements; they are lost")

    def publish(self) -> None:
        """Send every area its current set (a screen that has its ``seq`` gets nothing)."""
        now = self.clock()
        self.live = announcements.live(self.db, now)
        seq = announcements.current_seq(self.db)
        for area in self.areas():
            frame = serialize(Announcements(seq, announcements.area_set(self.live, area)))
            self.hub.announce(area, seq, frame)

    async def changed(self) -> None:
        """An announcement was stored or cancelled: out with it now, and recompose the
        areas whose rotation shows it."""
        before = {item.id: item for item in self.live}
        self.publish()
        after = {item.id: item for item in self.live}
        touched = [item for item in (*before.values(), *after.values()) if item.severity == "info"]
        areas = {area for area in self.areas() if any(item.reaches(area) for item in touched)}
        self._changed.set()
        if areas:
            await self.recompose(areas)

    async def run(self) -> None:
        while True:
            now = self.clock()
            moments = [
                moment
                for item in self.live
                for moment in (item.starts_at, item.ends_at)
                if moment > now
            ]
            timeout = min([*moments, now + REFRESH_SECONDS]) - now
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(timeout, 0.0)):
                    await self._changed.wait()
            try:
                self.publish()
            except sqlite3.Error:
                log.exception("could not read the announcements; trying again")

    def slides(self, area: str, layout: str, zone: dt.tzinfo, renderer: Renderer) -> FeedSlides:
        """The area's info announcements as page slides, each shown in its own window; the
        pages rendered now are for the caller to store."""
        items: list[Item] = []
        assets: dict[str, Asset] = {}
        pages: dict[str, bytes] = {}
        for item in self.live:
            if item.severity != "info" or not item.reaches(area):
                continue
            picture = item.picture.sha256 if item.picture else None
            card = NewsCard(item.title, item.text, None, picture, None, "")
            page = renderer.render(card, layout, zone)
            if page.html is not None:
                pages[page.sha256] = page.html
            assets[page.sha256] = Asset(page.sha256, page.size, HTML)
            if item.picture is not None:
                assets[item.picture.sha256] = item.picture
            items.append(
                Item(
                    f"announcement/{item.id}",
                    "page",
                    page.sha256,
                    SLIDE_SECONDS,
                    ((item.starts_at, item.ends_at),),
                    item.title,
                )
            )
        return FeedSlides(
            blocks={BLOCK: tuple(items)} if items else {},
            pages=pages,
            assets=tuple(assets.values()),
        )
