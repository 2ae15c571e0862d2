"""Parse a feed in a process of its own, with a deadline and a memory cap.

Parsing is where hostile input bites: a recurrence rule that never matches keeps dateutil
searching for seconds, a huge document can take a lot of memory, and icalendar keeps a
process-wide cache of time-zone definitions that one feed's calendar could fill for another.
So each parse runs in a fresh process forked from a small server process that has the
parsers imported already (multiprocessing's "forkserver"; a fork costs milliseconds), is
killed when it runs past :data:`DEADLINE_SECONDS`, and cannot take more than
:data:`MEMORY_LIMIT` bytes. The server's event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import multiprocessing
import resource
from multiprocessing.connection import Connection
from typing import Any

from .model import FeedError, ParsedFeed

DEADLINE_SECONDS = 20.0
MEMORY_LIMIT = 1 << 30
#: Modules the fork server imports once, so that each parse starts with them loaded.
PRELOAD = ["signage_server.feeds.parse", "signage_server.feeds.rss", "signage_server.feeds.ical"]


class Parsers:
    """Runs :func:`parse_feed` in child processes, at most ``concurrency`` at a time."""

    def __init__(self, concurrency: int = 2, deadline: float = DEADLINE_SECONDS) -> None:
        self.deadline = deadline
        self._slots = asyncio.Semaphore(concurrency)
        self._context: Any = None
        #: Child processes running now.
        self.running = 0

    def _mp(self) -> Any:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._context = context
        return self._context

    async def parse(
        self,
        data: bytes,
        *,
        feed_id: str,
        url: str,
        now: dt.datetime,
        content_type: str | None = None,
        format: str = "auto",
    ) -> ParsedFeed:
        """Parse ``data`` as :func:`parse_feed` does. Raises FeedError, also on a timeout."""
        arguments = {
            "feed_id": feed_id,
            "url": url,
            "now": now,
            "content_type": content_type,
            "format": format,
        }
        async with self._slots:
            return await self._run(data, arguments)

    async def _run(self, data: bytes, arguments: dict[str, Any]) -> ParsedFeed:
        context = self._mp()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(sender, data, arguments), daemon=True)
        started = False
        try:
            await asyncio.to_thread(process.start)
            started = True
            self.running += 1
            sender.close()
            if not await _readable(receiver, self.deadline):
                raise FeedError(
                    f"reading the feed took more than {self.deadline:g} s and was stopped"
                )
            try:
                outcome, value = await asyncio.to_thread(receiver.recv)
            except EOFError:
                raise FeedError(
                    "the feed could not be read: the reader stopped (too large or too complex)"
                ) from None
        finally:
            if started:
                self.running -= 1
            receiver.close()
            if process.is_alive():
                process.kill()
            if process.pid is not None:
                await asyncio.to_thread(process.join)
        if outcome == "ok":
            assert isinstance(value, ParsedFeed)
            return value
        raise FeedError(str(value))


async def _readable(connection: Connection, seconds: float) -> bool:
    """Wait until ``connection`` has data (or is closed by the child), at most ``seconds``.

    On the event loop itself rather than in a thread, so that cancelling (at shutdown) stops
    the wait at once."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    descriptor = connection.fileno()
    loop.add_reader(descriptor, wake)
    try:
        async with asyncio.timeout(seconds):
            await ready
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(descriptor)


def _child(sender: Connection, data: bytes, arguments: dict[str, Any]) -> None:
    from .parse import parse_feed

    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is already in place
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    outcome: tuple[str, object]
    try:
        outcome = ("ok", parse_feed(data, **arguments))
    except FeedError as exc:
        outcome = ("error", str(exc))
    except MemoryError:
        outcome = ("error", "the feed needs more memory than a feed may take")
    except RecursionError:
        outcome = ("error", "the feed is nested too deeply to read")
    except Exception as exc:  # a bug in a parser must not lose the other feeds
        outcome = ("error", f"the feed could not be read ({type(exc).__name__}: {exc})")
    sender.send(outcome)
    sender.close()
