"""Telling systemd how the player is doing (``sd_notify``), standard library only.

Under ``Type=notify`` systemd passes ``NOTIFY_SOCKET``; with ``WatchdogSec=`` it also
passes ``WATCHDOG_USEC`` (and ``WATCHDOG_PID``), and restarts the service when no
``WATCHDOG=1`` arrives in time. Without ``NOTIFY_SOCKET`` every call does nothing, so the
player runs the same from a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends ``READY=1``, ``STATUS=…``, ``WATCHDOG=1`` and ``STOPPING=1`` datagrams."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        if address is not None and address.startswith("@"):
            address = "\0" + address[1:]  # the abstract namespace
        self.address = address
        #: Seconds between watchdog feeds, or None when systemd watches nothing.
        self.watchdog_every: float | None = None
        usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
        if address is not None and usec and (not pid or pid == str(os.getpid())):
            try:
                # Feed at a quarter of the timeout: twice as often as systemd asks.
                self.watchdog_every = int(usec) / 4_000_000 or None
            except ValueError:
                log.warning("ignoring WATCHDOG_USEC=%r: expected microseconds", usec)
        self._status: str | None = None
        self._last_feed: float | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> None:
        """Send one datagram of ``KEY=value`` lines; a failure is logged once, never raised."""
        if self.address is None:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(fields).encode(), self.address)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify systemd at %s: %s", self.address.lstrip("\0"), exc)
                self._warned = True

    def ready(self, status: str | None = None) -> None:
        fields = ["READY=1"]
        if status is not None:
            self._status = status
            fields.append(f"STATUS={status}")
        self.notify(*fields)

    def status(self, text: str) -> None:
        """Say ``STATUS=text``, only when it changed."""
        text = " ".join(text.split())[:200]
        if text != self._status:
            self._status = text
            self.notify(f"STATUS={text}")

    def watchdog(self, now: float) -> None:
        """Feed the watchdog if it is due; ``now`` is a monotonic clock. Call this only
        from the loop whose life it vouches for."""
        if self.watchdog_every is None:
            return
        if self._last_feed is None or now - self._last_feed >= self.watchdog_every:
            self._last_feed = now
            self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")
