"""Pairing codes: a player without a token gets a short code on ``/ws/pair``; an admin enters
it on the Skærme page, and the server hands that connection a new screen's token.

The codes live in memory, not in the database, on purpose: a code is only good while its
connection is open (the token goes out on that connection and nowhere else), and every
connection ends when the process does, so a stored code could never be used after a
restart anyway. The player asks again when it reconnects and shows the new code.

Limits, so that codes can be neither guessed nor used up:

- a code is 6 characters from a 31-letter alphabet (about 8.9·10⁸ codes) from
  :mod:`secrets`, single-use, good for :data:`CODE_SECONDS` and only while its
  connection is open;
- at most :data:`MAX_OPEN_PER_CLIENT` open pairing connections per client address and
  :data:`MAX_OPEN` in all, and at most :data:`MAX_CODES_PER_CLIENT` codes per client
  address per :data:`CODE_WINDOW` seconds (refused with :data:`CLOSE_REFUSED`);
- on the admin's side, at most :data:`MAX_WRONG_PER_USER` wrong codes per user per
  :data:`WRONG_WINDOW` seconds (:class:`WrongCodes`, answered 429).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: No 0/O, 1/I/L: a code is read off a screen across a hall and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
CODE_SECONDS = 600.0
#: A fresh code is sent this long before the old one expires.
RENEW_BEFORE = 60.0
MAX_OPEN_PER_CLIENT = 3
MAX_OPEN = 200
MAX_CODES_PER_CLIENT = 20
CODE_WINDOW = 600.0
MAX_WRONG_PER_USER = 10
WRONG_WINDOW = 600.0
#: Close code for a pairing connection refused by a limit (the player waits and retries).
CLOSE_REFUSED = 4003


class Refused(Exception):
    """A pairing connection over one of the limits; ``str()`` is the close reason."""


def normalize(text: str) -> str | None:
    """The code as stored ("K7M4QX") from what an admin typed ("k7m-4qx", "K7M 4QX"), or
    None when it cannot be a code at all."""
    code = "".join(char for char in text.upper() if char not in " -\t")
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display(code: str) -> str:
    """How a code is shown: "K7M-4QX"."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class Result:
    """What the admin chose for the screen; sent to the player as ``paired``."""

    token: str
    area: str
    name: str


@dataclass(eq=False)
class Slot:
    """One open pairing connection and the code it shows now."""

    client: str
    software: str = ""
    code: str | None = None
    expires_at: float = 0.0
    open: bool = True
    #: Set once an admin claimed the code: the socket sends it and closes.
    result: Result | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: True once ``paired`` went out on the socket, False if the socket went first.
    delivered: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def hand_over(self, result: Result) -> None:
        self.result = result
        self.wake.set()

    def finished(self, delivered: bool) -> None:
        if not self.delivered.done():
            self.delivered.set_result(delivered)


class Pairings:
    """The open pairing connections and their codes, in this process's memory."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        code_seconds: float = CODE_SECONDS,
        max_open_per_client: int = MAX_OPEN_PER_CLIENT,
        max_open: int = MAX_OPEN,
        max_codes_per_client: int = MAX_CODES_PER_CLIENT,
    ) -> None:
        self.clock = clock
        self.code_seconds = code_seconds
        self.max_open_per_client = max_open_per_client
        self.max_open = max_open
        self.max_codes_per_client = max_codes_per_client
        self._slots: set[Slot] = set()
        self._by_code: dict[str, Slot] = {}
        self._issued: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def open(self, client: str, software: str = "") -> Slot:
        """A slot for a new pairing connection. Raises Refused over a limit."""
        if len(self._slots) >= self.max_open:
            raise Refused("too many pairing connections; try again later")
        if sum(1 for slot in self._slots if slot.client == client) >= self.max_open_per_client:
            raise Refused("too many pairing connections from this address")
        slot = Slot(client, software)
        self._slots.add(slot)
        return slot

    def close(self, slot: Slot) -> None:
        """The connection ended: its code is no longer good."""
        slot.open = False
        self._slots.discard(slot)
        if slot.code is not None and self._by_code.get(slot.code) is slot:
            del self._by_code[slot.code]
        slot.finished(False)

    def issue(self, slot: Slot) -> str:
        """A fresh code for the slot (the old one stops working). Raises Refused when the
        client asked for too many codes lately."""
        now = self.clock()
        issued = self._issued.setdefault(slot.client, deque())
        while issued and issued[0] <= now - CODE_WINDOW:
            issued.popleft()
        if len(issued) >= self.max_codes_per_client:
            raise Refused("too many pairing codes asked for; try again later")
        issued.append(now)
        if len(self._issued) > 10 * self.max_open:  # forget quiet addresses
            for client, times in list(self._issued.items()):
                if not times or times[-1] <= now - CODE_WINDOW:
                    del self._issued[client]
        if slot.code is not None:
            self._by_code.pop(slot.code, None)
        code = new_code()
        while code in self._by_code:  # about one in 10⁸ per open slot
            code = new_code()
        slot.code, slot.expires_at = code, now + self.code_seconds
        self._by_code[code] = slot
        return code

    def claim(self, code: str) -> Slot | None:
        """The open, unexpired, unclaimed connection showing ``code`` (as :func:`normalize`
        gives it), which is taken out of play: a code pairs once."""
        slot = self._by_code.get(code)
        if slot is None or not slot.open or slot.result is not None:
            return None
        if slot.expires_at <= self.clock():
            return None
        del self._by_code[code]
        slot.code = None
        return slot


class WrongCodes:
    """Wrong codes entered per user, so that an admin session cannot guess codes."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        limit: int = MAX_WRONG_PER_USER,
        window: float = WRONG_WINDOW,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._wrong: dict[str, deque[float]] = {}

    def wait(self, user: str) -> float:
        """Seconds until ``user`` may try a code again; 0 when they may now."""
        times = self._recent(user)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - self.clock())

    def failed(self, user: str) -> None:
        self._recent(user).append(self.clock())

    def _recent(self, user: str) -> deque[float]:
        times = self._wrong.setdefault(user, deque())
        while times and times[0] <= self.clock() - self.window:
            times.popleft()
        return times
