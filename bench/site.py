"""A throwaway installation in a temp folder: data dir, recipes, drop folders, screens,
and the real server and player started on loopback as child processes."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from signage_server import screens, store, users

from .processes import (
    Service,
    ServiceFailed,
    free_port,
    http_ok,
    quiet_env,
    signage_command,
    wait_until,
)

AREA = "morkov"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
#: How long ago the made-up slides were "saved": older than the server's settle time,
#: so that its first scan takes them all.
SETTLED_AGE_SECONDS = 60.0
SERVER_START_SECONDS = 120.0

# 2026-11-28 02:45:59,464 INFO signage_server.hub: area morkov: version 3f… (2 items) to 7 screens
PUBLISHED_RE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO signage_server\.hub: "
    r"area (?P<area>\S+): version (?P<version>[0-9a-f]+) \((?P<items>\d+) items\) "
    r"to (?P<screens>\d+) screens$"
)


ANNOUNCED_RE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO signage_server\.hub: "
    r"area (?P<area>\S+): announcements (?P<seq>\d+) to (?P<screens>\d+) screens$"
)


@dataclass(frozen=True)
class Published:
    at: float
    version: str
    items: int
    screens: int


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.playlists = root / "playlists"
        self.assets = root / "assets"
        self.server_port = 0
        for folder in (self.data, self.playlists, self.assets / AREA):
            folder.mkdir(parents=True, exist_ok=True)

    # --- content ------------------------------------------------------------

    def write_recipe(self, text: str, area: str = AREA) -> float:
        """Save ``playlists/<area>.toml`` in one step; returns the time just before the rename."""
        return self._replace(self.playlists / f"{area}.toml", text.encode())

    def drop(self, name: str, data: bytes, settled: bool = False, folder: str = AREA) -> float:
        """Put a file in a drop folder in one step; returns the time just before the rename.

        ``settled`` dates it back, as if saved a minute ago.
        """
        path = self.assets / folder / name
        at = self._replace(path, data)
        if settled:
            old = time.time() - SETTLED_AGE_SECONDS
            os.utime(path, (old, old))
        return at

    def _replace(self, path: Path, data: bytes) -> float:
        # The temporary file sits outside the watched folders, so the server sees one event.
        temp = self.root / f".{path.name}.part"
        temp.write_bytes(data)
        at = time.time()
        os.replace(temp, path)
        return at

    def add_screens(self, count: int, area: str = AREA) -> list[str]:
        """Add screens straight to the database (one transaction); returns their tokens."""
        db = store.connect(self.data / "signage.db")
        try:
            db.execute("BEGIN")
            tokens = [screens.add(db, area, f"Skærm {index + 1}")[1] for index in range(count)]
            db.execute("COMMIT")
        finally:
            db.close()
        return tokens

    # --- processes ----------------------------------------------------------

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def websocket_url(self) -> str:
        return f"ws://127.0.0.1:{self.server_port}/ws/player"

    @property
    def server_log(self) -> Path:
        return self.root / "server.log"

    def server(self) -> Service:
        """The server, not started yet: use it as a context manager, then wait_for_server."""
        self.server_port = free_port()
        argv = signage_command(
            "serve",
            "--host", "127.0.0.1",
            "--port", str(self.server_port),
            "--data-dir", str(self.data),
            "--playlists", str(self.playlists),
            "--assets", str(self.assets),
        )  # fmt: skip
        return Service("server", argv, self.server_log, quiet_env())

    def wait_for_server(self, service: Service, timeout: float = SERVER_START_SECONDS) -> float:
        """Wait until /healthz answers, which is after the first scan and compose."""
        health = f"{self.server_url}/healthz"
        return wait_until("the server's /healthz", lambda: http_ok(health), timeout, service)

    def player(self, token: str, name: str = "player") -> tuple[Service, int, Path]:
        """A player daemon, not started yet, with its kiosk port and cache dir."""
        port = free_port()
        cache = self.root / f"{name}-cache"
        argv = signage_command(
            "player",
            "--server", self.server_url,
            "--token", token,
            "--cache-dir", str(cache),
            "--port", str(port),
        )  # fmt: skip
        return Service(name, argv, self.root / f"{name}.log", quiet_env()), port, cache

    def announced(self) -> dict[int, float]:
        """When the hub handed each announcements set (by seq) to the screens."""
        found: dict[int, float] = {}
        for line in _lines(self.server_log):
            match = ANNOUNCED_RE.match(line)
            if match is not None:
                found.setdefault(int(match["seq"]), _log_time(match["at"]))
        return found

    def published(self) -> list[Published]:
        """The hub's "area …: version … to N screens" lines from the server log."""
        found: list[Published] = []
        for line in _lines(self.server_log):
            match = PUBLISHED_RE.match(line)
            if match is None:
                continue
            at = _log_time(match["at"])
            found.append(
                Published(at, match["version"], int(match["items"]), int(match["screens"]))
            )
        return found


def add_admin(
    site: Site, email: str = "bench@holbaek.dk", password: str = "benchmark-password"
) -> None:
    """An admin in the site's database, for a benchmark that logs in as a browser does."""
    db = store.connect(site.data / "signage.db")
    try:
        users.add(db, email, password, "admin", ())
    finally:
        db.close()


async def log_in(
    http: httpx.AsyncClient, email: str = "bench@holbaek.dk", password: str = "benchmark-password"
) -> None:
    """Log ``http`` in as a browser does: the form's CSRF token, then the POST."""
    form = await http.get("/login")
    answer = await http.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(form.text)}
    )
    if answer.status_code != 303:
        raise ServiceFailed(f"could not log in: {answer.status_code}")


def csrf(page: str) -> str:
    """The CSRF token of a web UI page."""
    match = CSRF_RE.search(page)
    if match is None:
        raise ServiceFailed("no CSRF token on the page")
    return match.group(1)


def _log_time(text: str) -> float:
    # asctime is local time with milliseconds; we share the server's time zone.
    return time.mktime(time.strptime(text[:19], "%Y-%m-%d %H:%M:%S")) + int(text[20:]) / 1000


def recipe(name: str = "Mørkøv", default_duration: float | None = None) -> str:
    lines = [f'name = "{name}"', f'sources = ["{AREA}"]']
    if default_duration is not None:
        lines.append(f"default_duration = {default_duration:g}")
    return "\n".join(lines) + "\n"


def _lines(path: Path) -> Iterable[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return text.splitlines()
