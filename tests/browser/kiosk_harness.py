"""The parts of the kiosk end-to-end tests: a site on disk, the real server and player
as subprocesses on loopback, and the kiosk page in Debian's Chromium.

Every wait polls a condition with a deadline; every deadline is scaled by
``LOKALSKAERM_TIMEOUT_FACTOR`` (default 1, read once in tests/support.py) so that
slow machines do not flake. The fixtures that put these together are in conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Page, ViewportSize

from ..support import timeout, write_atomically

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AREA = "morkov"
AREA_NAME = "Mørkøv"
TIMEZONE = "Europe/Copenhagen"
#: Seconds per slide: short, so that a test sees several transitions quickly.
SLIDE_SECONDS = 2
#: The drop folder's starting slides and their solid colours.
SLIDE_COLOURS = {
    "01.jpg": (200, 40, 40),
    "02.jpg": (40, 170, 60),
    "03.jpg": (40, 70, 200),
}
VIEWPORT: ViewportSize = {"width": 1920, "height": 1080}


def timeout_ms(seconds: float) -> float:
    """A deadline for Playwright (milliseconds), scaled for this machine."""
    return timeout(seconds) * 1000


# --- waiting ------------------------------------------------------------------


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    what: str,
    within: float,
    interval: float = 0.05,
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within`` (scaled) s."""
    deadline = time.monotonic() + timeout(within)
    while True:
        if await condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout(within):.1f} s waiting for {what}")
        await asyncio.sleep(interval)


def _get_json(url: str) -> Any | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout(2)) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


async def get_json(url: str) -> Any | None:
    """GET a JSON document; None when nothing answers (yet) or the answer is not JSON."""
    return await asyncio.to_thread(_get_json, url)


def _get_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout(5)) as response:
        data: bytes = response.read()
        return data


async def get_bytes(url: str) -> bytes:
    return await asyncio.to_thread(_get_bytes, url)


# --- the site on disk -----------------------------------------------------------


def solid_jpeg(
    path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (1280, 720)
) -> None:
    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)


def recipe_text(extra: str = "", layout: str = "landscape") -> str:
    return (
        f'name = "{AREA_NAME}"\n'
        f'timezone = "{TIMEZONE}"\n'
        f'layout = "{layout}"\n'
        f"default_duration = {SLIDE_SECONDS}\n"
        f'sources = ["{AREA}", "all"]\n'
        f"{extra}"
    )


@dataclass
class Site:
    """playlists/, assets/ and the data dir of one test, plus one registered screen."""

    root: Path
    token: str = ""

    @property
    def playlists(self) -> Path:
        return self.root / "playlists"

    @property
    def assets(self) -> Path:
        return self.root / "assets"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def folder(self) -> Path:
        return self.assets / AREA

    def server_flags(self) -> list[str]:
        return [
            "--data-dir", str(self.data),
            "--playlists", str(self.playlists),
            "--assets", str(self.assets),
        ]  # fmt: skip

    def write_recipe(self, text: str) -> None:
        """Replace the area's recipe in one step, as an editor's save would."""
        write_atomically(self.playlists / f"{AREA}.toml", text)

    def drop(self, name: str, image: Image.Image, **save: Any) -> None:
        """Put a picture into the area's drop folder in one step (written under a temp name)."""
        temp = self.folder / f"{name}.part"
        image.save(temp, "JPEG", **save)
        os.replace(temp, self.folder / name)

    def add_screen(self, name: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "signage_server.cli", "screens", "add",
             "--area", AREA, "--name", name, *self.server_flags()],
            capture_output=True, text=True, timeout=timeout(30), cwd=self.root, env=child_env(),
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"screens add failed: {result.stderr}"
        token = result.stdout.strip()
        assert token, f"screens add printed no token: {result.stderr}"
        return token


def child_env() -> dict[str, str]:
    """Our environment without SIGNAGE_* settings, so only the flags count."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIGNAGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["SIGNAGE_LOG_LEVEL"] = "INFO"
    return env


# --- the processes ----------------------------------------------------------------


@dataclass
class Service:
    """One of our programs as a subprocess, with its output in a log file."""

    name: str
    argv: list[str]
    log_path: Path
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        with self.log_path.open("ab") as log:
            log.write(f"--- starting {self.name} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=child_env(),
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """Stop it dead, like a crash or a power cut would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=timeout(10))

    def stop(self) -> None:
        """Stop it politely, and hard if it does not listen."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout(5))
            except subprocess.TimeoutExpired:
                self.kill()

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(
                f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 150) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Server(Service):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self) -> None:
        async def healthy() -> bool:
            self.check_alive()
            body = await get_json(f"{self.url}/healthz")
            return isinstance(body, dict) and body.get("status") == "ok"

        await wait_until(healthy, f"the server's /healthz on port {self.port}", within=30)


@dataclass
class Player(Service):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def state(self) -> dict[str, Any]:
        """The daemon's /state.json; an empty dict when it does not answer."""
        body = await get_json(f"{self.url}/state.json")
        return body if isinstance(body, dict) else {}

    async def wait_state(self, what: str, check: Callable[[dict[str, Any]], bool]) -> None:
        async def holds() -> bool:
            self.check_alive()
            state = await self.state()
            return bool(state) and check(state)

        await wait_until(holds, f"the player's /state.json: {what}", within=30)

    async def wait_ready(self) -> None:
        await self.wait_state(
            "a snapshot on screen",
            lambda state: state.get("version") is not None and state.get("item") is not None,
        )


