"""The hub: the current snapshot of each area, and fan-out to the screens of the area.

Each connected screen has a one-slot mailbox. Publishing a new version puts the
frame (serialized once for the whole area) in every mailbox of the area and
wakes each screen's own sender, so a slow or dead screen only ever delays
itself; a screen that falls behind skips straight to the newest version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from player.protocol import Snapshot, SnapshotMessage, serialize

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


class Hub:
    def __init__(self) -> None:
        self._current: dict[str, Published] = {}
        self._subscribers: dict[str, set[Subscriber]] = {}

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
        published = Published(snapshot, serialize(SnapshotMessage(snapshot)))
        self._current[area] = published
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

    def withdraw(self, area: str) -> None:
        """Forget an area whose recipe is gone; its screens keep what they have."""
        self._current.pop(area, None)

    def subscribe(self, screen_id: int, area: str, version: str | None) -> Subscriber:
        """Register a screen that has ``version``; it is offered the current one if newer."""
        subscriber = Subscriber(screen_id, area, version=version)
        self._subscribers.setdefault(area, set()).add(subscriber)
        current = self._current.get(area)
        if current is not None:
            subscriber.offer(current.snapshot.version, current.frame)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(subscriber.area)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.area]

    def screen_connected(self, screen_id: int, area: str) -> bool:
        return any(s.screen_id == screen_id for s in self._subscribers.get(area, ()))

    def connected(self, area: str | None = None) -> int:
        if area is not None:
            return len(self._subscribers.get(area, ()))
        return sum(len(subscribers) for subscribers in self._subscribers.values())
