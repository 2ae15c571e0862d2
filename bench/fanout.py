"""Fan-out: a recipe edit reaching N screens, against a bare ``websockets.broadcast``.

Ours: the real server (a child process) with N screens of one area connected
from this process. Each round rewrites ``playlists/morkov.toml`` with another
``default_duration`` and times, per screen, file write → new snapshot frame. The
server's log line "area morkov: version … to N screens" dates the publish, which
splits that time into the file watch (watchfiles debounce, reload, compose) and
the push itself.

Floor: ``bench.floor`` (a child process too) with N clients, timed from the
``broadcast()`` call to each receipt, with a frame of the size of ours.

Both servers run at once and the rounds take turns (ours, floor, ours, …), so a
noisy spell on a shared machine falls on both alike. Memory: each server's RSS
before and after its N connections, over N; then, alone and for memory only, the
floor with websockets' default permessage-deflate (which our server turns off)
and an empty Starlette endpoint on uvicorn (``bench.framework_floor``), to tell
what the framework costs from what our code adds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import media
from .baselines import STARLETTE, WEBSOCKETS, WEBSOCKETS_DEFLATE, Floor, Side
from .clients import Screen, Tally, close_all, heartbeats, open_all
from .processes import (
    Service,
    ServiceFailed,
    cpu_seconds,
    raise_open_files,
    rss_bytes,
)
from .report import Report, kib, mib, ms_triple, run_and_print, summary_ms
from .site import Site, recipe

NAME = "fanout"
#: Each slide adds about 280 bytes to the snapshot frame; six make it about 2 KB.
DEFAULT_SLIDES = 6
BUDGET_RATIO = 2.0


@dataclass(frozen=True)
class Options:
    players: int = 1000
    rounds: int = 5
    slides: int = DEFAULT_SLIDES
    concurrency: int = 100
    #: Seconds between rounds, and of quiet before RSS is read.
    gap: float = 1.5
    timeout: float = 60.0
    #: Also weigh, for memory only, the bare floor with websockets' default
    #: permessage-deflate and an empty Starlette endpoint on uvicorn.
    memory_floors: bool = True
    #: Our screens answer each snapshot with a status frame, as real players do.
    ack: bool = False


def run(options: Options) -> Report:
    soft, _ = raise_open_files()
    need = 2 * options.players + 100
    if soft < need:
        raise SystemExit(
            f"fanout: {options.players} players need {need} open files here; the limit is {soft}"
        )
    with (
        tempfile.TemporaryDirectory(prefix="bench-fanout-") as temp,
        contextlib.ExitStack() as stack,
    ):
        root = Path(temp)
        ours = Ours.start(root / "ours", options, stack)
        floor = Floor.start(root / "floor", stack, WEBSOCKETS)
        asyncio.run(_interleaved(ours, floor, options))
        others: dict[str, Side] = {}
        if options.memory_floors:
            # Memory only, each alone, after the others have closed their screens.
            for kind in (WEBSOCKETS_DEFLATE, STARLETTE):
                other = Floor.start(root / kind.name, stack, kind)
                asyncio.run(_connect_only(other, options))
                other.service.stop()
                others[kind.name] = other.side
    return report(options, ours.side, floor.side, others)


async def _interleaved(ours: Ours, floor: Floor, options: Options) -> None:
    """Connect both, then take turns, so that a noisy spell hits both alike."""
    await asyncio.sleep(options.gap)
    try:
        await ours.connect(options)
        await floor.connect(options.players, options.concurrency, ours.side.frame_bytes)
        await asyncio.sleep(options.gap)
        ours.side.rss_connected = rss_bytes(ours.service.pid)
        floor.side.rss_connected = rss_bytes(floor.service.pid)
        for number in range(1, options.rounds + 1):
            await ours.round(number, options)
            await asyncio.sleep(options.gap)
            await floor.round(number, options.timeout)
            await asyncio.sleep(options.gap)
        ours.side.rss_end = rss_bytes(ours.service.pid)
        floor.side.rss_end = rss_bytes(floor.service.pid)
    finally:
        await ours.close()
        await floor.close()


async def _connect_only(floor: Floor, options: Options) -> None:
    await asyncio.sleep(options.gap)
    try:
        await floor.connect(options.players, options.concurrency, frame_bytes=0)
        await asyncio.sleep(options.gap)
        floor.side.rss_connected = rss_bytes(floor.service.pid)
    finally:
        await floor.close()


class Ours:
    """The real server, N screens of one area, and recipe edits."""

    def __init__(self, site: Site, service: Service, tokens: list[str]) -> None:
        self.site = site
        self.service = service
        self.tokens = tokens
        self.side = Side()
        self.tally = Tally(expected=len(tokens))
        self.screens: list[Screen] = []
        self.known: set[str] = set()
        self._beating: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, root: Path, options: Options, stack: contextlib.ExitStack) -> Ours:
        site = Site(root)
        site.write_recipe(recipe())
        for index in range(options.slides):
            site.drop(f"plakat-{index + 1:02}.jpg", media.small_slide(index), settled=True)
        tokens = site.add_screens(options.players)
        service = stack.enter_context(site.server())
        site.wait_for_server(service)
        return cls(site, service, tokens)

    async def connect(self, options: Options) -> None:
        self.side.rss_before = rss_bytes(self.service.pid)
        started = time.monotonic()
        self.screens = await open_all(
            self.site.websocket_url, self.tokens, self.tally, options.concurrency, ack=options.ack
        )
        self.side.connect_seconds = time.monotonic() - started
        self._beating = asyncio.create_task(heartbeats(self.screens))
        first = self.screens[0].first
        assert first is not None
        self.known.add(first[0])
        self.side.frame_bytes = first[1]

    async def round(self, number: int, options: Options) -> None:
        side, tally = self.side, self.tally
        cpu_before = cpu_seconds(self.service.pid)
        written = self.site.write_recipe(recipe(default_duration=10 + number))
        version = await tally.next_version(self.known, options.timeout)
        if version is None:
            raise ServiceFailed(
                f"round {number}: no new snapshot within {options.timeout:.0f} s\n"
                + self.service.log_tail()
            )
        self.known.add(version)
        complete = await tally.wait_for(version, options.timeout)
        side.cpu.append(cpu_seconds(self.service.pid) - cpu_before)
        receipts = tally.receipts[version]
        latencies = [receipt.at - written for receipt in receipts]
        side.latencies += latencies
        side.missing += len(self.tokens) - len(receipts)
        record: dict[str, Any] = {
            "round": number,
            "version": version,
            "complete": complete,
            "received": len(receipts),
            "end_to_end": summary_ms(latencies),
            "cpu_ms": round(side.cpu[-1] * 1000),
        }
        published = [entry for entry in self.site.published() if entry.version == version]
        if published:
            at = published[0].at
            push = [receipt.at - at for receipt in receipts]
            side.to_publish.append(at - written)
            side.push_only += push
            record["to_publish_ms"] = round((at - written) * 1000, 1)
            record["push_only"] = summary_ms(push)
            record["screens_in_log"] = published[0].screens
        side.rounds.append(record)

    async def close(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        await close_all(self.screens)


# --- the table ----------------------------------------------------------------


def report(options: Options, ours: Side, floor: Side, others: dict[str, Side]) -> Report:
    result = Report(
        NAME,
        f"Fan-out to {options.players:,} screens",
        {
            "players": options.players,
            "rounds": options.rounds,
            "frame_bytes": ours.frame_bytes,
            "ack": options.ack,
        },
    )
    end_to_end, push, base = (
        summary_ms(ours.latencies),
        summary_ms(ours.push_only),
        summary_ms(floor.latencies),
    )
    result.add("ours: file write → snapshot, p50/p99/max", ms_triple(end_to_end))
    if ours.to_publish:
        low, high = min(ours.to_publish), max(ours.to_publish)
        result.add(
            "ours: file write → publish (watch+compose), median",
            f"{statistics.median(ours.to_publish) * 1000:.0f} ms "
            f"({low * 1000:.0f}–{high * 1000:.0f})",
        )
        result.add("ours: publish → snapshot (push only), p50/p99/max", ms_triple(push))
    else:
        result.add("ours: publish time", "not in the server log (did its format change?)")
    result.add("floor: broadcast() → receipt, p50/p99/max", ms_triple(base))
    for label, mine in (("end to end", end_to_end), ("push only", push)):
        if not mine["samples"]:
            continue
        for stat in ("p50_ms", "max_ms"):
            ratio = mine[stat] / base[stat]
            result.add(
                f"ours/floor, {stat[:-3]}, {label}",
                f"{ratio:.2f}×",
                f"≤ {BUDGET_RATIO:g}×",
                ratio <= BUDGET_RATIO,
            )
    if ours.missing or floor.missing:
        result.add(
            "snapshots that never arrived (ours / floor)", f"{ours.missing} / {floor.missing}"
        )
    if ours.cpu and floor.cpu:
        result.add(
            "server CPU per change, median (ours / floor)",
            f"{statistics.median(ours.cpu) * 1000:.0f} ms / "
            f"{statistics.median(floor.cpu) * 1000:.0f} ms",
        )
    result.add(
        "connect all (ours / floor)",
        f"{ours.connect_seconds:.1f} s / {floor.connect_seconds:.1f} s",
    )
    result.add(
        "server RSS idle → N connected (ours)",
        f"{mib(ours.rss_before)} → {mib(ours.rss_connected)}",
    )
    result.add(
        "server RSS idle → N connected (floor)",
        f"{mib(floor.rss_before)} → {mib(floor.rss_connected)}",
    )
    per_ours = ours.per_connection(options.players)
    per_bare = floor.per_connection(options.players)
    result.add("memory per connection (ours / floor)", f"{kib(per_ours)} / {kib(per_bare)}")
    if per_bare > 0:
        ratio = per_ours / per_bare
        result.add(
            "ours/floor, memory per connection",
            f"{ratio:.2f}×",
            f"≤ {BUDGET_RATIO:g}×",
            ratio <= BUDGET_RATIO,
        )
    for kind in (WEBSOCKETS_DEFLATE, STARLETTE):
        if kind.name in others:
            other = others[kind.name].per_connection(options.players)
            result.add(
                f"{kind.title}: memory per connection",
                f"{kib(other)} (ours: {per_ours / other:.2f}×)" if other > 0 else kib(other),
            )
    result.figures = {
        "ours": {
            "end_to_end": end_to_end,
            "push_only": push,
            "to_publish_ms": [round(value * 1000, 1) for value in ours.to_publish],
            **_side_figures(ours, options.players),
        },
        "floor": {"broadcast": base, **_side_figures(floor, options.players)},
    }
    for name, side in others.items():
        result.figures[name.replace("-", "_")] = _side_figures(side, options.players)
    result.notes.append(
        "one client process (asyncio) holds every screen; ours and the floor each run in a "
        "process of their own; times are time.time() on one machine"
    )
    return result


def _side_figures(side: Side, players: int) -> dict[str, Any]:
    figures = asdict(side)
    for key in ("latencies", "to_publish", "push_only", "cpu"):
        del figures[key]
    figures["cpu_ms_per_change"] = [round(value * 1000) for value in side.cpu]
    figures["per_connection_bytes"] = round(side.per_connection(players))
    figures["connect_seconds"] = round(side.connect_seconds, 2)
    return figures


# --- command line -------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--players", type=int, default=defaults.players, help="simulated screens (1000)"
    )
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help="recipe edits, and broadcasts (5)"
    )
    parser.add_argument(
        "--slides", type=int, default=defaults.slides, help="slides in the area (6: a 2 KB frame)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="handshakes in flight at once"
    )
    parser.add_argument("--gap", type=float, default=defaults.gap, help="seconds between rounds")
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds a round may take"
    )
    parser.add_argument(
        "--ack",
        action="store_true",
        help="our screens report each new snapshot with a status frame within a second, "
        "as real players do",
    )
    parser.add_argument(
        "--no-memory-floors",
        dest="memory_floors",
        action="store_false",
        help="skip the memory-only baselines (deflate, Starlette)",
    )
    args = parser.parse_args(argv)
    return Options(
        players=args.players,
        rounds=args.rounds,
        slides=args.slides,
        concurrency=args.concurrency,
        gap=args.gap,
        timeout=args.timeout,
        memory_floors=args.memory_floors,
        ack=args.ack,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_print(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
