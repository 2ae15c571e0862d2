"""The hub: the current snapshot of each area, and fan-out to the screens of the area.

Each connected screen has a one-slot mailbox. Publishing a new version puts the
frame (serialized once for the whole area) in every mailbox of the area and
wakes each screen's own sender, so a slow or dead screen only ever delays
itself; a screen that falls behind skips straight to the newest version.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from player.protocol import Snapshot, SnapshotMessage, serialize

if TYPE_CHECKING:
    from .metrics import Metrics

log = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]


@dataclass(eq=False)
class Subscriber:
    """One connected screen, as the hub sees it."""

    screen_id: int
    area: str
    version: str | None = None
    pending: str | None = None
    pending_version: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: When it subscribed (monotonic): versions published before are catch-up, not fan-out.
    since: float = field(default_factory=time.monotonic)
    #: Whether the player speaks protocol 1.2 and gets the announcements.
    announcements: bool = False
    announcements_seq: int | None = None
    pending_announcements: str | None = None

    def offer_announcements(self, seq: int, frame: str) -> None:
        # seq 0: nothing was ever announced, so there is nothing to tell (or to take away).
        if not self.announcements or seq in (0, self.announcements_seq):
            return
        self.pending_announcements, self.announcements_seq = frame, seq
        self.wake.set()

    def take_announcements(self) -> str | None:
        """The newest announcements frame not yet sent, if any (take() clears the wake)."""
        frame, self.pending_announcements = self.pending_announcements, None
        return frame

    def offer(self, version: str, frame: str) -> None:
        if version == self.version:
            # Back to what the screen has: drop any newer frame still waiting.
            self.pending = self.pending_version = None
            return
        self.pending, self.pending_version = frame, version
        self.wake.set()

    def take(self) -> tuple[str, str] | None:
        """The newest frame not yet sent, if any; marks it as sent."""
        self.wake.clear()
        if self.pending is None or self.pending_version is None:
            return None
        frame, version = self.pending, self.pending_version
        self.pending = self.pending_version = None
        self.version = version
        return frame, version


@dataclass(frozen=True)
class Published:
    snapshot: Snapshot
    frame: str
    #: When it was published (monotonic), for the latency metrics.
    at: float = 0.0


class Hub:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._current: dict[str, Published] = {}
        self._subscribers: dict[str, set[Subscriber]] = {}
        #: Per area: the sequence number and frame of its announcements.
        self._announcements: dict[str, tuple[int, str]] = {}

    def current(self, area: str) -> Published | None:
        return self._current.get(area)

    def areas(self) -> list[str]:
        return sorted(self._current)

    def publish(self, snapshot: Snapshot) -> bool:
        """Make ``snapshot`` its area's current one; returns False if the version is the same."""
        area = snapshot.area.id
        previous = self._current.get(area)
        if previous is not None and previous.snapshot.version == snapshot.version:
            return False
        at = time.monotonic()
        published = Published(snapshot, serialize(SnapshotMessage(snapshot)), at)
        self._current[area] = published
        if self._metrics is not None:
            self._metrics.snapshot_published(area)
        subscribers = self._subscribers.get(area, ())
        for subscriber in subscribers:
            subscriber.offer(snapshot.version, published.frame)
        log.info(
            "area %s: version %s (%d items) to %d screens",
            area,
            snapshot.version,
            len(snapshot.items),
            len(subscribers),
        )
        return True

    def announce(self, area: str, seq: int, frame: str) -> None:
        """Make ``frame`` (an ``announcements`` message) the area's set and send it to the
        screens that speak protocol 1.2 and do not have ``seq`` yet."""
        previous = self._announcements.get(area)
        self._announcements[area] = (seq, frame)
        subscribers = self._subscribers.get(area, ())
        for subscriber in subscribers:
            subscriber.offer_announcements(seq, frame)
        if previous is None or previous[0] != seq:
            log.info("area %s: announcements %d to %d screens", area, seq, len(subscribers))

    def announcements(self, area: str) -> tuple[int, str] | None:
        return self._announcements.get(area)

    def withdraw(self, area: str) -> None:
        """Forget an area whose recipe is gone; its screens keep what they have."""
        self._current.pop(area, None)

    def subscribe(
        self, screen_id: int, area: str, version: str | None, announcements: bool = False
    ) -> Subscriber:
        """Register a screen that has ``version``; it is offered the current one if newer,
        and (if it speaks protocol 1.2) the area's announcements, whatever it had."""
        subscriber = Subscriber(screen_id, area, version=version, announcements=announcements)
        self._subscribers.setdefault(area, set()).add(subscriber)
        current = self._current.get(area)
        if current is not None:
            subscriber.offer(current.snapshot.version, current.frame)
        announced = self._announcements.get(area)
        if announced is not None:
            subscriber.offer_announcements(*announced)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(subscriber.area)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.area]

    def screen_connected(self, screen_id: int, area: str) -> bool:
        return any(s.screen_id == screen_id for s in self._subscribers.get(area, ()))

    def connected_by_area(self) -> dict[str, int]:
        return {area: len(subscribers) for area, subscribers in self._subscribers.items()}

    def connected(self, area: str | None = None) -> int:
        if area is not None:
            return len(self._subscribers.get(area, ()))
        return sum(len(subscribers) for subscribers in self._subscribers.values())
