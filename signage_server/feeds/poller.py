"""The poller: asks each feed for news on its own schedule and keeps the last good items.

Each feed is polled every ``poll_minutes``, varied by ±10 % so that feeds drift apart;
new feeds are started a moment apart rather than all at once. A failing feed keeps its
last good items and is asked less and less often (:func:`fetch.backoff`). A 304 costs no
parse. Parsing runs in a child process (:mod:`.isolate`), so a hostile feed slows no other
feed and not the server. Once a day a feed is fetched without validators and parsed again,
so that a calendar that never changes still has its recurring events expanded from today.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import httpx

from ..blobs import Blobs
from . import fetch, storage
from .definitions import Feed
from .isolate import Parsers
from .model import FeedError, FeedItem
from .pictures import Pictures
from .storage import FeedStatus

log = logging.getLogger(__name__)

#: Concurrent fetches (each waits mostly on the network).
FETCH_CONCURRENCY = 4
#: Seconds between the first polls of feeds that are new at the same moment.
STAGGER_SECONDS = 0.25
#: A body is parsed again at least this often, even when the server says 304.
REPARSE_SECONDS = 24 * 3600.0


class Poller:
    def __init__(
        self,
        db: sqlite3.Connection,
        blobs: Blobs,
        on_change: Callable[[], None],
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        parsers: Parsers | None = None,
    ) -> None:
        self.db = db
        self.on_change = on_change
        self.clock = clock
        self.rng = rng or random.Random()
        self.parsers = parsers or Parsers()
        self.feeds: dict[str, Feed] = {}
        self.statuses: dict[str, FeedStatus] = storage.load_statuses(db)
        self.items: dict[str, tuple[FeedItem, ...]] = storage.load_items(db)
        self.pictures = Pictures(db, blobs, on_change, clock)
        self._due: dict[str, float] = {}
        self._running: set[str] = set()
        self._wake = asyncio.Event()

    # --- definitions ---------------------------------------------------------

    def configure(self, feeds: Sequence[Feed]) -> bool:
        """Poll these feeds from now on; True when items went away with a removed feed."""
        now = self.clock()
        previous = self.feeds
        self.feeds = {feed.id: feed for feed in feeds}
        new = 0
        for feed in feeds:
            status = self.statuses.get(feed.id)
            old = previous.get(feed.id)
            if status is not None and status.url != feed.url:
                # Another address: what the old one said (and its validators) is no guide.
                status = FeedStatus(feed.id, feed.url)
                self.statuses[feed.id] = status
                storage.save_status(self.db, status)
            if old is not None and old.url == feed.url and feed.id in self._due:
                if old.poll_minutes != feed.poll_minutes:
                    self._due[feed.id] = min(self._due[feed.id], now + feed.poll_minutes * 60)
                continue
            if status is not None and status.next_poll is not None and status.last_error is None:
                self._due[feed.id] = max(now, min(status.next_poll, now + feed.poll_minutes * 60))
            else:
                self._due[feed.id] = now + STAGGER_SECONDS * new
                new += 1
        removed = set(self.statuses) - set(self.feeds)
        for feed_id in removed:
            del self.statuses[feed_id]
        for feed_id in set(self._due) - set(self.feeds):
            del self._due[feed_id]
        dropped = [self.items.pop(feed_id, ()) for feed_id in removed]
        had_items = any(dropped)
        if removed:
            storage.forget(self.db, removed)
        self._wake.set()
        return had_items

    # --- running -------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled."""
        async with fetch.client() as http, asyncio.TaskGroup() as tasks:
            tasks.create_task(self.pictures.run(http))
            slots = asyncio.Semaphore(FETCH_CONCURRENCY)
            while True:
                self._wake.clear()
                now = self.clock()
                for feed_id, due in sorted(self._due.items(), key=lambda entry: entry[1]):
                    if due <= now and feed_id not in self._running:
                        self._running.add(feed_id)
                        tasks.create_task(self._poll_in_slot(http, slots, self.feeds[feed_id]))
                waiting = [due for f, due in self._due.items() if f not in self._running]
                timeout = max(0.0, min(waiting) - now) if waiting else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()

    async def _poll_in_slot(
        self, http: httpx.AsyncClient, slots: asyncio.Semaphore, feed: Feed
    ) -> None:
        try:
            async with slots:
                await self.poll(http, feed)
        except Exception:
            log.exception("feed %s: polling failed unexpectedly", feed.id)
            self._due[feed.id] = self.clock() + feed.poll_minutes * 60
        finally:
            self._running.discard(feed.id)
            self._wake.set()

    async def poll(self, http: httpx.AsyncClient, feed: Feed) -> None:
        """Poll one feed now: fetch, parse when changed, keep the items, schedule the next."""
        status = self.statuses.get(feed.id) or FeedStatus(feed.id, feed.url)
        started = self.clock()
        validators = status.validators
        if status.last_parse is None or started - status.last_parse > REPARSE_SECONDS:
            validators = fetch.Validators()
        changed = False
        try:
            fetched = await fetch.fetch(http, feed.url, validators)
            if fetched.body is None:
                status = replace(status, last_success=self.clock())
            else:
                parsed = await self.parsers.parse(
                    fetched.body,
                    feed_id=feed.id,
                    url=fetched.url or feed.url,
                    now=dt.datetime.fromtimestamp(started, dt.UTC),
                    content_type=fetched.content_type,
                    format=feed.format,
                )
                now = self.clock()
                changed = parsed.items != self.items.get(feed.id, ())
                status = replace(
                    status,
                    title=parsed.title,
                    validators=fetched.validators,
                    last_success=now,
                    last_parse=now,
                    last_change=now if changed else status.last_change,
                    warnings=parsed.warnings,
                    item_count=len(parsed.items),
                )
                if parsed.warnings:
                    log.info("feed %s: %s", feed.id, "; ".join(parsed.warnings[:3]))
            status = replace(status, last_error=None, failures=0)
        except FeedError as exc:
            log.warning("feed %s: %s (keeping its last good items)", feed.id, exc)
            status = replace(status, last_error=str(exc), failures=status.failures + 1)
            parsed = None
        if feed.id not in self.feeds or self.feeds[feed.id].url != feed.url:
            return  # the definition changed while we were fetching: this result is stale
        status = replace(status, last_attempt=started, next_poll=self._next_poll(feed, status))
        self._due[feed.id] = status.next_poll or self.clock()
        self.statuses[feed.id] = status
        if changed and parsed is not None:
            storage.save_items(self.db, status, parsed.items)
            self.items[feed.id] = parsed.items
            self.on_change()
        else:
            storage.save_status(self.db, status)

    def _next_poll(self, feed: Feed, status: FeedStatus) -> float:
        if status.failures:
            minutes = fetch.backoff(feed.poll_minutes, status.failures, self.rng)
        else:
            minutes = feed.poll_minutes * (0.9 + 0.2 * self.rng.random())
        return self.clock() + minutes * 60
