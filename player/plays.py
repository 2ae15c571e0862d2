"""The player's play log: what was on screen, from when and for how long, kept until the
server has it (proof of play, protocol 1.2).

:class:`PlayLog` is pure: the daemon tells it what the page shows, whether a kiosk page is
connected, whether an urgent announcement covers the slides, and what the server
acknowledged; it answers with batches to send and entries to write. :class:`PlayFile` keeps
the unsent plays on disk, so they survive off-line periods, restarts and power cuts.

A *play* is one stretch of one item on screen while at least one kiosk page is connected and
no urgent announcement covers it. Plays are numbered 1, 2, 3 … in the order they ended; the
server acknowledges "everything up to number n", and only then are they dropped. At most
:data:`MAX_PLAYS` wait; beyond that the oldest are dropped first (``/state.json`` says how
many). Standard library only.
"""

from __future__ import annotations

import json
import logging
import random
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from .files import write_atomically
from .protocol import MAX_PLAYS_PER_BATCH, Item, Play, Plays

log = logging.getLogger(__name__)

#: The most plays kept while the server does not take them: at about 6 a minute, two weeks
#: or more of opening hours. The oldest go first. In memory about 20 bytes each.
MAX_PLAYS: Final = 100_000
#: A new play waits at most this long before it is sent (batched: one frame a minute).
BATCH_SECONDS: Final = 60.0
#: A frame of plays stays well under the protocol's 1 MiB.
BATCH_BYTES: Final = 256 * 1024
#: After (re)connecting, the first batch goes at a random moment within this many seconds,
#: so that screens coming back together after a server restart do not all send at once.
CONNECT_SPREAD_SECONDS = 10.0
#: An item on screen longer than this (the only one of its playlist, say) is cut into plays
#: of this length: a power cut loses at most this much.
MAX_PLAY_SECONDS: Final = 600.0
#: A stretch shorter than this (a page reloading, say) is not a play.
MIN_PLAY_SECONDS: Final = 1.0
#: Between two readings the clock moved back, or further than this: the clock was set (or
#: the machine slept). The play ends at the last reading and a new one begins.
CLOCK_JUMP_SECONDS: Final = 60.0
#: Titles are for people reading a report; the item id is what counts.
TITLE_CHARS: Final = 200
#: The file is written anew when it has this many more lines than plays waiting.
COMPACT_SLACK: Final = 1000

#: What the file gets: ``(number, play)`` for a play, ``(number, None)`` for "acknowledged
#: up to number".
Entry = tuple[int, Play | None]


class _Queue:
    """The unsent plays, oldest first, in columns: 100,000 plays take 2 MB, not 15."""

    def __init__(self) -> None:
        #: The number of the oldest play waiting.
        self.first = 1
        self._names: list[tuple[str, str]] = []
        self._name_index: dict[tuple[str, str], int] = {}
        self._keys = array("I")
        self._starts = array("d")
        self._seconds = array("d")

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def next_number(self) -> int:
        return self.first + len(self._keys)

    def append(self, play: Play) -> int:
        name = (play.item, play.title)
        key = self._name_index.get(name)
        if key is None:
            key = self._name_index[name] = len(self._names)
            self._names.append(name)
        self._keys.append(key)
        self._starts.append(play.started_at)
        self._seconds.append(play.seconds)
        return self.next_number - 1

    def drop(self, count: int) -> None:
        """Forget the ``count`` oldest plays."""
        count = min(count, len(self))
        if count <= 0:
            return
        del self._keys[:count], self._starts[:count], self._seconds[:count]
        self.first += count
        if len(self._names) > 2 * len(self) + 1024:
            self._forget_names()

    def __getitem__(self, index: int) -> Play:
        item, title = self._names[self._keys[index]]
        return Play(item, self._starts[index], self._seconds[index], title)

    def numbered(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Play]]:
        for index in range(start, len(self) if stop is None else min(stop, len(self))):
            yield self.first + index, self[index]

    def __iter__(self) -> Iterator[Entry]:
        return self.numbered()

    def copy(self) -> _Queue:
        """A copy to read in another thread (the columns are copied whole, fast)."""
        copied = _Queue()
        copied.first = self.first
        copied._names = list(self._names)
        copied._keys = array("I", self._keys)
        copied._starts = array("d", self._starts)
        copied._seconds = array("d", self._seconds)
        return copied

    def _forget_names(self) -> None:
        used = sorted(set(self._keys))
        renumber = {old: new for new, old in enumerate(used)}
        self._names = [self._names[old] for old in used]
        self._name_index = {name: key for key, name in enumerate(self._names)}
        self._keys = array("I", (renumber[key] for key in self._keys))


