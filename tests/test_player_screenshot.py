"""Screenshots on request: a stub ``grim`` on PATH (one that works, one that hangs, one
that fails), and the real daemon answering a stand-in server's ``take_screenshot``."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import pytest

from player import daemon, screenshot
from player.protocol import (
    MAX_SCREENSHOT_BYTES,
    Announcement,
    Area,
    Asset,
    Item,
    Screenshot,
    Snapshot,
    SnapshotMessage,
    TakeScreenshot,
    parse_player_message,
    serialize,
)

from .player_fakes import fake_server, running_player, wait_state
from .support import jpeg

PICTURE = jpeg((10, 120, 200), size=(64, 36))


def grim(folder: Path, script: str) -> dict[str, str]:
    """An environment with a ``grim`` that runs ``script``, and a Wayland display."""
    folder.mkdir(exist_ok=True)
    (folder / "picture.jpg").write_bytes(PICTURE)
    path = folder / "grim"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return {
        "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
        "WAYLAND_DISPLAY": "wayland-0",
        "ARGS": str(folder / "args"),
    }


async def test_takes_a_jpeg_with_grim(tmp_path: Path) -> None:
    env = grim(tmp_path, f'echo "$@" > "$ARGS"\ncat {tmp_path / "picture.jpg"}\n')
    picture = await screenshot.take(env)
    assert picture.error is None and picture.mime == "image/jpeg"
    assert picture.data is not None and base64.b64decode(picture.data) == PICTURE
    assert (tmp_path / "args").read_text().split() == ["-t", "jpeg", "-q", "70", "-"]


async def test_a_picture_too_big_is_taken_again_at_half_size(tmp_path: Path) -> None:
    big = MAX_SCREENSHOT_BYTES + 1
    env = grim(
        tmp_path,
        f'case "$*" in *"-s 0.5"*) cat {tmp_path / "picture.jpg"} ;; '
        f"*) head -c {big} /dev/zero ;; esac\n",
    )
    picture = await screenshot.take(env)
    assert picture.data is not None and base64.b64decode(picture.data) == PICTURE
    env = grim(tmp_path, f"head -c {big} /dev/zero\n")
    picture = await screenshot.take(env)
    assert picture.data is None and picture.error is not None and "half size" in picture.error


async def test_a_hanging_grim_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screenshot, "GRIM_TIMEOUT", 0.3)
    env = grim(tmp_path, "exec sleep 30\n")
    started = time.monotonic()
    picture = await screenshot.take(env)
    assert time.monotonic() - started < 5
    assert picture.data is None and picture.error == "grim did not finish within 0.3 s"


async def test_a_failing_grim_says_why(tmp_path: Path) -> None:
    env = grim(tmp_path, 'echo "failed to create display" >&2\nexit 1\n')
    picture = await screenshot.take(env)
    assert picture.data is None and picture.error == "grim failed: failed to create display"


async def test_without_wayland_or_grim(tmp_path: Path) -> None:
    env = grim(tmp_path, "exit 0\n")
    del env["WAYLAND_DISPLAY"]
    assert (await screenshot.take(env)).error == ("no Wayland display (WAYLAND_DISPLAY is not set)")
    empty = tmp_path / "empty"
    empty.mkdir()
    picture = await screenshot.take({"PATH": str(empty), "WAYLAND_DISPLAY": "wayland-0"})
    assert picture.data is None and picture.error == "grim is not installed"


def test_describes_the_screen_in_words() -> None:
    item = Item("morkov/01.jpg", "image", "a" * 64, 10.0, title="Julemarked")
    urgent = Announcement(1, "Vandet er lukket", "", "urgent", 0.0, 1e12)
    info = Announcement(2, "Hallen lukker kl. 20", "", "info", 0.0, 1e12)
    assert screenshot.describe(item) == "Opslag «Julemarked» (morkov/01.jpg)"
    assert screenshot.describe(None) == "Intet på skærmen"
    assert screenshot.describe(item, (info,)) == (
        "Opslag «Julemarked» (morkov/01.jpg); Meddelelse som banner: «Hallen lukker kl. 20»"
    )
    assert screenshot.describe(item, (urgent,)) == (
        "Akut meddelelse over hele skærmen: «Vandet er lukket»"
    )
    assert screenshot.describe(None, pairing=True, pairing_code="K7M-4QX") == (
        "Parringskode vises: K7M-4QX"
    )
    assert screenshot.describe(item, display="off").endswith("; skærmen er slukket")


async def test_the_daemon_answers_take_screenshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.3)
    env = grim(tmp_path / "bin", f"cat {tmp_path / 'bin' / 'picture.jpg'}\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    async with (
        fake_server() as server,
        running_player(server.url, tmp_path / "cache", token="scr_x") as player,
    ):
        _, socket = await server.next_hello()
        data = jpeg((200, 30, 30))
        sha = hashlib.sha256(data).hexdigest()
        server.assets[sha] = data
        snapshot = Snapshot(
            Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"),
            (Item("morkov/01.jpg", "image", sha, 30.0, title="Julemarked"),),
            (Asset(sha, len(data), "image/jpeg"),),
        ).with_version()
        await socket.send(serialize(SnapshotMessage(snapshot)))
        await wait_state(player, lambda s: s["version"] == snapshot.version)
        await socket.send(serialize(TakeScreenshot(7)))
        answer = await server.next_frame(Screenshot)
        assert answer.id == 7 and answer.what == "Opslag «Julemarked» (morkov/01.jpg)"
        assert answer.mime == "image/jpeg" and answer.error is None
        assert answer.data is not None and base64.b64decode(answer.data) == PICTURE
        assert answer.time == pytest.approx(time.time(), abs=10)
        # It travels as the protocol says (the server parses it with the same module).
        assert parse_player_message(serialize(answer)) == answer
        # Without a Wayland display: still an answer, with the reason.
        monkeypatch.delenv("WAYLAND_DISPLAY")
        await socket.send(serialize(TakeScreenshot(8)))
        answer = await server.next_frame(Screenshot)
        assert answer.id == 8 and answer.data is None and "Wayland" in (answer.error or "")
        assert (await player.state())["connected"] is True
