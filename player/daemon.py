"""The player daemon: moves bytes and runs timers for :class:`player.core.PlayerCore`.

It keeps one websocket to the server (reconnecting with backoff), downloads
assets into the cache a few at a time, and serves the kiosk page, the cached
assets, ``/state.json`` and a local websocket for the page on 127.0.0.1.
Standard library and ``websockets`` only: this runs on a Raspberry Pi.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.http11 import Request, Response

from . import protocol
from .cache import CHUNK, Cache
from .core import (
    Activate,
    Command,
    ConnectionChanged,
    Evict,
    Fetch,
    PlayerCore,
    SaveAnnouncements,
    Send,
    Show,
    ShowAnnouncements,
)
from .plays import PlayFile, PlayLog
from .protocol import Item, PlaysAck, ProtocolError, parse_server_message, serialize

log = logging.getLogger(__name__)

SOFTWARE = "lokalskaerm-player/0.1.0"
KIOSK_DIR = Path(__file__).parent / "kiosk"
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/kiosk.js": ("kiosk.js", "text/javascript; charset=utf-8"),
    "/kiosk.css": ("kiosk.css", "text/css; charset=utf-8"),
    "/announce.js": ("announce.js", "text/javascript; charset=utf-8"),
}
#: The kiosk page: its own script and style, pictures and pages (in frames) from the
#: cache, its websocket to the daemon; nothing else, and no other page may frame it.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Every cached asset. A slide page (HTML the server rendered, with feed text in it) runs
#: nothing, submits nothing and loads nothing but its pictures and inline style, in the
#: kiosk's frame and when opened directly alike; to a picture shown by an <img> the policy
#: means nothing. ``sandbox`` gives the page an opaque origin, yet ``'self'`` still works:
#: Chromium matches it against the page's URL (the daemon), so its /assets/ pictures load
#: and the kiosk may frame it (tests/browser/test_kiosk_pages.py shows both). A path
#: (``http://127.0.0.1:8080/assets/``) would be tighter than ``'self'`` but needs the host
#: the browser used, and gains nothing: the daemon's GETs change nothing, and the page can
#: read nothing of what it loads.
ASSET_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
FETCH_WORKERS = 4
FETCH_TIMEOUT = 30.0
TICK_SECONDS = 0.25
BACKOFF_MIN = 0.5
BACKOFF_MAX = 15.0
#: After the server refused the token or the protocol, try again only this often.
BACKOFF_FATAL = 60.0


@dataclass(frozen=True)
class PlayerSettings:
    server: str | None
    token: str | None
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    port: int = 8080
    host: str = "127.0.0.1"

    @property
    def websocket_url(self) -> str:
        return server_urls(self.server or "")[0]

    @property
    def http_url(self) -> str:
        return server_urls(self.server or "")[1]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lokalskaerm-player"


def server_urls(server: str) -> tuple[str, str]:
    """(websocket URL of /ws/player, HTTP base URL) from what the user typed."""
    text = server.strip().rstrip("/")
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"expected a server URL like http://host:8000, got {server!r}")
    secure = parts.scheme in ("https", "wss")
    base_path = parts.path.removesuffix("/ws/player")
    http = urllib.parse.urlunsplit(("https" if secure else "http", parts.netloc, base_path, "", ""))
    ws = urllib.parse.urlunsplit(
        ("wss" if secure else "ws", parts.netloc, base_path + "/ws/player", "", "")
    )
    return ws, http


class Backoff:
    """Exponential backoff with a random start and a cap, as websockets reconnects."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self.delay = 0.0

    def reset(self) -> None:
        self.delay = 0.0

    def next(self) -> float:
        if self.delay == 0.0:
            self.delay = BACKOFF_MIN * (0.5 + self.rng.random())
        else:
            self.delay = min(BACKOFF_MAX, self.delay * 1.618)
        return self.delay * (0.8 + 0.4 * self.rng.random())


