"""The player's brain: messages and clock ticks in, commands out. No I/O, no clock of its own.

The daemon feeds it what happened (connected, a frame arrived, an asset is on
disk, time passed) and carries out what it returns (send this, fetch that,
activate this snapshot, show that item). So every decision is tested without
sockets or sleeps.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from .protocol import (
    Current,
    Heartbeat,
    Hello,
    Item,
    ServerMessage,
    Snapshot,
    SnapshotMessage,
    Status,
)

HEARTBEAT_SECONDS = 20.0
#: How long an asset no snapshot needs stays on disk, in case the change is undone.
EVICT_GRACE_SECONDS = 600.0
FETCH_RETRY_BASE = 2.0
FETCH_RETRY_CAP = 120.0
#: After a new snapshot the player reports it within this many seconds, at a random
#: moment: a thousand screens that got the same push do not all answer at once.
STATUS_SPREAD_SECONDS = 1.0
#: When the clock is this far from the server's, the player says so.
CLOCK_TOLERANCE_SECONDS = 30.0


# --- commands -----------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    message: Hello | Status | Heartbeat


@dataclass(frozen=True)
class Fetch:
    sha256: str
    size: int
    not_before: float = 0.0


@dataclass(frozen=True)
class Activate:
    """Store this snapshot as the last good one and hand it to the page."""

    snapshot: Snapshot


@dataclass(frozen=True)
class Show:
    item: Item | None
    next: Item | None
    since: float


@dataclass(frozen=True)
class Evict:
    sha256s: frozenset[str]


@dataclass(frozen=True)
class ConnectionChanged:
    connected: bool


Command = Send | Fetch | Activate | Show | Evict | ConnectionChanged


# --- the core -----------------------------------------------------------------


@dataclass
class PlayerCore:
    token: str
    software: str = ""
    active: Snapshot | None = None
    pending: Snapshot | None = None
    cached: set[str] = field(default_factory=set)
    connected: bool = False
    item: Item | None = None
    item_since: float = 0.0
    #: server clock minus ours, from the last heartbeat; None until known.
    clock_offset: float | None = None
    _fetch_failures: dict[str, int] = field(default_factory=dict)
    _unreferenced_since: dict[str, float] = field(default_factory=dict)
    _last_heartbeat: float = 0.0
    _status_due: float | None = None
    _rng: random.Random = field(default_factory=random.Random)

    # inputs

    def start(self, now: float, saved: Snapshot | None, cached: Iterable[str]) -> list[Command]:
        """Begin with what the disk holds: play the saved snapshot if all of it is there."""
        self.cached = set(cached)
        commands: list[Command] = []
        if saved is not None and saved.asset_hashes() <= self.cached:
            self.active = saved
            commands.append(Activate(saved))
            commands += self._advance(now, force=True)
        self._note_unreferenced(now)
        return commands

    def connection_made(self, now: float) -> list[Command]:
        self.connected = True
        self._last_heartbeat = now
        version = self.active.version if self.active else None
        hello = Send(Hello(token=self.token, version=version, software=self.software))
        commands: list[Command] = [hello, ConnectionChanged(True)]
        return commands + self._status(now)

    def connection_lost(self, now: float) -> list[Command]:
        was = self.connected
        self.connected = False
        return [ConnectionChanged(False)] if was else []

    def received(self, message: ServerMessage, now: float) -> list[Command]:
        if isinstance(message, Heartbeat):
            self.clock_offset = message.time - now
            return []
        if isinstance(message, Current):
            return []
        assert isinstance(message, SnapshotMessage)
        return self._offered(message.snapshot, now)

    def asset_stored(self, sha256: str, now: float) -> list[Command]:
        self.cached.add(sha256)
        self._fetch_failures.pop(sha256, None)
        return self._maybe_activate(now)

    def asset_failed(self, sha256: str, size: int, now: float) -> list[Command]:
        """A download failed or did not match its hash; try again later, with backoff."""
        wanted: set[str] = set()
        for snapshot in (self.active, self.pending):
            if snapshot is not None:
                wanted |= snapshot.asset_hashes()
        if sha256 not in wanted:
            return []
        failures = self._fetch_failures.get(sha256, 0) + 1
        self._fetch_failures[sha256] = failures
        delay = min(FETCH_RETRY_CAP, FETCH_RETRY_BASE * 2 ** (failures - 1))
        delay *= 0.5 + self._rng.random()
        return [Fetch(sha256, size, not_before=now + delay)]

    def asset_lost(self, sha256: str, now: float) -> list[Command]:
        """A cached file was missing or damaged; fetch it again if a snapshot needs it."""
        self.cached.discard(sha256)
        for snapshot in (self.active, self.pending):
            if snapshot is not None:
                for asset in snapshot.assets:
                    if asset.sha256 == sha256:
                        return [Fetch(sha256, asset.size)]
        return []

    def tick(self, now: float) -> list[Command]:
        commands = self._advance(now)
        if self._status_due is not None and now >= self._status_due:
            if not any(isinstance(c, Send) for c in commands):
                commands += self._status(now)
            self._status_due = None
        if self.connected and now - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            commands.append(Send(Heartbeat(now)))
        expired = frozenset(
            sha
            for sha, since in self._unreferenced_since.items()
            if now - since >= EVICT_GRACE_SECONDS
        )
        if expired:
            for sha in expired:
                del self._unreferenced_since[sha]
            self.cached -= expired
            commands.append(Evict(expired))
        return commands

    # queries

    def missing(self) -> set[str]:
        return set() if self.pending is None else set(self.pending.asset_hashes() - self.cached)

    def clock_trusted(self) -> bool:
        return self.clock_offset is not None and abs(self.clock_offset) < CLOCK_TOLERANCE_SECONDS

    # internals

    def _offered(self, snapshot: Snapshot, now: float) -> list[Command]:
        if self.active is not None and snapshot.version == self.active.version:
            self.pending = None
            return []
        self.pending = snapshot
        missing = snapshot.asset_hashes() - self.cached
        if not missing:
            return self._maybe_activate(now)
        sizes = {asset.sha256: asset.size for asset in snapshot.assets}
        return [Fetch(sha, sizes[sha]) for sha in sorted(missing)]

    def _maybe_activate(self, now: float) -> list[Command]:
        if self.pending is None or self.missing():
            return []
        self.active, self.pending = self.pending, None
        self._fetch_failures.clear()
        self._note_unreferenced(now)
        commands: list[Command] = [Activate(self.active), *self._advance(now, force=True)]
        self._status_due = now + self._rng.random() * STATUS_SPREAD_SECONDS
        return [c for c in commands if not isinstance(c, Send)]

    def _note_unreferenced(self, now: float) -> None:
        needed: set[str] = set()
        for snapshot in (self.active, self.pending):
            if snapshot is not None:
                needed |= snapshot.asset_hashes()
        for sha in self.cached - needed:
            self._unreferenced_since.setdefault(sha, now)
        for sha in needed:
            self._unreferenced_since.pop(sha, None)

    def _advance(self, now: float, force: bool = False) -> list[Command]:
        """Move on when the item's time is up or it may no longer show."""
        items = self.active.items if self.active else ()
        current = self.item
        if current is not None:
            # A new snapshot may have changed the item (its duration, say): follow it.
            current = next((item for item in items if item.id == current.id), None)
            if current is not None and current.asset != self.item.asset:  # type: ignore[union-attr]
                current = None
        due = (
            current is None
            or not current.visible_at(now)
            or now - self.item_since >= current.duration
        )
        if not due:
            changed = current != self.item
            self.item = current
            return [self._show(now)] if changed or force else []
        following = next_item(items, current or self.item, now)
        if following == self.item and not force:
            if following is not None:
                self.item_since = now  # the only one: show it another round
            return []
        self.item = following
        self.item_since = now
        return [self._show(now), *self._status(now)]

    def _show(self, now: float) -> Show:
        items = self.active.items if self.active else ()
        upcoming = next_item(items, self.item, now + (self.item.duration if self.item else 0))
        return Show(self.item, upcoming, self.item_since)

    def _status(self, now: float) -> list[Command]:
        if not self.connected:
            return []
        version = self.active.version if self.active else None
        item = self.item.id if self.item else None
        return [Send(Status(version=version, item=item, time=now))]


def next_item(items: tuple[Item, ...], after: Item | None, now: float) -> Item | None:
    """The first item after ``after`` (wrapping round) that may show at ``now``."""
    if not items:
        return None
    start = 0
    if after is not None:
        for index, item in enumerate(items):
            if item.id == after.id:
                start = index + 1
                break
    for offset in range(len(items)):
        item = items[(start + offset) % len(items)]
        if item.visible_at(now):
            return item
    return None
