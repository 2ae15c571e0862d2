"""Screenshots on request: the admin asks, the server sends ``take_screenshot`` to the
screen, the player answers ``screenshot``, and the picture is kept as the screen's newest.

Pictures go to a blob store of their own (``data/screenshots/``), not to the media blobs
that ``/assets/{sha256}`` serves to anyone: what a screen shows is for admins only (the
route in web/screenshots.py). A screen keeps only its newest picture.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import itertools
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable

from PIL import Image, UnidentifiedImageError

from player.protocol import MAX_SCREENSHOT_BYTES, Screenshot, TakeScreenshot, serialize

from . import screens
from .blobs import Blobs
from .players import Connections

log = logging.getLogger(__name__)

#: A request older than this is given up (the page stops waiting for it).
PENDING_SECONDS = 30.0
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
#: What is stored instead of a picture the player sent that is not a JPEG or PNG.
BAD_PICTURE = "bad picture"


class Screenshots:
    """The requests still waiting for their answer, by request id, in memory (a request
    dies with its connection anyway)."""

    def __init__(
        self, blobs: Blobs, connections: Connections, clock: Callable[[], float] = time.time
    ) -> None:
        self.blobs = blobs
        self.connections = connections
        self.clock = clock
        self._pending: dict[int, tuple[int, float]] = {}
        # Ids start at a random point: an id of a past process is not one of ours.
        self._ids = itertools.count(secrets.randbelow(1 << 30) + 1)

    def ask(self, screen_id: int) -> int | None:
        """Ask the screen for a screenshot; the request id, or None when it is not connected
        with a player that takes screenshots."""
        self._expire()
        request_id = next(self._ids)
        if not self.connections.send_screenshot_request(
            screen_id, serialize(TakeScreenshot(request_id))
        ):
            return None
        self._pending[request_id] = (screen_id, self.clock())
        return request_id

    def waiting(self, screen_id: int) -> bool:
        """Whether an answer from the screen is still expected."""
        self._expire()
        return any(screen == screen_id for screen, _ in self._pending.values())

    async def answered(self, db: sqlite3.Connection, screen_id: int, message: Screenshot) -> bool:
        """Store the answer, if the screen was asked for it; False (and nothing stored)
        for one nobody asked for. A picture that is not what it says it is is not kept:
        the answer is stored with :data:`BAD_PICTURE` as its error."""
        self._expire()
        asked = self._pending.get(message.id)
        if asked is None or asked[0] != screen_id:
            log.info("screen %d: ignored a screenshot nobody asked for", screen_id)
            return False
        del self._pending[message.id]
        sha256 = media_type = None
        error = message.error
        if message.data is not None and message.mime is not None:
            data = _decode(message.data)
            if data is not None and await asyncio.to_thread(_is_picture, data, message.mime):
                sha256, media_type = await asyncio.to_thread(self.blobs.put, data), message.mime
            else:
                log.info("screen %d: its screenshot is not a %s", screen_id, message.mime)
                error = BAD_PICTURE
        replaced = screens.record_screenshot(
            db,
            screen_id,
            at=self.clock(),
            what=message.what,
            sha256=sha256,
            media_type=media_type,
            error=error,
        )
        if replaced is not None and not screens.screenshot_in_use(db, replaced):
            self.blobs.path(replaced).unlink(missing_ok=True)
        return True

    def _expire(self) -> None:
        now = self.clock()
        for request_id, (_, at) in list(self._pending.items()):
            if now - at > PENDING_SECONDS:
                del self._pending[request_id]


def _decode(text: str) -> bytes | None:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if 0 < len(data) <= MAX_SCREENSHOT_BYTES else None


def _is_picture(data: bytes, mime: str) -> bool:
    """Whether ``data`` is a whole picture of the kind ``mime`` names (Pillow decides)."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format != FORMATS.get(mime):
                return False
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True
