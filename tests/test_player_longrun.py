"""A week of a screen's life in half a minute: the real player daemon through thousands of
snapshot changes, hundreds of reconnects and hundreds of kiosk page connections, with
its memory and open files the same at the end as after the warm-up.

Bounds, and why: resident memory may grow by less than 8 MiB between the sample after
the warm-up and the one at the end. A leak of a snapshot (a few KB) per change, or of a
connection's buffers (tens of KB) per reconnect, would pass that many times over; what
stays below is the allocator settling, which does not grow with the run. Open file
descriptors must be equal within ±2 (a closing socket may linger a moment). Both
samples are taken at a quiet point: changes paused, the daemon on the current version,
no page connected. No timings are asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .support import eventually
from .test_player_powerloss import Daemon, FakeServer, pool, start_daemon

WARM_UP_CHANGES = 1000
CHANGES = 5000
DROP_EVERY = 20
PAGE_VISITS = 300
QUICK_RECONNECT = "import player.daemon as d\nd.BACKOFF_MIN = 0.005\nd.BACKOFF_MAX = 0.05"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def visit(daemon: Daemon) -> None:
    """A kiosk page opens its websocket, gets the snapshot, and goes (a reload)."""
    with contextlib.suppress(ConnectionClosed, OSError):
        async with connect(f"ws://127.0.0.1:{daemon.port}/ws", max_size=None) as page:
            await page.recv()
            await page.recv()


async def quiet_sample(server: FakeServer, daemon: Daemon) -> tuple[int, int]:
    """Pause the changes, wait until the daemon plays the current one, then sample."""
    server.paused.clear()
    await asyncio.sleep(0.05)  # a change already past the pause point goes out

    async def current() -> bool:
        state = await daemon.state()
        return bool(
            state["connected"] and state["version"] == server.snapshot(server.changes).version
        )

    await eventually(current, 20)  # type: ignore[arg-type]
    pid = daemon.process.pid
    sample = rss_bytes(pid), open_fds(pid)
    server.paused.set()
    return sample


async def test_memory_and_files_stay_flat_through_a_simulated_week(tmp_path: Path) -> None:
    server = FakeServer(
        pool(6, 500, 4_000, seed=3),
        per_snapshot=3,
        shift=1,
        change_every=0.002,
        drop_every=DROP_EVERY,
        chunk_delay=0.0,
    )
    await server.start()
    daemon = await start_daemon(
        server.url, tmp_path / "cache", tmp_path / "daemon.log", prelude=QUICK_RECONNECT
    )
    try:
        await daemon.up()
        visits = 0

        async def run_until(changes: int, pages: int) -> None:
            nonlocal visits
            while server.changes < changes or visits < pages:
                if visits < pages:
                    await visit(daemon)
                    visits += 1
                else:
                    await asyncio.sleep(0.05)
                assert daemon.process.returncode is None, daemon.log.read_text()[-3000:]

        await run_until(WARM_UP_CHANGES, 50)
        rss_before, fds_before = await quiet_sample(server, daemon)
        connections_before = server.connections
        await run_until(WARM_UP_CHANGES + CHANGES, 50 + PAGE_VISITS)
        rss_after, fds_after = await quiet_sample(server, daemon)
        reconnects = server.connections - connections_before
        print(
            f"\nlong run: {server.changes} changes, {server.connections} connections "
            f"({reconnects} after the warm-up), {visits} page visits; "
            f"RSS {rss_before / 2**20:.1f} → {rss_after / 2**20:.1f} MiB, "
            f"fds {fds_before} → {fds_after}"
        )
        assert reconnects >= 100, "the run did not reconnect often"
        assert rss_after - rss_before < 8 * 2**20
        assert abs(fds_after - fds_before) <= 2
    finally:
        await daemon.stop()
        await server.stop()
