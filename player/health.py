"""How the player's machine is doing: the ``health`` of its heartbeats (protocol 1.3).

Every measurement is blocking (files in /proc, ``statvfs``, ``vcgencmd``), so
:meth:`Probe.measure` runs them in a thread; the daemon calls it in the background and
sends the latest result with each heartbeat. Whatever a machine cannot tell stays None.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from .cache import Cache
from .protocol import Health

log = logging.getLogger(__name__)

#: The longest ``vcgencmd`` may take before its answer counts as unknown.
VCGENCMD_TIMEOUT = 2.0
THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")
PROC_UPTIME = Path("/proc/uptime")
PROC_STATM = Path("/proc/self/statm")

_TEMP_RE = re.compile(r"temp=(-?\d+(?:\.\d+)?)")
_THROTTLED_RE = re.compile(r"throttled=(0x[0-9a-fA-F]+)")


class Probe:
    """Measures the machine; keeps the asset cache's size until told it changed."""

    def __init__(self, cache: Cache, started: float | None = None) -> None:
        self.cache = cache
        #: ``time.monotonic()`` when the player started.
        self.started = time.monotonic() if started is None else started
        self.thermal_zone = THERMAL_ZONE
        self._cache_bytes: int | None = None
        #: Counts changes, so a count begun before one is not kept after it.
        self._changes = 0

    def cache_changed(self) -> None:
        """An asset was stored or removed: count the cache again at the next measure."""
        self._changes += 1
        self._cache_bytes = None

    async def measure(self) -> Health:
        """The machine's side of the health; the daemon adds the clock, display and disk-full
        fields it knows (see :func:`with_player`)."""
        return await asyncio.to_thread(self.measure_now)

    def measure_now(self) -> Health:
        """Blocking: run it in a thread."""
        free: int | None
        total: int | None
        try:
            free, total = self.cache.disk_space()
        except OSError:
            free = total = None
        temperature, throttled = _vcgencmd()
        if temperature is None:
            temperature = _thermal_zone(self.thermal_zone)
        return Health(
            uptime=_uptime(),
            player_uptime=round(time.monotonic() - self.started, 1),
            cache_bytes=self._cache_size(),
            disk_free=free,
            disk_total=total,
            memory=_rss(),
            temperature=temperature,
            throttled=throttled,
        )

    def _cache_size(self) -> int | None:
        size = self._cache_bytes
        if size is None:
            changes = self._changes
            try:
                size = self.cache.size_bytes()
            except OSError:
                return None
            if changes == self._changes:
                self._cache_bytes = size
        return size


def with_player(
    health: Health,
    *,
    clock_trusted: bool | None,
    clock_offset: float | None,
    display: str | None,
    disk_full: bool | None,
) -> Health:
    """``health`` with the fields only the player's core knows."""
    return dataclasses.replace(
        health,
        clock_trusted=clock_trusted,
        clock_offset=None if clock_offset is None else round(clock_offset, 3),
        display=display,
        disk_full=disk_full,
    )


def parse_temperature(text: str) -> float | None:
    """``temp=51.6'C`` → 51.6."""
    match = _TEMP_RE.search(text)
    return float(match.group(1)) if match else None


def parse_throttled(text: str) -> str | None:
    """``throttled=0x50005`` → ``"0x50005"``."""
    match = _THROTTLED_RE.search(text)
    return match.group(1).lower() if match else None


def _uptime() -> float | None:
    try:
        return float(PROC_UPTIME.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _rss() -> int | None:
    try:
        pages = int(PROC_STATM.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _vcgencmd() -> tuple[float | None, str | None]:
    """Temperature and throttling from ``vcgencmd``: a Raspberry Pi's firmware tool."""
    command = shutil.which("vcgencmd")
    if command is None:
        return None, None
    temperature = _run(command, "measure_temp")
    throttled = _run(command, "get_throttled")
    return (
        None if temperature is None else parse_temperature(temperature),
        None if throttled is None else parse_throttled(throttled),
    )


def _run(command: str, argument: str) -> str | None:
    try:
        done = subprocess.run(
            [command, argument],
            capture_output=True,
            text=True,
            timeout=VCGENCMD_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("vcgencmd %s: %s", argument, exc)
        return None
    return done.stdout if done.returncode == 0 else None


def _thermal_zone(path: Path) -> float | None:
    try:
        return round(int(path.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
