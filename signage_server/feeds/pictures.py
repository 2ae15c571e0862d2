"""Feed items' pictures: fetched once, with a size cap, through the same Pillow pipeline as
uploads, stored as blobs. A picture that fails is remembered (and tried again a day later);
its item is shown without it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable

import httpx

from .. import images
from ..blobs import Blobs
from . import storage
from .fetch import fetch
from .model import FeedError
from .storage import Picture

log = logging.getLogger(__name__)

MAX_BYTES = 15 * 1024 * 1024
RETRY_SECONDS = 24 * 3600.0
CONCURRENCY = 4
ACCEPT = "image/jpeg, image/png, image/webp, image/gif;q=0.8, */*;q=0.1"


class Pictures:
    def __init__(
        self,
        db: sqlite3.Connection,
        blobs: Blobs,
        on_change: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.on_change = on_change
        self.clock = clock
        self.known: dict[str, Picture] = storage.load_pictures(db)
        self._wanted: dict[str, None] = {}
        self._fetching: set[str] = set()
        self._wake = asyncio.Event()

    def get(self, url: str) -> Picture | None:
        """The picture of ``url`` when it is ready (and its blob is there), else None."""
        picture = self.known.get(url)
        if picture is None or picture.asset is None or picture.asset not in self.blobs:
            return None
        return picture

    def want(self, urls: Iterable[str]) -> None:
        """Ask for pictures not fetched yet (or that failed more than a day ago)."""
        now = self.clock()
        for url in urls:
            if url in self._fetching:
                continue
            picture = self.known.get(url)
            if picture is not None:
                if picture.asset is not None and picture.asset in self.blobs:
                    continue
                if picture.asset is None and now - picture.fetched_at < RETRY_SECONDS:
                    continue
            self._wanted[url] = None
        if self._wanted:
            self._wake.set()

    async def run(self, http: httpx.AsyncClient) -> None:
        """Fetch wanted pictures until cancelled, a batch at a time."""
        slots = asyncio.Semaphore(CONCURRENCY)
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch = list(self._wanted)
            self._wanted.clear()
            self._fetching.update(batch)
            try:
                results = await asyncio.gather(*(self._fetch(http, url, slots) for url in batch))
            finally:
                self._fetching.difference_update(batch)
            if any(results):
                self.on_change()

    async def _fetch(self, http: httpx.AsyncClient, url: str, slots: asyncio.Semaphore) -> bool:
        """Fetch and render one picture; True when it became available."""
        async with slots:
            return await self._fetch_one(http, url)

    async def _fetch_one(self, http: httpx.AsyncClient, url: str) -> bool:
        try:
            fetched = await fetch(http, url, max_bytes=MAX_BYTES, accept=ACCEPT)
            assert fetched.body is not None  # no validators were sent
            rendition = await asyncio.to_thread(images.render, fetched.body, "landscape")
            sha256 = await asyncio.to_thread(self.blobs.put, rendition.data)
            picture = Picture(url, sha256, len(rendition.data), rendition.type, None, self.clock())
        except (FeedError, images.ImageRejected) as exc:
            log.info("feed picture %s not used: %s", url, exc)
            picture = Picture(url, None, 0, "", str(exc), self.clock())
        self.known[url] = picture
        storage.save_picture(self.db, picture)
        return picture.asset is not None