# --- the browser -----------------------------------------------------------------


def chromium_or_skip() -> Path:
    """Debian's Chromium; its absence fails the run in CI and skips it elsewhere."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} not found (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Kiosk:
    """The kiosk page in Chromium, as a screen in a village hall would show it."""

    page: Page
    player: Player
    shots: Path
    console: list[str] = field(default_factory=list)
    #: alert(), confirm() … any the page (or a frame in it) opened; there should be none.
    dialogs: list[str] = field(default_factory=list)

    async def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        await self.page.screenshot(path=path)
        return path


RECORDER_JS = """
() => {
  if (window.__lk) return;
  const body = document.body;
  const now = () => ({
    t: Date.now(),
    item: body.dataset.item ?? null,
    version: body.dataset.version ?? null,
    online: body.dataset.online ?? null,
  });
  const records = [now()];
  new MutationObserver(() => {
    const next = now();
    const last = records[records.length - 1];
    if (last.item !== next.item || last.version !== next.version || last.online !== next.online) {
      records.push(next);
    }
  }).observe(body, {
    attributes: true,
    attributeFilter: ["data-item", "data-version", "data-online"],
  });
  window.__lk = { records };
}
"""


#: Run before the kiosk's own script: notes each frame whose load event fired, in
#: ``window.__lkLoaded``, so that the tests know it independently of kiosk.js.
LOAD_WATCH_JS = """
if (window === window.top) {
  window.__lkLoaded = new WeakSet();
  document.addEventListener("load", (event) => {
    if (event.target instanceof HTMLIFrameElement) window.__lkLoaded.add(event.target);
  }, true);
}
"""

#: Watches #main at every painted frame and every DOM change until ``transitions``
#: slide changes happened: a layer marked current must be loaded (a picture decoded,
#: a page's frame loaded from /assets/) and the "empty" sign hidden, and the loaded
#: layers together must cover most of the slide area (a cross-fade, not a fade
#: through the background).
SAMPLE_TRANSITIONS_JS = """
async ([transitions, timeoutMs]) => {
  const main = document.getElementById("main");
  const empty = document.getElementById("empty");
  const layers = () => Array.from(main.querySelectorAll(".layer"));
  const loaded = (el) => el.tagName === "IMG"
    ? el.complete && el.naturalWidth > 0
    : window.__lkLoaded.has(el) && /^\\/assets\\/[0-9a-f]{64}$/.test(el.getAttribute("src"));
  const problems = [];
  const kinds = new Set();
  let samples = 0;
  let changes = 0;
  let leastCover = 1;
  let last = document.body.dataset.item;
  const check = (when) => {
    samples += 1;
    const current = layers().filter((el) => el.classList.contains("current"));
    current.forEach((el) => kinds.add(el.tagName.toLowerCase()));
    if (!current.some(loaded) || !empty.hidden) {
      problems.push({
        when, t: Date.now(), item: document.body.dataset.item ?? null,
        current: current.map((el) => [el.tagName, el.getAttribute("src"), loaded(el)]),
        empty: !empty.hidden,
      });
    }
    // How much of the slide area the layers cover, as composited: 1 - the share
    // of the background that shows through all the loaded layers.
    const through = layers()
      .filter(loaded)
      .reduce((share, el) => share * (1 - Number(getComputedStyle(el).opacity)), 1);
    leastCover = Math.min(leastCover, 1 - through);
  };
  const observer = new MutationObserver(() => check("mutation"));
  observer.observe(main, {
    attributes: true, childList: true, subtree: true,
    attributeFilter: ["class", "src", "hidden"],
  });
  await new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const frame = () => {
      check("frame");
      const item = document.body.dataset.item;
      if (item !== last) {
        changes += 1;
        last = item;
      }
      if (changes >= transitions || Date.now() > deadline) resolve();
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  observer.disconnect();
  return {
    samples, changes, leastCover, kinds: Array.from(kinds),
    problems: problems.slice(0, 10), count: problems.length,
  };
}
"""
