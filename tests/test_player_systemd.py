"""sd_notify: a real AF_UNIX datagram socket as NOTIFY_SOCKET, and the real daemon."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from player import daemon
from player.protocol import PairCode, serialize
from player.systemd import Notifier

from .player_fakes import fake_server, running_player
from .support import timeout


@pytest.fixture
def notify_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """systemd's end: a datagram socket (in a short path: AF_UNIX allows ~107 bytes)."""
    folder = tempfile.mkdtemp(prefix="lk-notify-")
    path = os.path.join(folder, "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        monkeypatch.setenv("WATCHDOG_USEC", "400000")  # fed every 0.1 s
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
        yield sock
    os.unlink(path)
    os.rmdir(folder)


async def receive(sock: socket.socket, test: object, seconds: float = 10.0) -> list[str]:
    """Datagrams until one for which ``test`` holds; all of them, that one last."""
    seen: list[str] = []
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout(seconds)):
        while True:
            text = (await loop.sock_recv(sock, 4096)).decode()
            seen.append(text)
            if test(text):  # type: ignore[operator]
                return seen


def drain(sock: socket.socket) -> list[str]:
    seen = []
    with contextlib.suppress(BlockingIOError):
        while True:
            seen.append(sock.recv(4096).decode())
    return seen


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled and notifier.watchdog_every is None
    notifier.ready("x")
    notifier.watchdog(0.0)
    notifier.stopping()


def test_the_abstract_namespace() -> None:
    name = "lokalskaerm-test-" + secrets.token_hex(4)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(timeout(5))
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name})
        notifier.ready("playing abc")
        assert sock.recv(4096) == b"READY=1\nSTATUS=playing abc"
        notifier.status("playing abc")  # unchanged: not sent again
        notifier.status("server unreachable")
        assert sock.recv(4096) == b"STATUS=server unreachable"


def test_the_watchdog_belongs_to_the_process_systemd_named() -> None:
    env = {"NOTIFY_SOCKET": "/nowhere", "WATCHDOG_USEC": "30000000"}
    assert Notifier(env).watchdog_every == 7.5
    assert Notifier({**env, "WATCHDOG_PID": str(os.getpid())}).watchdog_every == 7.5
    assert Notifier({**env, "WATCHDOG_PID": "1"}).watchdog_every is None
    assert Notifier({**env, "WATCHDOG_USEC": "soon"}).watchdog_every is None
    Notifier(env).ready()  # nobody listens: logged, not raised


async def test_the_daemon_reports_ready_status_watchdog_and_stopping(
    notify_socket: socket.socket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.3)
    async with fake_server() as server:
        async with running_player(server.url, tmp_path / "cache") as player:
            ready = await receive(notify_socket, lambda t: t.startswith("READY=1"))
            assert ready[-1].startswith("READY=1\nSTATUS=")
            await receive(notify_socket, lambda t: t == "STATUS=pairing: waiting for the server")
            pairing = await server.next_pair_socket()
            await pairing.send(serialize(PairCode("K7M4QX", time.time() + 300, "http://x")))
            await receive(notify_socket, lambda t: t == "STATUS=pairing: code K7M-4QX")
            started = time.monotonic()
            for _ in range(3):
                await receive(notify_socket, lambda t: t == "WATCHDOG=1")
            assert time.monotonic() - started < timeout(3)

            # A hung main loop stops feeding the watchdog (and systemd restarts us),
            # although the rest of the daemon still runs.
            never = asyncio.Event()

            async def hang() -> None:
                await never.wait()

            monkeypatch.setattr(player.player, "_plays_step", hang)
            await asyncio.sleep(0.3)  # the tick under way ends
            drain(notify_socket)
            await asyncio.sleep(0.6)  # six watchdog periods
            assert "WATCHDOG=1" not in drain(notify_socket)
            assert (await player.state())["pairing"]["code"] == "K7M4QX"
        await receive(notify_socket, lambda t: t == "STOPPING=1")


async def test_systemctl_stop_ends_the_daemon_in_order(
    notify_socket: socket.socket, tmp_path: Path
) -> None:
    """SIGTERM (what ``systemctl stop`` sends) ends the real process as a cancel does:
    STOPPING=1 is said and the exit code is 0, not death by the signal."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from signage_server.cli import main; sys.exit(main(sys.argv[1:]))",
        "player",
        "--server",
        "http://127.0.0.1:9",
        "--port",
        "0",
        "--cache-dir",
        str(tmp_path / "cache"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "WATCHDOG_PID": ""},  # the child is the one systemd started
    )
    try:
        await receive(notify_socket, lambda t: t.startswith("READY=1"))
        process.send_signal(signal.SIGTERM)
        await receive(notify_socket, lambda t: t == "STOPPING=1")
        async with asyncio.timeout(timeout(10)):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