class Player:
    def __init__(self, settings: PlayerSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.cache = Cache(settings.cache_dir)
        self.core = PlayerCore(token=settings.token or "", software=SOFTWARE)
        self.pages: set[ServerConnection] = set()
        self.server_socket: ClientConnection | None = None
        self.last_error: str | None = None
        self.show: Show | None = None
        self.announced: ShowAnnouncements | None = None
        #: What was on screen, until the server has it (replaced by the saved log in run()).
        self.plays = PlayLog()
        self.play_file = PlayFile(settings.cache_dir / "plays.jsonl", self.cache.temp)
        self._plays_lock = asyncio.Lock()
        self._queued: set[str] = set()
        self._fetches: asyncio.Queue[Fetch] = asyncio.Queue()
        self._local: Server | None = None
        self.ready = asyncio.Event()

    @property
    def local_port(self) -> int:
        assert self._local is not None
        port: int = self._local.sockets[0].getsockname()[1]
        return port

    async def run(self) -> None:
        self.cache.open()
        saved = self.cache.load_snapshot()
        cached = self.cache.cached()
        announcements = self.cache.load_announcements()
        self.plays = PlayLog(await asyncio.to_thread(self.play_file.load))
        await self._write_plays()
        await self.execute(self.core.start(self.clock(), saved, cached, announcements))
        if saved is not None and self.core.active is None:
            log.warning("saved snapshot %s lacks assets; waiting for the server", saved.version)
        async with serve(
            self._page_socket,
            self.settings.host,
            self.settings.port,
            process_request=self._http,
            max_size=64 * 1024,
            server_header=None,
        ) as local:
            self._local = local
            log.info("kiosk page on http://%s:%d/", self.settings.host, self.local_port)
            self.ready.set()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._verify_cache(cached))
                tasks.create_task(self._tick_loop())
                for _ in range(FETCH_WORKERS):
                    tasks.create_task(self._fetch_worker())
                if self.settings.server and self.settings.token:
                    tasks.create_task(self._server_loop())
                else:
                    self.last_error = "no server or token given"
                    log.error("not connecting: give --server URL and --token TOKEN")

    # --- carrying out the core's commands ---------------------------------------

    async def execute(self, commands: list[Command]) -> None:
        for command in commands:
            try:
                await self._execute(command)
            except Exception:
                # A full disk, say: what is on screen plays on; the next change tries again.
                log.exception("could not carry out %s", type(command).__name__)

    async def _execute(self, command: Command) -> None:
        if isinstance(command, Send):
            socket = self.server_socket
            if socket is not None:
                with contextlib.suppress(ConnectionClosed):
                    await socket.send(serialize(command.message))
        elif isinstance(command, Fetch):
            self._enqueue(command)
        elif isinstance(command, Activate):
            log.info("playing version %s", command.snapshot.version)
            self._to_pages({"type": "snapshot", "snapshot": command.snapshot.to_dict()})
            await asyncio.to_thread(self.cache.save_snapshot, command.snapshot)
        elif isinstance(command, Show):
            self.show = command
            self.plays.showing(command.item, command.since, self.clock())
            self._to_pages(self._show_message(command))
        elif isinstance(command, Evict):
            keep: frozenset[str] = frozenset()
            for snapshot in (self.core.active, self.core.pending):
                if snapshot is not None:
                    keep |= snapshot.asset_hashes()
            keep |= {a.picture.sha256 for a in self.core.announcements if a.picture is not None}
            await asyncio.to_thread(self.cache.evict, command.sha256s, keep)
        elif isinstance(command, ConnectionChanged):
            if not command.connected:
                self.plays.disconnected()
            self._to_pages({"type": "connection", "connected": command.connected})
        elif isinstance(command, SaveAnnouncements):
            await asyncio.to_thread(
                self.cache.save_announcements, command.seq, command.announcements
            )
        elif isinstance(command, ShowAnnouncements):
            self.announced = command
            urgent = any(a.severity == "urgent" for a in command.active)
            self.plays.covered(urgent, self.clock())  # an urgent one hides the slides
            self._to_pages(_announcements_message(command))

    # --- the server connection --------------------------------------------------

    async def _server_loop(self) -> None:
        backoff = Backoff()
        while True:
            fatal = False
            try:
                async with connect(
                    self.settings.websocket_url,
                    open_timeout=10,
                    max_size=protocol.MAX_MESSAGE_BYTES,
                    user_agent_header=SOFTWARE,
                ) as socket:
                    self.server_socket = socket
                    await self.execute(self.core.connection_made(self.clock()))
                    async for frame in socket:
                        try:
                            message = parse_server_message(frame)
                        except ProtocolError as exc:
                            await socket.close(protocol.CLOSE_PROTOCOL_ERROR, str(exc)[:120])
                            raise
                        backoff.reset()
                        self.last_error = None
                        await self.execute(self.core.received(message, self.clock()))
                        if isinstance(message, PlaysAck):
                            self.plays.acknowledged(message.seq, self.clock())
                            await self._plays_step()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                reason = exc.rcvd.reason if exc.rcvd else "connection lost"
                fatal = code in protocol.FATAL_CLOSE_CODES
                self.last_error = f"closed by server ({code}): {reason}"
            except ProtocolError as exc:
                self.last_error = f"bad frame from server: {exc}"
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                self.last_error = f"cannot connect: {exc}"
            finally:
                self.server_socket = None
                await self.execute(self.core.connection_lost(self.clock()))
            delay = BACKOFF_FATAL if fatal else backoff.next()
            log.warning("%s; trying again in %.1f s", self.last_error, delay)
            await asyncio.sleep(delay)

    async def _verify_cache(self, cached: set[str]) -> None:
        """Hash every cached file once after start; a damaged one is fetched again.

        Done in the background, so a screen shows its slides at once after a power cut.
        """
        for sha256 in sorted(cached):
            if not await asyncio.to_thread(self.cache.verify, sha256):
                await self.execute(self.core.asset_lost(sha256, self.clock()))

    async def _tick_loop(self) -> None:
        try:
            while True:
                await self.execute(self.core.tick(self.clock()))
                self.plays.tick(self.clock())
                await self._plays_step()
                await asyncio.sleep(TICK_SECONDS)
        finally:
            self._save_plays_now()

    # --- proof of play ------------------------------------------------------------

    async def _plays_step(self) -> None:
        """Send the next batch of plays if one is due; write what the play log needs."""
        batch = self.plays.batch(self.clock())
        socket = self.server_socket
        if batch is not None and socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await socket.send(serialize(batch))
        await self._write_plays()

    async def _write_plays(self) -> None:
        # One writer at a time, in the order the log gave the entries.
        async with self._plays_lock:
            rewrite, entries = self.plays.writes()
            if rewrite or entries:
                try:
                    await asyncio.to_thread(self.play_file.write, rewrite, entries)
                except OSError as exc:  # a full disk, say: kept in memory, written later
                    log.warning("could not write the plays: %s", exc)
                    self.plays.write_failed()
                except asyncio.CancelledError:
                    # Stopping: the write may not have begun. _save_plays_now writes all anew.
                    self.plays.write_failed()
                    raise

    def _save_plays_now(self) -> None:
        """On the way out: the play on screen ends now, and what waits goes to disk."""
        self.plays.close(self.clock())
        try:
            self.play_file.write(*self.plays.writes())
        except OSError as exc:
            log.warning("could not write the plays: %s", exc)

    # --- downloads --------------------------------------------------------------

    def _enqueue(self, fetch: Fetch) -> None:
        if fetch.sha256 in self._queued:
            return
        self._queued.add(fetch.sha256)
        delay = fetch.not_before - self.clock()
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._fetches.put_nowait, fetch)
        else:
            self._fetches.put_nowait(fetch)

    async def _fetch_worker(self) -> None:
        while True:
            fetch = await self._fetches.get()
            try:
                if not self.cache.has(fetch.sha256):
                    await asyncio.to_thread(self._download, fetch)
            except Exception as exc:  # any failure: the old snapshot plays on
                log.warning("download of %s failed: %s", fetch.sha256[:12], exc)
                self._queued.discard(fetch.sha256)
                commands = self.core.asset_failed(fetch.sha256, fetch.size, self.clock())
            else:
                self._queued.discard(fetch.sha256)
                commands = self.core.asset_stored(fetch.sha256, self.clock())
            await self.execute(commands)

    def _download(self, fetch: Fetch) -> None:
        url = f"{self.settings.http_url}/assets/{fetch.sha256}"
        request = urllib.request.Request(url, headers={"User-Agent": SOFTWARE})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:

            def chunks() -> Iterator[bytes]:
                while chunk := response.read(CHUNK):
                    yield chunk

            self.cache.store(fetch.sha256, chunks(), max_bytes=max(fetch.size, 1))

    # --- the local side: kiosk page, assets, state ---------------------------------

    def state(self) -> dict[str, Any]:
        core = self.core
        item = core.item
        return {
            "version": core.active.version if core.active else None,
            "connected": core.connected,
            "item": None if item is None else _item_state(item, core.item_since),
            "area": None if core.active is None else core.active.to_dict()["area"],
            "pending_version": core.pending.version if core.pending else None,
            "missing_assets": len(core.missing()),
            "clock_offset": core.clock_offset,
            "last_error": self.last_error,
            "software": SOFTWARE,
            "announcements": [a.id for a in self.announced.active] if self.announced else [],
            "plays": self.plays.state(),
        }

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urllib.parse.urlsplit(request.path).path
        if path == "/ws":
            return None
        if path == "/state.json":
            body = json.dumps(self.state(), ensure_ascii=False).encode()
            return _response(200, body, "application/json", cache="no-store")
        if path in STATIC:
            name, content_type = STATIC[path]
            return _response(200, (KIOSK_DIR / name).read_bytes(), content_type, cache="no-cache")
        if path.startswith("/assets/"):
            sha = path.removeprefix("/assets/")
            if protocol.SHA256_RE.match(sha) and self.cache.has(sha):
                data = self.cache.path(sha).read_bytes()
                content_type = _asset_type(self.core, sha)
                return _response(200, data, content_type, cache=IMMUTABLE, csp=ASSET_CSP)
        return _response(404, b"not found\n", "text/plain; charset=utf-8", cache="no-store")

    async def _page_socket(self, page: ServerConnection) -> None:
        self.pages.add(page)
        self.plays.watched(True, self.clock())  # shown only while a page shows it
        try:
            await page.send(json.dumps({"type": "connection", "connected": self.core.connected}))
            if self.core.active is not None:
                await page.send(
                    json.dumps(
                        {"type": "snapshot", "snapshot": self.core.active.to_dict()},
                        ensure_ascii=False,
                    )
                )
            if self.show is not None:
                await page.send(json.dumps(self._show_message(self.show)))
            if self.announced is not None:
                await page.send(json.dumps(_announcements_message(self.announced)))
            async for frame in page:
                await self._from_page(frame)
        except ConnectionClosed:
            pass
        finally:
            self.pages.discard(page)
            self.plays.watched(bool(self.pages), self.clock())

    async def _from_page(self, frame: str | bytes) -> None:
        """The page says an announcement is on screen: ``{"type": "shown", "id": 7}``."""
        try:
            body = json.loads(frame)
        except ValueError:
            return
        if isinstance(body, dict) and body.get("type") == "shown":
            announcement_id = body.get("id")
            if isinstance(announcement_id, int) and not isinstance(announcement_id, bool):
                await self.execute(self.core.page_showed(announcement_id, self.clock()))

    def _to_pages(self, message: dict[str, Any]) -> None:
        if not self.pages:
            return
        frame = json.dumps(message, ensure_ascii=False)
        for page in list(self.pages):
            asyncio.get_running_loop().create_task(_send_quietly(page, frame))

    def _show_message(self, show: Show) -> dict[str, Any]:
        return {
            "type": "show",
            "item": show.item.id if show.item else None,
            "next": show.next.id if show.next else None,
            "since": show.since,
            "now": self.clock(),
        }


def _announcements_message(command: ShowAnnouncements) -> dict[str, Any]:
    return {"type": "announcements", "active": [a.to_dict() for a in command.active]}


def _item_state(item: Item, since: float) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "asset": item.asset,
        "duration": item.duration,
        "since": since,
    }


async def _send_quietly(page: ServerConnection, frame: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await page.send(frame)


def _asset_type(core: PlayerCore, sha: str) -> str:
    assets = list(core.active.assets) if core.active is not None else []
    assets += [a.picture for a in core.announcements if a.picture is not None]
    for asset in assets:
        if asset.sha256 == sha:
            return asset.type
    return "application/octet-stream"


def _response(
    status: int, body: bytes, content_type: str, cache: str, csp: str = PAGE_CSP
) -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", cache),
            ("Connection", "close"),
            ("Content-Security-Policy", csp),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    reason = {200: "OK", 404: "Not Found"}[status]
    return Response(status, reason, headers, body)


async def run(settings: PlayerSettings) -> None:
    await Player(settings).run()
