"""The player daemon: moves bytes and runs timers for :class:`player.core.PlayerCore`.

It keeps one websocket to the server (reconnecting with backoff), pairing first
when it has no token (player/pairing.py), downloads assets into the cache a few at
a time, and serves the kiosk page, the cached assets, ``/state.json`` and a local
websocket for the page on 127.0.0.1. It tells systemd how it is doing
(player/systemd.py), sends its machine's health with its heartbeats
(player/health.py), answers screenshot requests (player/screenshot.py) and switches
the display (player/display.py). Standard library and ``websockets`` only: this
runs on a Raspberry Pi.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import json
import logging
import os
import random
import shutil
import signal
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.http11 import Request, Response

from . import display, local, protocol, screenshot
from .cache import CHUNK, Cache
from .clock import system_clock_synced
from .core import (
    Activate,
    Command,
    ConnectionChanged,
    DisplayPower,
    Evict,
    Fetch,
    PlayerCore,
    SaveAnnouncements,
    Send,
    Show,
    ShowAnnouncements,
)
from .health import Probe, with_player
from .pairing import PAIRING_DONE, Pairing, TokenFile, display_code, pair_url
from .pairing import session as pairing_session
from .plays import PlayFile, PlayLog
from .protocol import (
    Health,
    Heartbeat,
    PairCode,
    Paired,
    PlaysAck,
    ProtocolError,
    Screenshot,
    TakeScreenshot,
    parse_server_message,
    serialize,
)
from .systemd import Notifier

log = logging.getLogger(__name__)

SOFTWARE = "lokalskaerm-player/0.1.0"
FETCH_WORKERS = 4
FETCH_TIMEOUT = 30.0
TICK_SECONDS = 0.25
BACKOFF_MIN = 0.5
BACKOFF_MAX = 15.0
#: After the server refused the token or the protocol, try again only this often.
BACKOFF_FATAL = 60.0
#: How often the machine's health is measured (in a thread) for the next heartbeat.
HEALTH_SECONDS = 10.0
#: How often the display is asked what it is, and put back the way the opening hours want.
DISPLAY_CHECK_SECONDS = 300.0


@dataclass(frozen=True)
class PlayerSettings:
    server: str | None
    token: str | None
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    port: int = 8080
    host: str = "127.0.0.1"
    #: Switches the display on and off (``lokalskaerm-display``); None: never switch it.
    display_command: str | None = None

    @property
    def websocket_url(self) -> str:
        return server_urls(self.server or "")[0]

    @property
    def http_url(self) -> str:
        return server_urls(self.server or "")[1]


def default_display_command() -> str | None:
    """``lokalskaerm-display`` where it is installed (deploy/raspberrypi), else None."""
    return display.DISPLAY_COMMAND if shutil.which(display.DISPLAY_COMMAND) else None


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
        self.token_file = TokenFile(settings.cache_dir / "token", self.cache.temp)
        #: The token the player connects with; None while it has none (pairing).
        self.token: str | None = None
        #: What the pairing view shows, while the player pairs; else None.
        self.pairing: Pairing | None = None
        self.notifier = Notifier()
        self.probe = Probe(self.cache)
        #: The machine's side of the health, as last measured; None until then.
        self.health: Health | None = None
        #: What the display command last said ("on", "off", "unknown"); None without one.
        self.display_state: str | None = "unknown" if settings.display_command else None
        self._display_lock = asyncio.Lock()
        self._tasks: asyncio.TaskGroup | None = None

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
            try:
                async with asyncio.TaskGroup() as tasks:
                    self._tasks = tasks
                    if not self.settings.server:
                        self.last_error = "no server given"
                        log.error("not connecting: give --server URL")
                    self.notifier.ready(self._status_text())
                    tasks.create_task(self._verify_cache(cached))
                    tasks.create_task(self._tick_loop())
                    tasks.create_task(self._health_loop())
                    for _ in range(FETCH_WORKERS):
                        tasks.create_task(self._fetch_worker())
                    if self.settings.display_command:
                        tasks.create_task(self._display_loop(self.settings.display_command))
                    if self.settings.server:
                        tasks.create_task(self._connection_loop())
            finally:
                self._tasks = None
                self.notifier.stopping()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` beside the loops (stopped with them); its failure is only logged."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("background work failed")

        if self._tasks is None:
            work.close()
            return
        self._tasks.create_task(guarded())

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
            message = command.message
            if isinstance(message, Heartbeat) and message.health is None:
                message = Heartbeat(message.time, health=self.current_health())
            socket = self.server_socket
            if socket is not None:
                with contextlib.suppress(ConnectionClosed):
                    await socket.send(serialize(message))
        elif isinstance(command, Fetch):
            self._enqueue(command)
        elif isinstance(command, Activate):
            log.info("playing version %s", command.snapshot.version)
            self._to_pages({"type": "snapshot", "snapshot": command.snapshot.to_dict()})
            await _to_disk(self.cache.save_snapshot, command.snapshot)
        elif isinstance(command, Show):
            self.show = command
            self.plays.showing(command.item, command.since, self.clock())
            self._to_pages(self._show_message(command))
        elif isinstance(command, Evict):
            # Active + pending snapshots + announcement pictures: never a file on screen.
            await asyncio.to_thread(self.cache.evict, command.sha256s, self.core.needed())
            self.probe.cache_changed()
        elif isinstance(command, ConnectionChanged):
            if not command.connected:
                self.plays.disconnected()
            self._to_pages({"type": "connection", "connected": command.connected})
        elif isinstance(command, SaveAnnouncements):
            await _to_disk(self.cache.save_announcements, command.seq, command.announcements)
        elif isinstance(command, ShowAnnouncements):
            self.announced = command
            urgent = any(a.severity == "urgent" for a in command.active)
            self.plays.covered(urgent, self.clock())  # an urgent one hides the slides
            self._to_pages(local.announcements_message(command))
        elif isinstance(command, DisplayPower) and self.settings.display_command:
            self._spawn(self._switch_display(self.settings.display_command, command.on))

    # --- the server connection --------------------------------------------------

    async def _connection_loop(self) -> None:
        """Pair when there is no token; connect with it; pair again when it is refused."""
        token = self.settings.token or await asyncio.to_thread(self.token_file.load)
        while True:
            if token is None:
                token = await self._pair()
            await self._server_loop(token)
            # Refused (4001): revoked, or unknown to this server. Forget it and pair anew,
            # also a --token one (for this run; the flag gives it again at the next start).
            log.warning("the server refused this screen's token; pairing again")
            await asyncio.to_thread(self.token_file.delete)
            self.token = None
            token = None

    async def _pair(self) -> str:
        """Show pairing codes until an admin enters one; keep and return the token."""
        pairing = Pairing(server=self.settings.http_url)
        self.pairing = pairing
        self._pairing_changed()
        url = pair_url(self.settings.http_url)
        backoff = Backoff()
        try:
            while True:
                try:
                    paired = await pairing_session(
                        url, SOFTWARE, pairing, self._pairing_changed, backoff.reset
                    )
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd else None
                    reason = exc.rcvd.reason if exc.rcvd else "connection lost"
                    error = f"closed by server ({code}): {reason}"
                except ProtocolError as exc:
                    error = f"bad frame from server: {exc}"
                except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                    error = f"cannot connect: {exc}"
                else:
                    log.info("paired as %r in area %s", paired.name, paired.area)
                    try:
                        await asyncio.to_thread(self.token_file.save, paired.token)
                    except OSError as exc:  # kept for this run; paired again after a restart
                        log.error("could not save the token in %s: %s", self.token_file.path, exc)
                    return paired.token
                pairing.lost(error)
                self._pairing_changed()
                delay = backoff.next()
                log.warning("pairing: %s; trying again in %.1f s", error, delay)
                await asyncio.sleep(delay)
        finally:
            self.pairing = None
            self._to_pages(PAIRING_DONE)

    def _pairing_changed(self) -> None:
        if self.pairing is not None:
            self._to_pages(self.pairing.page_message())

    async def _server_loop(self, token: str) -> None:
        """Stay connected with ``token``; return when the server refuses it (4001)."""
        self.token = token
        self.core.token = token
        backoff = Backoff()
        while True:
            fatal = refused = False
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
                        if isinstance(message, TakeScreenshot):
                            self._spawn(self._screenshot(message.id))
                            continue
                        if isinstance(message, PairCode | Paired):
                            continue  # only on /ws/pair; a confused server, nothing to do
                        await self.execute(self.core.received(message, self.clock()))
                        if isinstance(message, PlaysAck):
                            self.plays.acknowledged(message.seq, self.clock())
                            await self._plays_step()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                reason = exc.rcvd.reason if exc.rcvd else "connection lost"
                fatal = code in protocol.FATAL_CLOSE_CODES
                refused = code == protocol.CLOSE_UNAUTHORIZED
                self.last_error = f"closed by server ({code}): {reason}"
            except ProtocolError as exc:
                self.last_error = f"bad frame from server: {exc}"
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                self.last_error = f"cannot connect: {exc}"
            finally:
                self.server_socket = None
                await self.execute(self.core.connection_lost(self.clock()))
            if refused:
                return
            delay = BACKOFF_FATAL if fatal else backoff.next()
            log.warning("%s; trying again in %.1f s", self.last_error, delay)
            await asyncio.sleep(delay)

    async def _verify_cache(self, cached: set[str]) -> None:
        """Hash every cached file once after start; a damaged one is fetched again.

        Done in the background, so a screen shows its slides at once after a power cut.
        """
        for sha256 in sorted(cached):
            if not await asyncio.to_thread(self.cache.verify, sha256):
                self.probe.cache_changed()
                await self.execute(self.core.asset_lost(sha256, self.clock()))

    async def _tick_loop(self) -> None:
        try:
            while True:
                await self.execute(self.core.tick(self.clock()))
                self.plays.tick(self.clock())
                await self._plays_step()
                # Only this loop feeds the watchdog: when it hangs, systemd restarts us.
                self.notifier.watchdog(time.monotonic())
                self.notifier.status(self._status_text())
                await asyncio.sleep(TICK_SECONDS)
        finally:
            self._save_plays_now()

    def _status_text(self) -> str:
        """A line for ``systemctl status``."""
        if self.pairing is not None:
            if self.pairing.code:
                return f"pairing: code {display_code(self.pairing.code)}"
            return "pairing: waiting for the server"
        active = self.core.active
        playing = f"playing {active.version}" if active is not None else "nothing to play yet"
        if not self.settings.server:
            return f"no server given; {playing}"
        if not self.core.connected:
            return f"server unreachable; {playing}"
        return playing

    # --- health, display, screenshots ----------------------------------------------

    async def _health_loop(self) -> None:
        """Measure the machine in a thread, for the next heartbeat and /state.json; and
        ask the system whether its clock is synchronised."""
        while True:
            synced = await asyncio.to_thread(system_clock_synced)
            await self.execute(self.core.clock_sync(synced, self.clock()))
            try:
                self.health = await self.probe.measure()
            except Exception:
                log.exception("could not measure the health")
            await asyncio.sleep(HEALTH_SECONDS)

    def current_health(self) -> Health:
        """The last measurement, with what the core knows now."""
        return with_player(
            self.health or Health(),
            clock_trusted=self.core.clock_trusted(),
            clock_offset=self.core.clock_offset,
            display=self.display_state,
            disk_full=self.core.disk_full,
        )

    async def _display_loop(self, command: str) -> None:
        """Ask the display what it is, at start and every DISPLAY_CHECK_SECONDS, and put it
        back the way the opening hours want it: a TV switched off at the wall comes back in
        standby, and one switched off with its remote in opening hours stays dark until
        someone comes by. A display that cannot tell ("unknown") is left alone."""
        while True:
            async with self._display_lock:  # not while a switch is on its way
                state = await display.status(command)
                self.display_state = state
            wanted = self.core.display_on
            if wanted is not None and state in ("on", "off") and (state == "on") != wanted:
                log.warning(
                    "the display is %s, but should be %s; switching it",
                    state,
                    "on" if wanted else "off",
                )
                await self._switch_display(command, wanted)
            await asyncio.sleep(DISPLAY_CHECK_SECONDS)

    async def _switch_display(self, command: str, on: bool) -> None:
        # One at a time, in order: a TV that is slow to answer gets on, then off.
        async with self._display_lock:
            log.info("switching the display %s", "on" if on else "off")
            self.display_state = await display.set_power(command, on)

    def describe_screen(self) -> str:
        """What is on screen, in words (for ``screenshot.what``)."""
        return screenshot.describe(
            self.core.item,
            self.announced.active if self.announced else (),
            pairing_code=display_code(self.pairing.code)
            if self.pairing and self.pairing.code
            else None,
            pairing=self.pairing is not None,
            display=self.display_state,
        )

    async def _screenshot(self, request_id: int) -> None:
        what = self.describe_screen()
        picture = await screenshot.take()
        answer = Screenshot(
            id=request_id,
            what=what,
            data=picture.data,
            mime=picture.mime,
            error=picture.error,
            time=self.clock(),
        )
        if picture.error:
            log.info("screenshot %d without a picture: %s", request_id, picture.error)
        socket = self.server_socket
        if socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await socket.send(serialize(answer))

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
                    await self._make_room(fetch.size)
                    try:
                        await asyncio.to_thread(self._download, fetch)
                    except OSError as exc:
                        # Full: free what no snapshot needs, and try once more if that helped.
                        if exc.errno != errno.ENOSPC or not await self._make_room(fetch.size):
                            raise
                        await asyncio.to_thread(self._download, fetch)
            except Exception as exc:  # any failure: the old snapshot plays on
                log.warning("download of %s failed: %s", fetch.sha256[:12], exc)
                self._queued.discard(fetch.sha256)
                if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                    commands = self.core.asset_no_space(fetch.sha256, fetch.size, self.clock())
                else:
                    commands = self.core.asset_failed(fetch.sha256, fetch.size, self.clock())
            else:
                self._queued.discard(fetch.sha256)
                self.probe.cache_changed()
                commands = self.core.asset_stored(fetch.sha256, self.clock())
            await self.execute(commands)

    async def _make_room(self, needed: int) -> bool:
        """Evict cached assets no snapshot or announcement needs until ``needed`` bytes
        fit; tell the core. Whether anything was evicted."""
        keep = self.core.needed()  # the same set Evict keeps
        evicted = await asyncio.to_thread(self.cache.make_room, needed, keep)
        if not evicted:
            return False
        self.probe.cache_changed()
        await self.execute(self.core.assets_evicted(evicted, self.clock()))
        return True

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
            "item": None if item is None else local.item_state(item, core.item_since),
            "area": None if core.active is None else core.active.to_dict()["area"],
            "pending_version": core.pending.version if core.pending else None,
            "missing_assets": len(core.missing()),
            "clock_offset": core.clock_offset,
            "last_error": self.last_error,
            "software": SOFTWARE,
            "announcements": [a.id for a in self.announced.active] if self.announced else [],
            "plays": self.plays.state(),
            "pairing": None if self.pairing is None else self.pairing.state(),
            "paired": self.token is not None,
            "health": dataclasses.asdict(self.current_health()),
        }

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urllib.parse.urlsplit(request.path).path
        if path == "/ws":
            return None  # the page's websocket
        return local.respond(path, self.state, self.cache, self.core)

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
                await page.send(json.dumps(local.announcements_message(self.announced)))
            # Always: a page that showed a code before the daemon restarted drops it.
            pairing = PAIRING_DONE if self.pairing is None else self.pairing.page_message()
            await page.send(json.dumps(pairing, ensure_ascii=False))
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
            asyncio.get_running_loop().create_task(local.send_quietly(page, frame))

    def _show_message(self, show: Show) -> dict[str, Any]:
        return {
            "type": "show",
            "item": show.item.id if show.item else None,
            "next": show.next.id if show.next else None,
            "since": show.since,
            "now": self.clock(),
        }


async def _to_disk(write: Callable[..., None], *args: Any) -> None:
    """Run a file write in a thread. When the daemon is stopped meanwhile, the write is
    finished first (it takes milliseconds): what the screen plays is on disk for the next
    start, also when that start is in the same process."""
    writing = asyncio.ensure_future(asyncio.to_thread(write, *args))
    try:
        await asyncio.shield(writing)
    except asyncio.CancelledError:
        await asyncio.wait([writing])
        raise


async def run(settings: PlayerSettings) -> None:
    """Run the daemon until SIGTERM (``systemctl stop``), SIGINT or a cancel, each ending
    it the same orderly way: the play on screen is written down, systemd hears STOPPING."""
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True
        main.cancel()

    loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        await Player(settings).run()
    except asyncio.CancelledError:
        if not stopped:
            raise
        main.uncancel()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