class PlayLog:
    """What was on screen, as numbered plays, until the server acknowledges them. No I/O.

    Feed it: :meth:`showing` (the item the page was told to show), :meth:`watched` (whether
    a kiosk page is connected), :meth:`covered` (an urgent announcement over the slides),
    :meth:`tick` (often: it cuts long plays and notices clock jumps), :meth:`acknowledged`
    and :meth:`disconnected` (the server link). Ask it: :meth:`batch` (a ``plays`` frame to
    send now, or None) and :meth:`writes` (what the file needs).
    """

    def __init__(
        self, saved: Iterable[Play] = (), cap: int = MAX_PLAYS, rng: random.Random | None = None
    ) -> None:
        self.cap = cap
        #: Plays dropped because of the cap since the start.
        self.dropped = 0
        self._queue = _Queue()
        self._pending: list[Entry] = []
        # The file is written anew at the start: the saved plays numbered from 1, no acks.
        self._rewrite = True
        self._lines = 0
        for play in saved:
            self._add(play, journal=False)
        # What is on screen.
        self._item: tuple[str, str, float] | None = None
        self._watched = False
        self._covered = False
        self._open: tuple[str, str, float] | None = None
        self._last_reading: float | None = None
        # The server link: up once the server said it takes plays (``plays_ack`` 0).
        self._link = False
        self._in_flight: int | None = None
        self._due = 0.0
        self._rng = rng or random.Random()

    # --- what is on screen --------------------------------------------------------

    def showing(self, item: Item | None, since: float, now: float) -> None:
        """The page was told to show ``item`` (on screen since ``since``), or nothing."""
        self._read_clock(now)
        self._item = None if item is None else (item.id, item.title[:TITLE_CHARS], since)
        self._update(now)

    def watched(self, watched: bool, now: float) -> None:
        """Whether at least one kiosk page is connected: only then is anything shown."""
        self._read_clock(now)
        self._watched = watched
        self._update(now)

    def covered(self, covered: bool, now: float) -> None:
        """Whether an urgent announcement covers the slides."""
        self._read_clock(now)
        self._covered = covered
        self._update(now)

    def tick(self, now: float) -> None:
        self._read_clock(now)
        if self._open is not None and now - self._open[2] >= MAX_PLAY_SECONDS:
            self._close(now)
            self._update(now)

    def close(self, now: float) -> None:
        """End the play on screen now (the daemon is stopping)."""
        self._read_clock(now)
        self._close(now)

    # --- the server link ----------------------------------------------------------

    def acknowledged(self, seq: int, now: float) -> None:
        """The server has every play numbered up to ``seq`` (``seq`` 0 right after the
        hello: it takes plays, and this is a new connection)."""
        if not self._link:
            self._link, self._in_flight = True, None
            self._due = now + self._rng.random() * CONNECT_SPREAD_SECONDS
        done = seq - self._queue.first + 1
        if done > 0:
            self._queue.drop(done)
            self._pending.append((seq, None))
        if self._in_flight is not None and seq >= self._in_flight:
            self._in_flight = None
            backlog = len(self._queue) >= MAX_PLAYS_PER_BATCH
            self._due = now if backlog else now + BATCH_SECONDS

    def disconnected(self) -> None:
        """The link is gone; what was sent and not acknowledged is sent again."""
        self._link, self._in_flight = False, None

    def batch(self, now: float) -> Plays | None:
        """The next batch to send now: the oldest plays waiting, after the last one sent was
        acknowledged, once a minute (at once when a whole batch is waiting)."""
        if not self._link or self._in_flight is not None or not self._queue:
            return None
        if now < self._due and len(self._queue) < MAX_PLAYS_PER_BATCH:
            return None
        plays: list[Play] = []
        size = 0
        for _, play in self._queue.numbered(0, MAX_PLAYS_PER_BATCH):
            size += len(json.dumps([play.item, play.title]).encode()) + 80
            if plays and size > BATCH_BYTES:
                break
            plays.append(play)
        self._in_flight = self._queue.first + len(plays) - 1
        return Plays(self._in_flight, tuple(plays))

    # --- the file -----------------------------------------------------------------

    def writes(self) -> tuple[bool, Iterable[Entry]]:
        """What the file needs: ``(True, every play waiting)`` to write it anew, or
        ``(False, entries)`` to append. Taken: the next call gives what came after. The
        entries may be read in another thread."""
        if self._lines + len(self._pending) > 2 * len(self._queue) + COMPACT_SLACK:
            self._rewrite = True
        if self._rewrite:
            self._rewrite, self._pending = False, []
            self._lines = len(self._queue)
            return True, self._queue.copy()
        entries, self._pending = self._pending, []
        self._lines += len(entries)
        return False, entries

    def write_failed(self) -> None:
        """The last :meth:`writes` did not reach the disk: write it all anew next time."""
        self._rewrite = True

    # --- queries ------------------------------------------------------------------

    @property
    def unsent(self) -> int:
        return len(self._queue)

    def waiting(self) -> list[Play]:
        return [play for _, play in self._queue.numbered()]

    def state(self) -> dict[str, Any]:
        return {"unsent": self.unsent, "cap": self.cap, "dropped": self.dropped}

    # --- internals ----------------------------------------------------------------

    def _read_clock(self, now: float) -> None:
        last = self._last_reading
        self._last_reading = now
        if last is not None and (now < last or now - last > CLOCK_JUMP_SECONDS):
            self._close(last)  # on screen until the last reading we trust
            self._update(now)

    def _update(self, now: float) -> None:
        wanted = self._item if self._watched and not self._covered else None
        if self._open is not None and (
            wanted is None or (wanted[0], wanted[1]) != self._open[:2] or wanted[2] > self._open[2]
        ):
            self._close(now)
        if wanted is not None and self._open is None:
            self._open = (wanted[0], wanted[1], now)

    def _close(self, now: float) -> None:
        if self._open is None:
            return
        item, title, started = self._open
        self._open = None
        seconds = now - started
        if seconds >= MIN_PLAY_SECONDS:
            self._add(Play(item, started, seconds, title), journal=True)

    def _add(self, play: Play, journal: bool) -> None:
        number = self._queue.append(play)
        if journal:
            self._pending.append((number, play))
        excess = len(self._queue) - self.cap
        if excess > 0:
            self._queue.drop(excess)
            self.dropped += excess


