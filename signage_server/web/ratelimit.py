"""A limit on failed logins, per e-mail address and per client address.

After ``free`` failures for a key, each further attempt must wait: 30 s, then twice as long
after each failure, up to 15 minutes. A success clears the address's count (not the
client's, so one good account cannot be used to reset guessing at others). Counts are
forgotten an hour after their last failure. The limiter lives in memory: a restart clears it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FIRST_WAIT = 30.0
MAX_WAIT = 15 * 60.0
FORGET_AFTER = 60 * 60.0
#: Bounds the memory a flood of made-up addresses can take.
MAX_KEYS = 100_000


@dataclass
class _Failures:
    count: int
    last: float


class LoginLimiter:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        free_per_email: int = 5,
        free_per_client: int = 20,
    ) -> None:
        self.clock = clock
        self.free = {"email": free_per_email, "client": free_per_client}
        self._failures: dict[tuple[str, str], _Failures] = {}

    def wait(self, email: str, client: str) -> float:
        """Seconds until a login for ``email`` from ``client`` may be tried; 0 when it may now."""
        now = self.clock()
        return max(self._wait(key, now) for key in self._keys(email, client))

    def failed(self, email: str, client: str) -> None:
        now = self.clock()
        if len(self._failures) >= MAX_KEYS:
            self._forget(now)
        for key in self._keys(email, client):
            entry = self._failures.get(key)
            if entry is None or now - entry.last > FORGET_AFTER:
                entry = self._failures[key] = _Failures(0, now)
            entry.count += 1
            entry.last = now

    def succeeded(self, email: str) -> None:
        self._failures.pop(("email", email), None)

    def _keys(self, email: str, client: str) -> Iterable[tuple[str, str]]:
        return (("email", email), ("client", client))

    def _wait(self, key: tuple[str, str], now: float) -> float:
        entry = self._failures.get(key)
        if entry is None or now - entry.last > FORGET_AFTER:
            return 0.0
        over = entry.count - self.free[key[0]]
        if over < 0:
            return 0.0
        delay = min(math.ldexp(FIRST_WAIT, min(over, 20)), MAX_WAIT)
        return max(0.0, entry.last + delay - now)

    def _forget(self, now: float) -> None:
        for key, entry in list(self._failures.items()):
            if now - entry.last > FORGET_AFTER:
                del self._failures[key]
        if len(self._failures) >= MAX_KEYS:  # all recent: drop the oldest half
            oldest = sorted(self._failures, key=lambda k: self._failures[k].last)
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]
