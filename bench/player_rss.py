"""Player footprint: the daemon's memory and idle CPU with a 200-item snapshot.

A real server and a real player (child processes). Once the player plays the
snapshot with every item (read from its saved snapshot.json) and has idled a
while, we read its RSS (VmRSS, and the peak VmHWM) from /proc/PID/status and
its CPU time (utime + stime of /proc/PID/stat) over a quiet window. No kiosk
page is connected, as on a Pi before Chromium has started.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import media
from .processes import (
    Service,
    ServiceFailed,
    cpu_seconds,
    http_json,
    peak_rss_bytes,
    proc_status,
    rss_bytes,
    wait_until,
)
from .report import Report, mib, run_and_print
from .site import Site, recipe

NAME = "player_rss"
BUDGET_RSS = 50 * 1024 * 1024
BUDGET_IDLE_CPU = 2.0  # % of one core


@dataclass(frozen=True)
class Options:
    items: int = 200
    idle: float = 10.0
    window: float = 10.0
    timeout: float = 120.0


@dataclass(frozen=True)
class Footprint:
    rss_start: int
    rss_playing: int
    rss_idle: int
    peak: int
    cpu_percent: float
    sync_seconds: float
    threads: int


def run(options: Options) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-player-") as temp:
        site = Site(Path(temp))
        site.write_recipe(recipe(default_duration=5))
        for number in range(1, options.items + 1):
            site.drop(f"slide-{number:03}.jpg", media.small_slide(number), settled=True)
        (token,) = site.add_screens(1)
        with site.server() as server:
            site.wait_for_server(server)
            player, port, cache = site.player(token)
            with player:
                try:
                    footprint = measure(player, port, cache, options)
                except ServiceFailed as exc:
                    raise ServiceFailed(f"{exc}\n{server.log_tail()}") from None
    return report(options, footprint)


def measure(player: Service, port: int, cache: Path, options: Options) -> Footprint:
    state_url = f"http://127.0.0.1:{port}/state.json"

    def answers() -> bool:
        return http_json(state_url) is not None

    def playing_all() -> bool:
        state: Any = http_json(state_url)
        return (
            isinstance(state, dict)
            and state.get("version") is not None
            and state.get("pending_version") is None
            and _saved_items(cache) == options.items
        )

    wait_until("the player's /state.json", answers, 30, player)
    rss_start = rss_bytes(player.pid)
    synced = wait_until(
        f"the player to play all {options.items} items", playing_all, options.timeout, player
    )
    rss_playing = rss_bytes(player.pid)
    time.sleep(options.idle)  # the quiet spell is what we measure
    cpu_before, at_before = cpu_seconds(player.pid), time.monotonic()
    time.sleep(options.window)
    cpu_after, at_after = cpu_seconds(player.pid), time.monotonic()
    player.check_alive()
    return Footprint(
        rss_start=rss_start,
        rss_playing=rss_playing,
        rss_idle=rss_bytes(player.pid),
        peak=peak_rss_bytes(player.pid),
        cpu_percent=100 * (cpu_after - cpu_before) / (at_after - at_before),
        sync_seconds=synced,
        threads=int(proc_status(player.pid)["Threads"]),
    )


def _saved_items(cache: Path) -> int:
    try:
        body = json.loads((cache / "snapshot.json").read_text())
        return len(body["items"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def report(options: Options, footprint: Footprint) -> Report:
    result = Report(
        NAME,
        f"Player daemon with a {options.items}-item snapshot",
        {"items": options.items, "idle_s": options.idle, "window_s": options.window},
    )
    budget = f"≤ {mib(BUDGET_RSS)}"
    result.add("RSS when /state.json first answers", mib(footprint.rss_start))
    result.add("RSS just after playing all items", mib(footprint.rss_playing))
    result.add(
        f"RSS after {options.idle + options.window:g} s idle",
        mib(footprint.rss_idle),
        budget,
        footprint.rss_idle <= BUDGET_RSS,
    )
    result.add("peak RSS (VmHWM)", mib(footprint.peak), budget, footprint.peak <= BUDGET_RSS)
    result.add(
        f"idle CPU over {options.window:g} s",
        f"{footprint.cpu_percent:.2f}% of a core",
        f"< {BUDGET_IDLE_CPU:g}%",
        footprint.cpu_percent < BUDGET_IDLE_CPU,
    )
    result.add("threads", str(footprint.threads))
    result.add("/state.json answers → playing all items", f"{footprint.sync_seconds:.2f} s")
    result.figures = {
        "rss_start_bytes": footprint.rss_start,
        "rss_playing_bytes": footprint.rss_playing,
        "rss_idle_bytes": footprint.rss_idle,
        "peak_rss_bytes": footprint.peak,
        "idle_cpu_percent": round(footprint.cpu_percent, 3),
        "threads": footprint.threads,
        "sync_seconds": round(footprint.sync_seconds, 3),
    }
    return result


def parse_args(argv: Sequence[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.player_rss",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--items", type=int, default=defaults.items, help="slides in the snapshot (200)"
    )
    parser.add_argument(
        "--idle", type=float, default=defaults.idle, help="seconds to idle before measuring"
    )
    parser.add_argument(
        "--window",
        type=float,
        default=defaults.window,
        help="seconds over which idle CPU is measured",
    )
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds to wait for the sync"
    )
    args = parser.parse_args(argv)
    return Options(items=args.items, idle=args.idle, window=args.window, timeout=args.timeout)


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_print(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