class PlayFile:
    """The unsent plays on disk: one JSON object a line, appended as plays end and as the
    server acknowledges them (``{"acked": n}``), written anew (atomically) at the start and
    when it has grown far beyond what waits. A line cut short by a power cut is skipped."""

    def __init__(self, path: Path, temp_dir: Path) -> None:
        self.path = path
        self.temp_dir = temp_dir

    def load(self) -> list[Play]:
        """The plays not acknowledged, oldest first; [] without a file."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("ignoring the saved plays: %s", exc)
            return []
        plays: dict[int, Play] = {}
        acked = 0
        skipped = 0
        for line in text.splitlines():
            try:
                body = json.loads(line)
                if "acked" in body:
                    acked = max(acked, int(body["acked"]))
                else:
                    plays[int(body["n"])] = Play(
                        str(body["item"]),
                        float(body["started_at"]),
                        float(body["seconds"]),
                        str(body.get("title", "")),
                    )
            except (ValueError, TypeError, KeyError):
                skipped += 1
        if skipped:
            log.warning("skipped %d unreadable lines of %s", skipped, self.path)
        return [plays[number] for number in sorted(plays) if number > acked]

    def write(self, rewrite: bool, entries: Iterable[Entry]) -> None:
        """Write what :meth:`PlayLog.writes` gave. Raises OSError."""
        data = "".join(_line(entry) for entry in entries).encode()
        if rewrite:
            write_atomically(self.path, data, self.temp_dir, prefix="plays-")
        elif data:
            # Appended without an fsync: the SD card is spared a flush every few seconds; a
            # power cut may cost the last seconds of plays, never the file.
            with self.path.open("ab") as file:
                file.write(data)


def _line(entry: Entry) -> str:
    number, play = entry
    if play is None:
        return json.dumps({"acked": number}) + "\n"
    body = {
        "n": number,
        "item": play.item,
        "title": play.title,
        "started_at": play.started_at,
        "seconds": play.seconds,
    }
    return json.dumps(body, ensure_ascii=False) + "\n"
