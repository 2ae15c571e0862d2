"""Whether the system clock can be believed.

A Raspberry Pi has no battery clock: after a power cut it starts from 1970 or from
what fake-hwclock saved at the last shutdown, until NTP sets it. systemd-timesyncd
creates a flag file once it has synchronised the clock; the daemon asks here and
tells the core (``PlayerCore.clock_sync``). Standard library only.
"""

from __future__ import annotations

from pathlib import Path

#: Created by systemd-timesyncd when it has synchronised the clock (systemd ≥ 239).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")


def system_clock_synced(path: Path = TIMESYNC_FLAG) -> bool:
    """True when the system says its clock is synchronised. False when it cannot say
    (no timesyncd, another NTP client): the player then trusts its clock only when it is
    within tolerance of the server's heartbeats."""
    try:
        return path.exists()
    except OSError:
        return False
