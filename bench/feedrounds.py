"""The measured process of the feeds benchmark: a child standing in for the server.

It does what the server does, with the real code: ``Poller.configure``, then
``Poller.poll`` for every feed, at most :data:`~signage_server.feeds.poller.FETCH_CONCURRENCY`
at once, each parse in a child of the fork server (``Parsers``); then, per area,
``select``, ``build`` with a ``Renderer`` over the page index in the poller's database,
the pages stored as blobs, and ``compose``. Then the same again with nothing changed: a
recompose (render cache warm) and a poll round (every feed 304). Then a restart: a new
``Poller`` and a new ``Renderer`` over the same database and blobs (no QR code made yet),
and every area recomposed, which should render nothing. Memory: peak RSS after the cold
round and recompose; tracemalloc in a pass of its own (tracing slows rendering about 3x):
another restart and recompose (``--trace-render``: with no page index, so every page is
rendered); and the largest parse child (``RUSAGE_CHILDREN``, once the fork server that
reaps them has ended).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import sqlite3
import sys
import time
import traceback
import tracemalloc
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from player.protocol import SnapshotMessage, serialize
from signage_server import store
from signage_server.blobs import Blobs
from signage_server.compose import compose
from signage_server.feeds import definitions, fetch
from signage_server.feeds.definitions import Feed
from signage_server.feeds.isolate import Parsers
from signage_server.feeds.model import ParsedFeed
from signage_server.feeds.poller import FETCH_CONCURRENCY, Poller
from signage_server.feeds.select import select
from signage_server.feedslides import build
from signage_server.pagecache import PageIndex, Renderer
from signage_server.pages import render
from signage_server.pages.cards import EventCard, NewsCard, OverviewCard
from signage_server.pages.render import HTML, Pages
from signage_server.recipes import Recipe
from signage_server.recipes import parse as parse_recipe

from .feedgen import AREAS, feeds_toml, plan, recipe_text
from .processes import CLOCK_TICKS, _parent_death_signal, peak_rss_bytes, rss_bytes, stop_on_sigterm


class TimedParsers(Parsers):
    """Notes how long each parse took from fork to result (its wait for a slot aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.timings: list[tuple[str, float]] = []

    async def _run(self, data: bytes, arguments: dict[str, Any]) -> ParsedFeed:
        started = time.monotonic()
        try:
            return await super()._run(data, arguments)
        finally:
            self.timings.append((str(arguments["feed_id"]), time.monotonic() - started))


class Changes:
    """The poller's on_change: counts what would make the server recompose."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@dataclass
class Round:
    seconds: float
    #: This process's CPU (the event loop and its threads).
    cpu_seconds: float
    #: The parse children's CPU, as the fork server that reaps them counts it.
    parse_cpu_seconds: float
    parses: int
    changes: int
    answers: dict[str, int] = field(default_factory=dict)


async def poll_round(
    poller: Poller, http: httpx.AsyncClient, feeds: Sequence[Feed], parsers: TimedParsers
) -> Round:
    """Every feed polled once, at most FETCH_CONCURRENCY at a time, as ``Poller.run`` does."""
    parses, changes = len(parsers.timings), _changes(poller).count
    slots = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def poll(feed: Feed) -> None:
        async with slots:
            await poller.poll(http, feed)

    children = _parse_cpu()
    cpu, started = time.process_time(), time.monotonic()
    async with asyncio.TaskGroup() as tasks:
        for feed in feeds:
            tasks.create_task(poll(feed))
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    failed = [f"{s.id}: {s.last_error}" for s in poller.statuses.values() if s.last_error]
    if failed:
        raise RuntimeError("feeds failed: " + "; ".join(failed[:5]))
    return Round(
        seconds,
        cpu,
        _parse_cpu() - children,
        len(parsers.timings) - parses,
        _changes(poller).count - changes,
    )


def _changes(poller: Poller) -> Changes:
    assert isinstance(poller.on_change, Changes)
    return poller.on_change


class CountingPages(Pages):
    """Counts the pages rendered (those the render cache and the page index had not)."""

    def __init__(self) -> None:
        super().__init__()
        self.rendered = 0

    def news(self, card: NewsCard, layout: str, zone: dt.tzinfo) -> bytes:
        self.rendered += 1
        return super().news(card, layout, zone)

    def event(self, card: EventCard, layout: str, zone: dt.tzinfo) -> bytes:
        self.rendered += 1
        return super().event(card, layout, zone)

    def overview(self, card: OverviewCard, layout: str, zone: dt.tzinfo) -> bytes:
        self.rendered += 1
        return super().overview(card, layout, zone)


def renderer_for(db: sqlite3.Connection, blobs: Blobs) -> Renderer:
    """A renderer as the server makes it: the page index in its database, over its blobs."""
    return Renderer(CountingPages(), index=PageIndex(db), stored=blobs.__contains__)


def recompose(
    poller: Poller,
    feeds: Sequence[Feed],
    recipes: Sequence[Recipe],
    renderer: Renderer,
    blobs: Blobs,
) -> dict[str, Any]:
    """Every area, as ``Content.recompose`` does it for areas with feeds."""
    counter = renderer.pages
    assert isinstance(counter, CountingPages)
    rendered = counter.rendered
    now = time.time()
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    areas: dict[str, Any] = {}
    # Pages handed back with their HTML (rendered now, or in memory from before), and
    # the page assets of all areas (some found in the page index: no HTML needed).
    held: set[str] = set()
    assets: set[str] = set()
    pages_bytes = 0
    cpu, started = time.process_time(), time.monotonic()
    for recipe in recipes:
        began = time.monotonic()
        selection = select(feeds, poller.items, recipe.area, moment, recipe.zone)
        names = {feed: status.title or feed for feed, status in poller.statuses.items()}
        slides = build(recipe, selection, now, renderer, poller.pictures.get, names)
        written = 0
        pages_bytes += sum(len(html) for sha, html in slides.pages.items() if sha not in held)
        held.update(slides.pages)
        assets.update(asset.sha256 for asset in slides.assets if asset.type == HTML)
        for sha256, html in slides.pages.items():
            if sha256 not in blobs:
                blobs.put(html)
                written += 1
        snapshot = compose(recipe, {}, now, slides).snapshot
        frame = serialize(SnapshotMessage(snapshot)).encode()
        areas[recipe.area] = {
            "ms": round((time.monotonic() - began) * 1000, 1),
            "items": len(snapshot.items),
            **{block: len(items) for block, items in slides.blocks.items()},
            "ticker": len(slides.ticker),
            "pages": len(slides.pages),
            "pages_written": written,
            "frame_bytes": len(frame),
            "version": snapshot.version,
        }
    return {
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu,
        "pages_rendered": counter.rendered - rendered,
        "pages_distinct": len(assets),
        "pages_bytes": pages_bytes,
        "areas": areas,
    }


def restart(
    folder: Path, feeds: Sequence[Feed], recipes: Sequence[Recipe], parsers: Parsers
) -> dict[str, Any]:
    """What a restarted server does before it serves screens: the items loaded from the
    database, nothing in memory, and every area recomposed (``Content.start``)."""
    render._qr_code.cache_clear()  # a new process has made no QR code yet
    cpu, started = time.process_time(), time.monotonic()
    db = store.connect(folder / "signage.db")
    blobs = Blobs(folder / "blobs")
    poller = Poller(db, blobs, Changes(), parsers=parsers)
    poller.configure(feeds)
    renderer = renderer_for(db, blobs)
    load = {"seconds": time.monotonic() - started, "cpu_seconds": time.process_time() - cpu}
    return {"load": load, **recompose(poller, feeds, recipes, renderer, blobs)}


async def measure(
    base_url: str, folder: Path, *, feed_count: int, trace_render: bool
) -> dict[str, Any]:
    """Every pass of the benchmark, in this process; figures as the report reads them."""
    feeds = definitions.parse(folder / "feeds.toml", feeds_toml(plan(feed_count), base_url))
    recipes = [parse_recipe(folder / f"{area}.toml", recipe_text(area)) for area in AREAS]
    pid = os.getpid()
    parsers = TimedParsers()
    # The fork server starts with the first parse (in a running server, long before a
    # round like this): timed apart, with the cost of a one-item feed beside it.
    tiny = [await _tiny_parse(parsers) for _ in range(2)]
    parsers.timings.clear()
    figures: dict[str, Any] = {"parser_start_ms": tiny[0], "tiny_parse_ms": tiny[1]}
    figures["rss_before"] = rss_bytes(pid)
    blobs = Blobs(folder / "blobs")
    db = store.connect(folder / "signage.db")
    poller = Poller(db, blobs, Changes(), parsers=parsers)
    poller.configure(feeds)
    async with fetch.client() as http:
        cold = await poll_round(poller, http, feeds, parsers)
        cold.answers = await _answers(http, base_url)
        renderer = renderer_for(db, blobs)
        first = recompose(poller, feeds, recipes, renderer, blobs)
        figures["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        figures["vm_hwm"] = peak_rss_bytes(pid)
        figures["rss_after"] = rss_bytes(pid)
        figures["parse_ms"] = {feed: round(s * 1000, 1) for feed, s in parsers.timings}
        figures["items"] = {feed: len(items) for feed, items in poller.items.items()}
        figures["database_bytes"] = sum(p.stat().st_size for p in folder.glob("signage.db*"))
        second = recompose(poller, feeds, recipes, renderer, blobs)
        unchanged = await poll_round(poller, http, feeds, parsers)
        after = await _answers(http, base_url)
        unchanged.answers = {key: after[key] - cold.answers[key] for key in after}
    restarted = restart(folder, feeds, recipes, parsers)
    # Tracing slows allocation-heavy code several times over (rendering most: about 3x),
    # so it has a pass of its own: a restart as above, by default with the page index
    # (which the restart above has filled, so nothing is rendered), with --trace-render
    # with none (every page rendered). The cold round's own transients are small: at most
    # FETCH_CONCURRENCY bodies and parsed feeds at a time.
    render._qr_code.cache_clear()
    tracemalloc.start()
    started = time.monotonic()
    traced_db = store.connect(folder / "signage.db")
    traced = Poller(traced_db, blobs, Changes(), parsers=parsers)
    traced.configure(feeds)
    figures["tracemalloc_items"] = tracemalloc.get_traced_memory()[0]
    if trace_render:
        recompose(traced, feeds, recipes, Renderer(CountingPages()), Blobs(folder / "traced"))
    else:
        recompose(traced, feeds, recipes, renderer_for(traced_db, blobs), blobs)
    figures["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    figures["traced_seconds"] = round(time.monotonic() - started, 2)
    figures["fork_server_rss"] = _stop_fork_server()
    figures["children_peak_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    figures["cold_round"] = cold.__dict__
    figures["recompose_cold"] = first
    figures["recompose_warm"] = second
    figures["unchanged_round"] = unchanged.__dict__
    figures["restart"] = restarted
    return figures


_TINY = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Lille</title>'
    b"<item><title>Hej</title><link>https://example.dk/1</link></item></channel></rss>"
)


async def _tiny_parse(parsers: Parsers) -> float:
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    await parsers.parse(_TINY, feed_id="lille", url="https://example.dk/", now=now)
    return round((time.monotonic() - started) * 1000, 1)


async def _answers(http: httpx.AsyncClient, base_url: str) -> dict[str, int]:
    """What the feed server has answered so far, by status."""
    response = await http.get(f"{base_url}/counts")
    counts: dict[str, int] = response.json()
    return counts


def _fork_server_pid() -> int | None:
    pid: int | None = getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)
    return pid


def _parse_cpu() -> float:
    """CPU seconds of the fork server and of the children it has reaped (the parses)."""
    pid = _fork_server_pid()
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    # utime, stime, cutime, cstime: fields 14-17, after the command name in parentheses.
    fields = text[text.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def _stop_fork_server() -> int | None:
    """End the fork server; returns its RSS. It reaps the parse children, so only once it
    has ended does the kernel count their peak RSS in our RUSAGE_CHILDREN."""
    pid = _fork_server_pid()
    rss = rss_bytes(pid) if pid else None
    server: Any = multiprocessing.forkserver._forkserver
    server._stop()  # as the standard library's own tests stop it
    return rss


def _as_the_server() -> None:
    """Give this process the main module the server has: the ``signage`` script.

    Each parse child runs the main module's imports again (multiprocessing prepares a
    fork server's child as a spawned one), and this benchmark's module imports far more
    than the server's script does.
    """
    script = Path(sys.executable).parent / "signage"
    main = types.ModuleType("__main__")
    main.__spec__ = None
    if script.is_file():
        main.__file__ = str(script)
    sys.modules["__main__"] = main


def measure_child(
    conn: Connection, base_url: str, folder: str, feed_count: int, trace_render: bool
) -> None:
    """The child process's target: sends ``("ok", figures)`` or ``("error", traceback)``."""
    hook = _parent_death_signal()
    if hook is not None:
        hook()
    stop_on_sigterm()
    _as_the_server()
    outcome: tuple[str, Any]
    try:
        passes = measure(base_url, Path(folder), feed_count=feed_count, trace_render=trace_render)
        outcome = ("ok", asyncio.run(passes))
    except Exception:
        outcome = ("error", traceback.format_exc())
    conn.send(outcome)
    conn.close()
