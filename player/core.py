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
    Ack,
    Announcement,
    Announcements,
    Current,
    Heartbeat,
    Hello,
    Item,
    PlaysAck,
    ServerMessage,
    Shown,
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
#: After a download failed for want of disk space, try again no sooner than this: room
#: comes back only when a new snapshot lets old assets go.
NO_SPACE_RETRY_SECONDS = 60.0


# --- commands -----------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    message: Hello | Status | Heartbeat | Ack | Shown


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


@dataclass(frozen=True)
class SaveAnnouncements:
    """Keep this set of announcements on disk: after a restart without a network the
    screen goes on showing them until they end."""

    seq: int
    announcements: tuple[Announcement, ...]


@dataclass(frozen=True)
class ShowAnnouncements:
    """The announcements on screen now (urgent ones over everything, info ones as a
    banner); an empty tuple takes them all away."""

    active: tuple[Announcement, ...]


@dataclass(frozen=True)
class DisplayPower:
    """Switch the screen on or off (the area's opening hours, by a clock the player
    trusts). Sent only when the wanted state changes."""

    on: bool


Command = (
    Send
    | Fetch
    | Activate
    | Show
    | Evict
    | ConnectionChanged
    | SaveAnnouncements
    | ShowAnnouncements
    | DisplayPower
)


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
    #: The system says its clock is synchronised (player.clock.system_clock_synced).
    clock_synced: bool = False
    #: A download failed for want of disk space, and none has been stored since.
    disk_full: bool = False
    #: Whether the screen should be on, as last told with DisplayPower; None: never told.
    display_on: bool | None = None
    _fetch_failures: dict[str, int] = field(default_factory=dict)
    _unreferenced_since: dict[str, float] = field(default_factory=dict)
    _last_heartbeat: float = 0.0
    _status_due: float | None = None
    _rng: random.Random = field(default_factory=random.Random)
    #: The announcements of the area as of ``announcements_seq`` (ended ones dropped).
    announcements: tuple[Announcement, ...] = ()
    announcements_seq: int | None = None
    #: What the page was last told to show, by id.
    _announced: tuple[int, ...] = ()
    #: Shown on screen, not yet reported to the server (it was away).
    _shown_unreported: dict[int, float] = field(default_factory=dict)
    _shown_reported: set[int] = field(default_factory=set)

    # inputs

    def start(
        self,
        now: float,
        saved: Snapshot | None,
        cached: Iterable[str],
        announcements: tuple[int, tuple[Announcement, ...]] | None = None,
    ) -> list[Command]:
        """Begin with what the disk holds: play the saved snapshot if all of it is there,
        and the saved announcements that have not ended."""
        self.cached = set(cached)
        commands: list[Command] = []
        if saved is not None and saved.asset_hashes() <= self.cached:
            self.active = saved
            commands.append(Activate(saved))
            commands += self._advance(now, force=True)
        if announcements is not None:
            self.announcements_seq, kept = announcements
            self.announcements = tuple(a for a in kept if a.ends_at > now)
            commands += self._picture_fetches()
            commands += self._announce(now)
        self._note_unreferenced(now)
        return commands + self._display(now)

    def connection_made(self, now: float) -> list[Command]:
        self.connected = True
        self._last_heartbeat = now
        version = self.active.version if self.active else None
        hello = Send(Hello(token=self.token, version=version, software=self.software))
        commands: list[Command] = [hello, ConnectionChanged(True)]
        # What was shown while the server was away is reported now, if it still matters.
        for announcement_id, since in sorted(self._shown_unreported.items()):
            if any(a.id == announcement_id for a in self.announcements):
                commands.append(Send(Shown(announcement_id, since)))
                self._shown_reported.add(announcement_id)
        self._shown_unreported.clear()
        return commands + self._status(now)

    def connection_lost(self, now: float) -> list[Command]:
        was = self.connected
        self.connected = False
        return [ConnectionChanged(False)] if was else []

    def received(self, message: ServerMessage, now: float) -> list[Command]:
        if isinstance(message, Heartbeat):
            # Every heartbeat from the server renews the offset: a clock that NTP stepped
            # since the last one is judged by the new figure, not the old.
            trusted = self.clock_trusted()
            self.clock_offset = message.time - now
            return [] if self.clock_trusted() == trusted else self._trust_changed(now)
        if isinstance(message, Current | PlaysAck):
            return []  # plays are the play log's (player/plays.py), which the daemon feeds
        if isinstance(message, Announcements):
            return self._announcements(message, now)
        assert isinstance(message, SnapshotMessage)
        return self._offered(message.snapshot, now)

    def page_showed(self, announcement_id: int, now: float) -> list[Command]:
        """The kiosk page has an announcement on screen: report it once."""
        if announcement_id in self._shown_reported or not any(
            a.id == announcement_id for a in self.announcements
        ):
            return []
        if not self.connected:
            self._shown_unreported.setdefault(announcement_id, now)
            return []
        self._shown_reported.add(announcement_id)
        return [Send(Shown(announcement_id, now))]

    def clock_sync(self, synced: bool, now: float) -> list[Command]:
        """The system clock is (or is no longer) synchronised, as the daemon learnt from
        the system (:func:`player.clock.system_clock_synced`). Until the clock is trusted
        no schedule blanks the screen and the display stays on."""
        if synced == self.clock_synced:
            return []
        trusted = self.clock_trusted()
        self.clock_synced = synced
        return [] if self.clock_trusted() == trusted else self._trust_changed(now)

    def asset_stored(self, sha256: str, now: float) -> list[Command]:
        self.cached.add(sha256)
        self._fetch_failures.pop(sha256, None)
        self.disk_full = False  # there was room for this one
        commands = self._maybe_activate(now)
        if any(a.picture is not None and a.picture.sha256 == sha256 for a in self.announcements):
            self._announced = ()  # shown again, now with its picture
            commands += self._announce(now)
        return commands

    def asset_failed(self, sha256: str, size: int, now: float) -> list[Command]:
        """A download failed or did not match its hash; try again later, with backoff."""
        if sha256 not in self._needed():
            return []
        failures = self._fetch_failures.get(sha256, 0) + 1
        self._fetch_failures[sha256] = failures
        delay = min(FETCH_RETRY_CAP, FETCH_RETRY_BASE * 2 ** (failures - 1))
        delay *= 0.5 + self._rng.random()
        return [Fetch(sha256, size, not_before=now + delay)]

    def asset_no_space(self, sha256: str, size: int, now: float) -> list[Command]:
        """A download failed because the disk is full (ENOSPC, even after the daemon made
        what room it could). ``disk_full`` stays set until an asset is stored again; the
        download is tried again later, no sooner than NO_SPACE_RETRY_SECONDS."""
        self.disk_full = True
        if sha256 not in self._needed():
            return []
        failures = self._fetch_failures.get(sha256, 0) + 1
        self._fetch_failures[sha256] = failures
        delay = max(NO_SPACE_RETRY_SECONDS, FETCH_RETRY_BASE * 2 ** (failures - 1))
        delay = min(delay, FETCH_RETRY_CAP) * (0.5 + self._rng.random())
        return [Fetch(sha256, size, not_before=now + delay)]

    def assets_evicted(self, sha256s: Iterable[str], now: float) -> list[Command]:
        """The daemon removed these files to make room (``Cache.make_room``): forget them.
        One that a snapshot or announcement still needs is fetched again (make_room keeps
        those, so this only happens when the daemon was told otherwise)."""
        gone = set(sha256s)
        self.cached -= gone
        for sha256 in gone:
            self._unreferenced_since.pop(sha256, None)
        commands: list[Command] = []
        for sha256 in sorted(gone & self._needed()):
            commands += self.asset_lost(sha256, now)
        return commands

    def asset_lost(self, sha256: str, now: float) -> list[Command]:
        """A cached file was missing or damaged; fetch it again if a snapshot needs it."""
        self.cached.discard(sha256)
        for snapshot in (self.active, self.pending):
            if snapshot is not None:
                for asset in snapshot.assets:
                    if asset.sha256 == sha256:
                        return [Fetch(sha256, asset.size)]
        for announcement in self.announcements:
            if announcement.picture is not None and announcement.picture.sha256 == sha256:
                return [Fetch(sha256, announcement.picture.size)]
        return []

    def tick(self, now: float) -> list[Command]:
        commands = self._advance(now) + self._announce(now) + self._display(now)
        if self._status_due is not None and now >= self._status_due:
            if not any(isinstance(c, Send) for c in commands):
                commands += self._status(now)
            self._status_due = None
        # A clock stepped back (NTP after a wrong guess) must not stop the heartbeats.
        late = now - self._last_heartbeat >= HEARTBEAT_SECONDS or now < self._last_heartbeat
        if self.connected and late:
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
        """Synchronised by the system, or within CLOCK_TOLERANCE_SECONDS of the server's."""
        if self.clock_synced:
            return True
        return self.clock_offset is not None and abs(self.clock_offset) < CLOCK_TOLERANCE_SECONDS

    def needed(self) -> frozenset[str]:
        """The assets the cache must keep: the active and pending snapshots' and the
        pictures of the announcements (``keep`` for ``Cache.make_room``)."""
        return frozenset(self._needed())

    def display_wanted(self, now: float) -> bool:
        """Whether the screen should be on: the opening hours of the active snapshot when
        the clock is trusted; on otherwise (a wrong clock must not darken the screen)."""
        if self.active is None or not self.clock_trusted():
            return True
        return self.active.display_on_at(now)

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
        commands: list[Command] = [
            Activate(self.active),
            *self._advance(now, force=True),
            *self._display(now),
        ]
        self._status_due = now + self._rng.random() * STATUS_SPREAD_SECONDS
        return [c for c in commands if not isinstance(c, Send)]

    def _trust_changed(self, now: float) -> list[Command]:
        # Windows now apply (or no longer do): the item and the display follow at once.
        return self._advance(now) + self._display(now)

    def _display(self, now: float) -> list[Command]:
        """DisplayPower when the wanted state changes. Nothing while the screen was never
        switched and the snapshot has no opening hours: the TV is left as it is."""
        wanted = self.display_wanted(now)
        if self.display_on is None:
            if wanted and (self.active is None or self.active.display is None):
                return []
        elif wanted == self.display_on:
            return []
        self.display_on = wanted
        return [DisplayPower(wanted)]

    def _ignore_windows(self, items: tuple[Item, ...], now: float) -> bool:
        """Until the clock is trusted, no schedule may blank the screen: when no item is
        visible by our clock (a Pi without a battery clock may think it is 1970 or last
        week), every item plays, whatever its windows say."""
        return not self.clock_trusted() and not any(item.visible_at(now) for item in items)

    def _announcements(self, message: Announcements, now: float) -> list[Command]:
        commands: list[Command] = [Send(Ack(message.seq))]
        if self.announcements_seq is not None and message.seq < self.announcements_seq:
            return commands  # an older set overtaken by a newer one: keep the newer
        self.announcements_seq = message.seq
        self.announcements = tuple(a for a in message.announcements if a.ends_at > now)
        known = {a.id for a in self.announcements}
        self._shown_reported &= known
        commands.append(SaveAnnouncements(message.seq, self.announcements))
        commands += self._picture_fetches()
        self._note_unreferenced(now)
        return commands + self._announce(now)

    def _announce(self, now: float) -> list[Command]:
        """Tell the page when the announcements on screen change (one starts, ends, or
        was cancelled), by the player's own clock."""
        if any(a.ends_at <= now for a in self.announcements):
            self.announcements = tuple(a for a in self.announcements if a.ends_at > now)
        active = tuple(a for a in self.announcements if a.active_at(now))
        ids = tuple(a.id for a in active)
        if ids == self._announced:
            return []
        self._announced = ids
        return [ShowAnnouncements(active)]

    def _picture_fetches(self) -> list[Command]:
        return [
            Fetch(a.picture.sha256, a.picture.size)
            for a in self.announcements
            if a.picture is not None and a.picture.sha256 not in self.cached
        ]

    def _needed(self) -> set[str]:
        needed: set[str] = set()
        for snapshot in (self.active, self.pending):
            if snapshot is not None:
                needed |= snapshot.asset_hashes()
        needed |= {a.picture.sha256 for a in self.announcements if a.picture is not None}
        return needed

    def _note_unreferenced(self, now: float) -> None:
        needed = self._needed()
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
        ignore = self._ignore_windows(items, now)
        due = (
            current is None
            or not (ignore or current.visible_at(now))
            or now < self.item_since  # the clock was stepped back
            or now - self.item_since >= current.duration
        )
        if not due:
            changed = current != self.item
            self.item = current
            return [self._show(now)] if changed or force else []
        following = next_item(items, current or self.item, now, ignore_windows=ignore)
        if following == self.item and not force:
            if following is not None:
                self.item_since = now  # the only one: show it another round
            return []
        self.item = following
        self.item_since = now
        return [self._show(now), *self._status(now)]

    def _show(self, now: float) -> Show:
        items = self.active.items if self.active else ()
        at = now + (self.item.duration if self.item else 0)
        upcoming = next_item(items, self.item, at, ignore_windows=self._ignore_windows(items, at))
        return Show(self.item, upcoming, self.item_since)

    def _status(self, now: float) -> list[Command]:
        if not self.connected:
            return []
        version = self.active.version if self.active else None
        item = self.item.id if self.item else None
        return [Send(Status(version=version, item=item, time=now))]


def next_item(
    items: tuple[Item, ...], after: Item | None, now: float, ignore_windows: bool = False
) -> Item | None:
    """The first item after ``after`` (wrapping round) that may show at ``now`` (any,
    with ``ignore_windows``)."""
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
        if ignore_windows or item.visible_at(now):
            return item
    return None
