"""Helpers for the tests: a site on disk (playlists/, assets/, data/), a real server on a
loopback port, and waiting on conditions with a deadline instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from PIL import Image

from signage_server import screens, store
from signage_server.serve import server as make_server
from signage_server.settings import Settings

T = TypeVar("T")

#: Scales every timeout in the suite, for slow machines (as websockets' MS does).
TIMEOUT_FACTOR = float(os.environ.get("LOKALSKAERM_TIMEOUT_FACTOR", "1"))


def timeout(seconds: float) -> float:
    return seconds * TIMEOUT_FACTOR


async def eventually(
    condition: Callable[[], T | Awaitable[T]], seconds: float = 10.0, interval: float = 0.02
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout(seconds)
    while True:
        result = condition()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s: {condition}")
        await asyncio.sleep(interval)


def jpeg(
    colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (640, 360), **save: Any
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write as an editor's save does: a temp file renamed into place, with a new mtime."""
    temp = path.with_name("." + path.name + ".tmp")
    if isinstance(data, str):
        temp.write_text(data, encoding="utf-8")
    else:
        temp.write_bytes(data)
    os.replace(temp, path)


def settle(path: Path) -> None:
    """Age a file past the library's settle time, as if it were copied a while ago."""
    old = time.time() - 5
    os.utime(path, (old, old))


@dataclass
class Site:
    root: Path
    settings: Settings

    @property
    def playlists(self) -> Path:
        return self.settings.playlists

    @property
    def assets(self) -> Path:
        return self.settings.assets

    def recipe(self, area: str, text: str) -> Path:
        path = self.playlists / f"{area}.toml"
        write_atomically(path, text)
        return path

    def drop(self, folder: str, name: str, data: bytes, aged: bool = True) -> Path:
        directory = self.assets / folder
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        write_atomically(path, data)
        if aged:
            settle(path)
        return path

    def screen(self, area: str = "morkov", name: str = "Test") -> str:
        db = store.connect(self.settings.database)
        try:
            return screens.add(db, area, name)[1]
        finally:
            db.close()


MORKOV = 'name = "Mørkøv"\ndefault_duration = 5\nsources = ["morkov", "all"]\n'


class RunningServer:
    """A real uvicorn server in this event loop, on a free loopback port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.port = settings.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/player"

    @property
    def app_state(self) -> Any:
        assert self.server is not None
        return self.server.config.loaded_app.app.state

    async def start(self) -> None:
        settings = self.settings
        if self.port:
            from dataclasses import replace

            settings = replace(settings, port=self.port)
        self.server = make_server(settings)
        self.server.config.log_level = "warning"
        self.task = asyncio.create_task(self.server.serve())
        await eventually(lambda: self.server is not None and self.server.started, 20)
        sockets = self.server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await asyncio.wait_for(self.task, timeout(20))
        self.server = self.task = None


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
