"""Announce: an urgent announcement reaching N screens, against a bare ``websockets.broadcast``.

Ours: the real server (a child process) with N screens of one area connected from this
process, each answering an announcements frame with its ``ack`` at once, as a player does.
Each round an admin sends an urgent announcement (the web UI's POST, logged in as a browser
is; the API goes through the same ``announcements.add`` and ``Announcer.changed``), and the
time is taken per screen from just before the request to the frame's arrival (the ack leaves
in the same moment). The server's own record of each acknowledgement
(``announcement_deliveries.received_at``) is read back as well, against the announcement's
``created_at``: the time from storing it to every acknowledgement stored.

Floor: ``bench.floor`` (a child process) with N clients, timed from the ``broadcast()`` call
to each receipt, with frames of the size of ours. The rounds take turns, ours and the floor,
so a noisy spell falls on both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from .baselines import WEBSOCKETS, Floor
from .clients import Screen, Tally, close_all, heartbeats, open_all
from .processes import ServiceFailed, raise_open_files
from .report import Report, ms_triple, percentile, run_and_print, summary_ms
from .site import Site, add_admin, csrf, log_in, recipe

NAME = "announce"
BUDGET_RATIO = 2.0


@dataclass(frozen=True)
class Options:
    players: int = 1000
    rounds: int = 5
    concurrency: int = 100
    gap: float = 1.5
    timeout: float = 60.0


@dataclass
class Ours:
    latencies: list[float] = field(default_factory=list)
    #: From the hub's handing the set to the screens (its log line) to each frame's arrival.
    push_only: list[float] = field(default_factory=list)
    to_publish: list[float] = field(default_factory=list)
    server_acks: list[float] = field(default_factory=list)
    request_seconds: list[float] = field(default_factory=list)
    frame_bytes: int = 0
    missing: int = 0
    rounds: list[dict[str, Any]] = field(default_factory=list)


def run(options: Options) -> Report:
    soft, _ = raise_open_files()
    need = 2 * options.players + 100
    if soft < need:
        raise SystemExit(f"announce: {options.players} players need {need} open files")
    with (
        tempfile.TemporaryDirectory(prefix="bench-announce-") as temp,
        contextlib.ExitStack() as stack,
    ):
        root = Path(temp)
        site = Site(root / "ours")
        site.write_recipe(recipe())
        add_admin(site)
        tokens = site.add_screens(options.players)
        service = stack.enter_context(site.server())
        site.wait_for_server(service)
        floor = Floor.start(root / "floor", stack, WEBSOCKETS)
        ours = asyncio.run(_interleaved(site, tokens, floor, options))
        ours.server_acks = _server_acks(site.data / "signage.db")
    return report(options, ours, floor)


async def _interleaved(site: Site, tokens: list[str], floor: Floor, options: Options) -> Ours:
    ours = Ours()
    tally = Tally(expected=len(tokens))
    announced = Tally(expected=len(tokens))
    screens: list[Screen] = []
    beating: asyncio.Task[None] | None = None
    try:
        screens = await open_all(
            site.websocket_url, tokens, tally, options.concurrency, announcements=announced
        )
        beating = asyncio.create_task(heartbeats(screens))
        async with httpx.AsyncClient(base_url=site.server_url, timeout=options.timeout) as http:
            await log_in(http)
            for number in range(1, options.rounds + 1):
                await asyncio.sleep(options.gap)
                await _round(site, http, announced, ours, number, options)
                if number == 1:
                    # The floor's clients answer each frame too, as ours acknowledge.
                    await floor.connect(
                        options.players, options.concurrency, ours.frame_bytes, reply=True
                    )
                await asyncio.sleep(options.gap)
                await floor.round(number, options.timeout)
    finally:
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
        await close_all(screens)
        await floor.close()
    return ours


async def _round(
    site: Site,
    http: httpx.AsyncClient,
    announced: Tally,
    ours: Ours,
    number: int,
    options: Options,
) -> None:
    page = await http.get("/announcements")
    token = csrf(page.text)
    ends = dt.datetime.now(ZoneInfo("Europe/Copenhagen")) + dt.timedelta(hours=1)
    known = set(announced.receipts)
    started = time.time()
    answer = await http.post(
        "/announcements",
        data={
            "csrf_token": token,
            "title": f"Vandet er lukket ({number})",
            "text": "I dag kl. 10–14. Vandværket arbejder på ledningen.",
            "severity": "urgent",
            "areas": ["morkov"],
            "ends": ends.strftime("%Y-%m-%dT%H:%M"),
        },
        files={"picture": ("", b"")},
    )
    answered = time.time()
    if answer.status_code != 303:
        raise ServiceFailed(f"round {number}: the POST answered {answer.status_code}")
    seq = await announced.next_version(known, options.timeout)
    if seq is None:
        raise ServiceFailed(f"round {number}: no announcements frame arrived")
    complete = await announced.wait_for(seq, options.timeout)
    receipts = announced.receipts[seq]
    latencies = [receipt.at - started for receipt in receipts]
    ours.latencies += latencies
    ours.request_seconds.append(answered - started)
    ours.frame_bytes = max(receipt.length for receipt in receipts)
    ours.missing += announced.expected - len(receipts)
    record: dict[str, Any] = {
        "round": number,
        "complete": complete,
        "received": len(receipts),
        "end_to_end": summary_ms(latencies),
        "request_ms": round((answered - started) * 1000, 1),
    }
    handed = site.announced().get(int(seq.removeprefix("seq-")))
    if handed is not None:
        push = [receipt.at - handed for receipt in receipts]
        ours.push_only += push
        ours.to_publish.append(handed - started)
        record["push_only"] = summary_ms(push)
        record["to_publish_ms"] = round((handed - started) * 1000, 1)
    ours.rounds.append(record)


def _server_acks(database: Path) -> list[float]:
    """Per screen and announcement: stored → its acknowledgement stored (server clock)."""
    db = sqlite3.connect(database)
    try:
        rows = db.execute(
            "SELECT d.received_at - a.created_at FROM announcement_deliveries d "
            "JOIN announcements a ON a.id = d.announcement_id WHERE d.received_at IS NOT NULL"
        ).fetchall()
    finally:
        db.close()
    return [float(row[0]) for row in rows]


def report(options: Options, ours: Ours, floor: Floor) -> Report:
    result = Report(
        NAME,
        "An urgent announcement to N screens, against a bare websockets.broadcast",
        {"players": options.players, "rounds": options.rounds},
    )
    floor_latencies = floor.side.latencies
    result.add("announcements frame", f"{ours.frame_bytes} bytes")
    result.add(
        "ours: POST → frame at each screen (p50/p99/max)", ms_triple(summary_ms(ours.latencies))
    )
    result.add(
        "ours: the POST itself (median)", f"{statistics.median(ours.request_seconds) * 1000:.0f} ms"
    )
    if ours.push_only:
        result.add(
            "ours: POST → set handed to the screens (median)",
            f"{statistics.median(ours.to_publish) * 1000:.0f} ms",
        )
        result.add(
            "ours: handed → frame at each screen (p50/p99/max)",
            ms_triple(summary_ms(ours.push_only)),
        )
    if ours.server_acks:
        result.add(
            "ours: stored → acknowledgement stored, server clock (p50/p99/max)",
            ms_triple(summary_ms(ours.server_acks)),
        )
    result.add(
        "floor: broadcast() → frame at each client (p50/p99/max)",
        ms_triple(summary_ms(floor_latencies)),
    )
    for label, quantile in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        mine, base = _quantile(ours.latencies, quantile), _quantile(floor_latencies, quantile)
        ratio = mine / base if base > 0 else float("inf")
        result.add(
            f"ours / floor, {label}",
            f"{ratio:.2f}×",
            f"≤ {BUDGET_RATIO:.0f}×",
            ratio <= BUDGET_RATIO,
        )
    if ours.push_only:
        for label, quantile in (("p50", 0.5), ("max", 1.0)):
            mine = _quantile(ours.push_only, quantile)
            base = _quantile(floor_latencies, quantile)
            result.add(f"handed → frame / floor, {label}", f"{mine / base:.2f}×" if base else "–")
    result.add(
        "screens missing a frame",
        str(ours.missing + floor.side.missing),
        "0",
        ours.missing + floor.side.missing == 0,
    )
    result.figures.update(
        {
            "ours": {
                "end_to_end": summary_ms(ours.latencies),
                "push_only": summary_ms(ours.push_only) if ours.push_only else None,
                "server_acks": summary_ms(ours.server_acks) if ours.server_acks else None,
                "rounds": ours.rounds,
                "frame_bytes": ours.frame_bytes,
            },
            "floor": {"broadcast": summary_ms(floor_latencies), "rounds": floor.side.rounds},
        }
    )
    result.notes.append(
        "ours includes the web request (CSRF check, storing, audit, composing the sets) that "
        "the floor has no counterpart for; both on loopback, clients in this process"
    )
    return result


def _quantile(values: list[float], q: float) -> float:
    return percentile(values, q * 100) if values else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.announce", description=__doc__)
    parser.add_argument("--players", type=int, default=Options.players)
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    args = parser.parse_args(argv)
    return run_and_print(run, Options(players=args.players, rounds=args.rounds))


if __name__ == "__main__":
    sys.exit(main())
