"""Feeds: 50 feeds of 200 items ingested and every area recomposed; then nothing changed.

A feed server (a child process on loopback, :mod:`bench.feedgen`) serves generated feeds
in Danish, RSS news and iCalendar events, each with an ETag (a 304 when asked with it).
The measured part (:mod:`bench.feedrounds`) runs in a fresh child process of its own,
standing in for the server process, so that its peak RSS is its own also after other
benchmarks ran. It does what the server does with the real code: a cold poll round and a
recompose of every area; the same again with nothing changed (a recompose with the
render cache warm, a poll round of 304s); a restart (the items loaded from the database,
the pages found through the page index: nothing rendered) and its recompose. This module
starts both processes and turns the figures into the table.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .feedgen import AREAS, plan, serve_feeds
from .feedrounds import measure_child
from .report import Report, kib, mib, percentile, run_and_print

NAME = "feeds"
#: "Costs almost nothing": an unchanged round takes at most this share of a cold one.
BUDGET_UNCHANGED_SHARE = 0.05
#: "Much cheaper": a recompose with nothing changed (also the first after a restart)
#: takes at most this share of a cold one.
BUDGET_WARM_SHARE = 0.10


@dataclass(frozen=True)
class Options:
    feeds: int = 50
    items: int = 200
    #: Seconds the measured process may take in all.
    timeout: float = 600.0
    #: Trace the restart's recompose with no page index, so every page is rendered (about a
    #: minute more).
    trace_render: bool = False


# --- the benchmark ----------------------------------------------------------------


def run(options: Options) -> Report:
    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="bench-feeds-") as temp,
        contextlib.ExitStack() as stack,
    ):
        to_server, server_end = spawn.Pipe()
        server = spawn.Process(
            target=serve_feeds, args=(server_end, options.feeds, options.items, time.time())
        )
        server.start()
        server_end.close()
        stack.callback(_stop, server, to_server)
        if not to_server.poll(options.timeout):
            raise RuntimeError(f"the feed server did not start within {options.timeout:g} s")
        port, served = to_server.recv()
        results, results_end = spawn.Pipe(duplex=False)
        base_url = f"http://127.0.0.1:{port}"
        child = spawn.Process(
            target=measure_child,
            args=(results_end, base_url, temp, options.feeds, options.trace_render),
        )
        child.start()
        results_end.close()
        stack.callback(_stop, child, None)
        if not results.poll(options.timeout):
            raise RuntimeError(f"the measured process took more than {options.timeout:g} s")
        try:
            outcome, value = results.recv()
        except EOFError:
            raise RuntimeError(f"the measured process died ({child.exitcode})") from None
    if outcome != "ok":
        raise RuntimeError(f"the measured process failed:\n{value}")
    return report(options, value, served)


def _stop(process: multiprocessing.process.BaseProcess, conn: Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.send("stop")
    process.join(5)
    if process.is_alive():
        process.terminate()
        process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


def report(options: Options, figures: dict[str, Any], served: int) -> Report:
    sources = plan(options.feeds)
    news = [s.id for s in sources if s.kind == "news"]
    events = [s.id for s in sources if s.kind == "events"]
    result = Report(
        NAME,
        f"{options.feeds} feeds of {options.items} items, {len(AREAS)} areas",
        {
            "feeds": options.feeds,
            "items": options.items,
            "areas": len(AREAS),
            "trace_render": options.trace_render,
        },
    )
    cold, unchanged = figures["cold_round"], figures["unchanged_round"]
    first, second = figures["recompose_cold"], figures["recompose_warm"]
    parse_ms, items = figures["parse_ms"], figures["items"]
    result.add(
        "feeds served (RSS + iCalendar)",
        f"{len(news)} + {len(events)}, {mib(served)} in all",
    )
    result.add(
        "parser start (fork server), then a 1-item feed",
        f"{figures['parser_start_ms']:.0f} ms, then {figures['tiny_parse_ms']:.0f} ms",
    )
    result.add("cold round: wall / server CPU / parse CPU", _round_times(cold))
    for label, ids in (("RSS", news), ("iCalendar", events)):
        times = [parse_ms[feed] for feed in ids if feed in parse_ms]
        result.add(
            f"parse in a child, {label}, p50 / max",
            f"{percentile(times, 50):.0f} / {max(times, default=0):.0f} ms",
        )
    result.add(
        "items kept (news / event occurrences)",
        f"{sum(items.get(f, 0) for f in news):,} / {sum(items.get(f, 0) for f in events):,}",
    )
    result.add("recompose all areas, cold: wall / CPU", _seconds_pair(first))
    result.add(
        "  pages rendered (distinct), CPU per page rendered",
        f"{first['pages_rendered']:,} ({first['pages_distinct']:,}), "
        f"{first['cpu_seconds'] / max(first['pages_rendered'], 1) * 1000:.1f} ms",
    )
    for area, done in first["areas"].items():
        blocks = "/".join(str(done.get(b, 0)) for b in ("news", "events", "overview"))
        result.add(
            f"  {area}: items (news/events/overview), frame",
            f"{done['items']} ({blocks}), {kib(done['frame_bytes'])}, {done['ms']:.0f} ms",
        )
    result.add("recompose again, nothing changed: wall / CPU", _seconds_pair(second))
    share = second["seconds"] / first["seconds"]
    result.add(
        "recompose again / cold, wall",
        f"{share:.1%}",
        f"≤ {BUDGET_WARM_SHARE:.0%}",
        share <= BUDGET_WARM_SHARE,
    )
    same = _same_versions(first, second)
    result.add(
        "same versions after recomposing", f"{same} of {len(AREAS)}", "all", same == len(AREAS)
    )
    result.add("pages rendered / written again", *_nothing_new(second))
    result.add("unchanged round (all 304): wall / server CPU / parse CPU", _round_times(unchanged))
    answers = unchanged["answers"]
    result.add("answers in the unchanged round", f"{answers['304']} × 304, {answers['200']} × 200")
    result.add(
        "connections opened, cold / unchanged round",
        f"{cold['answers']['connections']} / {answers['connections']}",
    )
    for what, ratio in (
        ("wall", unchanged["seconds"] / cold["seconds"]),
        ("CPU (server + parses)", _cpu(unchanged) / _cpu(cold)),
    ):
        result.add(
            f"unchanged / cold round, {what}",
            f"{ratio:.2%}",
            f"≤ {BUDGET_UNCHANGED_SHARE:.0%}",
            ratio <= BUDGET_UNCHANGED_SHARE,
        )
    result.add(
        "unchanged / cold round, server CPU alone",
        f"{unchanged['cpu_seconds'] / cold['cpu_seconds']:.1%}",
    )
    result.add(
        "parses / recompose triggers, unchanged round",
        f"{unchanged['parses']} / {unchanged['changes']}",
        "0 / 0",
        unchanged["parses"] == 0 and unchanged["changes"] == 0,
    )
    restart = figures["restart"]
    result.add("restart: items loaded from SQLite: wall / CPU", _seconds_pair(restart["load"]))
    result.add("recompose after a restart: wall / CPU", _seconds_pair(restart))
    share = restart["seconds"] / first["seconds"]
    result.add(
        "recompose after a restart / cold, wall",
        f"{share:.1%}",
        f"≤ {BUDGET_WARM_SHARE:.0%}",
        share <= BUDGET_WARM_SHARE,
    )
    result.add(
        "recompose after a restart / cold, CPU",
        f"{restart['cpu_seconds'] / first['cpu_seconds']:.1%}",
    )
    result.add("  pages in the snapshots (distinct)", f"{restart['pages_distinct']:,}")
    result.add("  pages rendered / written after a restart", *_nothing_new(restart))
    same = _same_versions(first, restart)
    result.add(
        "same versions after a restart", f"{same} of {len(AREAS)}", "all", same == len(AREAS)
    )
    growth = figures["peak_rss"] - figures["rss_before"]
    result.add(
        "server RSS before the round → peak",
        f"{mib(figures['rss_before'])} → {mib(figures['peak_rss'])} (+{mib(growth)})",
    )
    result.add("items in memory after a restart (tracemalloc)", mib(figures["tracemalloc_items"]))
    index = "no page index (all rendered)" if options.trace_render else "the page index"
    result.add(
        f"tracemalloc peak, restart + recompose with {index}",
        mib(figures["tracemalloc_peak"]),
    )
    result.add("rendered pages (HTML, held by the render cache)", mib(first["pages_bytes"]))
    fork_server = figures["fork_server_rss"]
    result.add(
        "largest parse child (RUSAGE_CHILDREN)",
        f"{mib(figures['children_peak_rss'])}"
        + (f" (fork server {mib(fork_server)})" if fork_server else ""),
    )
    result.add("SQLite after the cold round", mib(figures["database_bytes"]))
    result.figures = {"served_bytes": served, **figures}
    result.notes.append(
        "ratios within one run are the figures to compare (a shared, noisy machine); "
        "server CPU is this process's (event loop and its threads), not the parse children's"
    )
    return result


def _same_versions(first: dict[str, Any], then: dict[str, Any]) -> int:
    return sum(
        then["areas"][area]["version"] == done["version"] for area, done in first["areas"].items()
    )


def _nothing_new(done: dict[str, Any]) -> tuple[str, str, bool]:
    """Pages rendered / written in a recompose that should do neither, as a table row."""
    written = sum(area["pages_written"] for area in done["areas"].values())
    rendered = done["pages_rendered"]
    return f"{rendered:,} / {written:,}", "0 / 0", rendered == 0 and written == 0


def _seconds_pair(done: dict[str, Any]) -> str:
    return f"{_time(done['seconds'])} / {_time(done['cpu_seconds'])}"


def _round_times(done: dict[str, Any]) -> str:
    return f"{_seconds_pair(done)} / {_time(done['parse_cpu_seconds'])}"


def _cpu(done: dict[str, Any]) -> float:
    total: float = done["cpu_seconds"] + done["parse_cpu_seconds"]
    return total


def _time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


# --- command line -------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.feeds", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--feeds", type=int, default=defaults.feeds, help="feeds, one in five a calendar (50)"
    )
    parser.add_argument("--items", type=int, default=defaults.items, help="items per feed (200)")
    parser.add_argument(
        "--trace-render",
        action="store_true",
        help="trace a recompose that renders every page (no page index; traced: ~3x slower)",
    )
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds the whole run may take"
    )
    args = parser.parse_args(argv)
    if args.feeds < 1 or args.items < 1:
        parser.error("--feeds and --items must be at least 1")
    return Options(
        feeds=args.feeds, items=args.items, timeout=args.timeout, trace_render=args.trace_render
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_print(run, parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
