"""The baselines a fan-out is held against, driven from the benchmark.

``Side`` is what one server did in a run (ours or a floor). A :class:`Floor` is
a baseline server in a child process with N clients of ours: the bare
``websockets`` server of ``bench.floor`` (which broadcasts on order, also with
permessage-deflate) or the empty Starlette endpoint of ``bench.framework_floor``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from .clients import Screen, Tally, close_all, open_all
from .processes import Service, cpu_seconds, free_port, http_ok, quiet_env, rss_bytes, wait_until
from .report import summary_ms

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Side:
    """What one server (ours or the floor) did."""

    connect_seconds: float = 0.0
    rss_before: int = 0
    rss_connected: int = 0
    rss_end: int = 0
    frame_bytes: int = 0
    latencies: list[float] = field(default_factory=list)
    #: Ours only: file write → publish, and publish → receipt.
    to_publish: list[float] = field(default_factory=list)
    push_only: list[float] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    missing: int = 0
    #: Server CPU seconds (user + system) from the change until every screen had it.
    cpu: list[float] = field(default_factory=list)

    def per_connection(self, players: int) -> float:
        return (self.rss_connected - self.rss_before) / players


@dataclass(frozen=True)
class FloorKind:
    name: str
    title: str
    module: str
    path: str
    deflate: bool = False
    #: The server wants a hello frame before it answers.
    hello: bool = False


WEBSOCKETS = FloorKind("floor", "bare websockets", "bench.floor", "/")
WEBSOCKETS_DEFLATE = FloorKind(
    "floor-deflate", "bare websockets with permessage-deflate", "bench.floor", "/", deflate=True
)
STARLETTE = FloorKind(
    "framework-floor",
    "empty Starlette endpoint on uvicorn",
    "bench.framework_floor",
    "/ws/player",
    hello=True,
)


class Floor:
    """A baseline server with N clients; the bare one also broadcasts on order."""

    def __init__(self, port: int, service: Service, kind: FloorKind) -> None:
        self.port = port
        self.service = service
        self.kind = kind
        self.side = Side()
        self.tally: Tally | None = None
        self.screens: list[Screen] = []
        self._control: ClientConnection | None = None

    @classmethod
    def start(cls, root: Path, stack: contextlib.ExitStack, kind: FloorKind) -> Floor:
        """Start the server (stopped when ``stack`` closes) and wait until it answers."""
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        argv = [sys.executable, "-m", kind.module, "--port", str(port)]
        if kind.deflate:
            argv.append("--deflate")
        env = quiet_env(PYTHONPATH=str(REPO))
        service = stack.enter_context(Service(kind.name, argv, root / f"{kind.name}.log", env))
        health = f"http://127.0.0.1:{port}/healthz"
        wait_until(f"the {kind.title} server", lambda: http_ok(health), 30, service)
        return cls(port, service, kind)

    async def connect(
        self, players: int, concurrency: int, frame_bytes: int, reply: bool = False
    ) -> None:
        """Connect ``players`` clients; broadcasts will be ``frame_bytes`` long; with
        ``reply`` each client answers each broadcast with a small frame at once."""
        self.side.frame_bytes = frame_bytes
        self.side.rss_before = rss_bytes(self.service.pid)
        self.tally = Tally(expected=players)
        token = "floor" if self.kind.hello else None
        started = time.monotonic()
        self.screens = await open_all(
            f"ws://127.0.0.1:{self.port}{self.kind.path}",
            [token] * players,
            self.tally,
            concurrency,
            deflate=self.kind.deflate,
            reply=reply,
        )
        self.side.connect_seconds = time.monotonic() - started
        if self.kind.module == "bench.floor":
            control = f"ws://127.0.0.1:{self.port}/control"
            self._control = await connect(control, compression=None)

    async def round(self, number: int, within: float) -> None:
        """Broadcast once and wait (up to ``within`` seconds) until every client has it."""
        assert self.tally is not None and self._control is not None
        side = self.side
        version = f"floor-{number}"
        cpu_before = cpu_seconds(self.service.pid)
        await self._control.send(json.dumps({"version": version, "size": side.frame_bytes}))
        await self._control.recv()
        complete = await self.tally.wait_for(version, within)
        side.cpu.append(cpu_seconds(self.service.pid) - cpu_before)
        receipts = self.tally.receipts.get(version, [])
        latencies = [r.at - r.sent_at for r in receipts if r.sent_at is not None]
        side.latencies += latencies
        side.missing += self.tally.expected - len(receipts)
        side.rounds.append(
            {
                "round": number,
                "complete": complete,
                "received": len(receipts),
                "broadcast": summary_ms(latencies),
                "cpu_ms": round(side.cpu[-1] * 1000),
            }
        )

    async def close(self) -> None:
        if self._control is not None:
            with contextlib.suppress(Exception):
                await self._control.close()
        await close_all(self.screens)
