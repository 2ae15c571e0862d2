"""The health in the player's heartbeats: measured for real (/proc, statvfs, a stub
``vcgencmd`` on PATH), sent by the real daemon to a stand-in server; and the daemon's
wiring of the display command and of a full disk."""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from player import core, daemon, health
from player.cache import Cache
from player.health import Probe, parse_temperature, parse_throttled
from player.protocol import (
    Area,
    Asset,
    Heartbeat,
    Item,
    Snapshot,
    SnapshotMessage,
    Window,
    serialize,
)

from .player_fakes import FakeServer, fake_server, running_player, wait_state
from .support import jpeg

TOKEN = "scr_health"


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.3)
    monkeypatch.setattr(daemon, "HEALTH_SECONDS", 0.1)
    monkeypatch.setattr(core, "HEARTBEAT_SECONDS", 0.3)


def stub(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


@pytest.fixture
def vcgencmd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Raspberry Pi's ``vcgencmd``, printing what the firmware would."""
    bin_dir = tmp_path / "bin"
    stub(
        bin_dir,
        "vcgencmd",
        'case "$1" in\n'
        '  measure_temp) echo "temp=51.6\'C" ;;\n'
        '  get_throttled) echo "throttled=0x50005" ;;\n'
        "  *) exit 1 ;;\n"
        "esac\n",
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_parses_what_vcgencmd_prints() -> None:
    assert parse_temperature("temp=51.6'C\n") == 51.6
    assert parse_temperature("temp=-3'C") == -3.0
    assert parse_temperature("error") is None
    assert parse_throttled("throttled=0x50005\n") == "0x50005"
    assert parse_throttled("throttled=0x0") == "0x0"
    assert parse_throttled("nothing") is None


def test_measures_the_machine(tmp_path: Path, vcgencmd: Path) -> None:
    cache = Cache(tmp_path / "cache")
    cache.open()
    data = jpeg((1, 2, 3))
    cache.store(hashlib.sha256(data).hexdigest(), [data])
    probe = Probe(cache, started=time.monotonic() - 5)
    measured = probe.measure_now()
    assert measured.temperature == 51.6 and measured.throttled == "0x50005"
    assert measured.cache_bytes == len(data)
    assert measured.player_uptime is not None and measured.player_uptime >= 5
    assert measured.uptime is not None and measured.uptime > 0
    assert measured.memory is not None and measured.memory > 1_000_000
    assert measured.disk_total and measured.disk_free is not None
    assert 0 < measured.disk_free <= measured.disk_total
    # The cache is counted again only once told that it changed.
    more = jpeg((9, 9, 9))
    cache.store(hashlib.sha256(more).hexdigest(), [more])
    assert probe.measure_now().cache_bytes == len(data)
    probe.cache_changed()
    assert probe.measure_now().cache_bytes == len(data) + len(more)


def test_without_vcgencmd_the_thermal_zone_gives_the_temperature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    zone = tmp_path / "temp"
    zone.write_text("48312\n")
    cache = Cache(tmp_path / "cache")
    cache.open()
    probe = Probe(cache)
    probe.thermal_zone = zone
    measured = probe.measure_now()
    assert measured.temperature == 48.3 and measured.throttled is None
    probe.thermal_zone = tmp_path / "missing"
    assert probe.measure_now().temperature is None


def test_a_hanging_vcgencmd_costs_only_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    stub(bin_dir, "vcgencmd", "exec sleep 30\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(health, "VCGENCMD_TIMEOUT", 0.2)
    cache = Cache(tmp_path / "cache")
    cache.open()
    probe = Probe(cache)
    probe.thermal_zone = tmp_path / "missing"
    started = time.monotonic()
    measured = probe.measure_now()
    assert time.monotonic() - started < 5
    assert measured.temperature is None and measured.throttled is None


async def test_heartbeats_carry_the_health(tmp_path: Path, vcgencmd: Path) -> None:
    async with (
        fake_server() as server,
        running_player(server.url, tmp_path / "cache", token=TOKEN) as player,
    ):
        _, socket = await server.next_hello()
        snapshot = await publish(server, socket)
        await wait_state(player, lambda s: s["version"] == snapshot.version)
        await socket.send(serialize(Heartbeat(time.time() + 2.0)))
        beat = await server.next_frame(Heartbeat)
        while beat.health is None or beat.health.clock_offset is None:
            beat = await server.next_frame(Heartbeat)
        measured = beat.health
        assert measured.temperature == 51.6 and measured.throttled == "0x50005"
        assert measured.clock_trusted is True
        assert measured.clock_offset == pytest.approx(2.0, abs=1.0)
        assert measured.disk_full is False
        assert measured.display is None  # no display command
        assert measured.memory and measured.disk_free and measured.uptime
        state = await wait_state(player, lambda s: s["health"]["cache_bytes"])
        assert state["health"]["cache_bytes"] == sum(a.size for a in snapshot.assets)
        assert state["health"]["temperature"] == 51.6


async def test_the_display_command_follows_the_opening_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    command = stub(
        tmp_path / "bin",
        "lokalskaerm-display",
        f'echo "$1" >> {calls}\nif [ "$1" = status ]; then echo on; fi\n',
    )
    async with (
        fake_server() as server,
        running_player(
            server.url, tmp_path / "cache", token=TOKEN, display_command=str(command)
        ) as player,
    ):
        _, socket = await server.next_hello()
        await socket.send(serialize(Heartbeat(time.time())))  # the clock is trusted now
        state = await wait_state(player, lambda s: s["health"]["display"] == "on")
        now = time.time()
        # Closed now, open in an hour: the screen goes off.
        await publish(server, socket, display=((now + 3600, now + 7200),))
        state = await wait_state(player, lambda s: s["health"]["display"] == "off")
        assert calls.read_text().split() == ["status", "off"]
        assert state["health"]["clock_trusted"] is True
        assert "skærmen er slukket" in player.player.describe_screen()
        await publish(server, socket, display=((now - 60, now + 3600),), colour=(4, 4, 4))
        await wait_state(player, lambda s: s["health"]["display"] == "on")
        assert calls.read_text().split() == ["status", "off", "on"]


async def test_a_display_switched_off_behind_the_players_back_is_switched_on_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TV switched off at the wall comes back in standby; the player notices at its next
    look and switches it on again, in opening hours only."""
    monkeypatch.setattr(daemon, "DISPLAY_CHECK_SECONDS", 0.2)
    calls, tv = tmp_path / "calls", tmp_path / "tv"
    tv.write_text("on\n")
    command = stub(
        tmp_path / "bin",
        "lokalskaerm-display",
        f'case "$1" in status) cat {tv} ;; on|off) echo "$1" > {tv} ;; esac\n'
        f'echo "$1" >> {calls}\n',
    )
    async with (
        fake_server() as server,
        running_player(
            server.url, tmp_path / "cache", token=TOKEN, display_command=str(command)
        ) as player,
    ):
        _, socket = await server.next_hello()
        await socket.send(serialize(Heartbeat(time.time())))  # the clock is trusted now
        now = time.time()
        await publish(server, socket, display=((now - 60, now + 3600),))
        await wait_state(player, lambda s: calls.read_text().split().count("on") == 1)
        tv.write_text("off\n")  # the caretaker's thumb on the wall switch
        await wait_state(player, lambda s: calls.read_text().split().count("on") == 2)
        assert tv.read_text().strip() == "on"
        # Out of opening hours the player wants it off, and keeps it so.
        await publish(server, socket, display=((now + 3600, now + 7200),), colour=(4, 4, 4))
        await wait_state(player, lambda s: tv.read_text().strip() == "off")
        tv.write_text("on\n")  # someone switched it on with the remote at night
        await wait_state(player, lambda s: tv.read_text().strip() == "off")
        await wait_state(player, lambda s: s["health"]["display"] == "off")


async def test_a_full_disk_is_reported_and_keeps_what_is_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        fake_server() as server,
        running_player(server.url, tmp_path / "cache", token=TOKEN) as player,
    ):
        _, socket = await server.next_hello()
        first = await publish(server, socket, colour=(10, 10, 10))
        await wait_state(player, lambda s: s["version"] == first.version)
        on_screen = player.player.cache.assets / first.assets[0].sha256
        cache = player.player.cache
        full = {"on": True}

        def statvfs(path: Path) -> os.statvfs_result:
            real = os.statvfs(path)
            return os.statvfs_result((*real[:4], 0 if full["on"] else real.f_bavail, *real[5:]))

        real_store = cache.store

        def store(sha256: str, chunks: Iterable[bytes], max_bytes: int | None = None) -> int:
            if full["on"]:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_store(sha256, chunks, max_bytes)

        monkeypatch.setattr(cache, "statvfs", statvfs)
        monkeypatch.setattr(cache, "store", store)
        await publish(server, socket, colour=(20, 20, 20))
        state = await wait_state(player, lambda s: s["health"]["disk_full"])
        # Nothing the screen needs was evicted to make room: it plays on.
        assert state["version"] == first.version and on_screen.exists()
        beat = await server.next_frame(Heartbeat)
        # Older heartbeats were queued, and the health is measured every HEALTH_SECONDS:
        # the first after the disk filled may still carry the free space measured before.
        while beat.health is None or not beat.health.disk_full or beat.health.disk_free:
            beat = await server.next_frame(Heartbeat)
        assert beat.health.disk_free == 0
        full["on"] = False
        third = await publish(server, socket, colour=(30, 30, 30))
        state = await wait_state(player, lambda s: s["version"] == third.version)
        assert state["health"]["disk_full"] is False


async def test_a_download_that_hits_a_full_disk_evicts_and_retries_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        fake_server() as server,
        running_player(server.url, tmp_path / "cache", token=TOKEN) as player,
    ):
        _, socket = await server.next_hello()
        cache = player.player.cache
        spare = jpeg((77, 77, 77))
        spare_sha = hashlib.sha256(spare).hexdigest()
        cache.store(spare_sha, [spare])  # an old asset no snapshot needs
        real_store = cache.store
        attempts: list[str] = []

        def store(sha256: str, chunks: Iterable[bytes], max_bytes: int | None = None) -> int:
            attempts.append(sha256)
            if len(attempts) == 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_store(sha256, chunks, max_bytes)

        def statvfs(path: Path) -> os.statvfs_result:
            # Room runs out at the first write, and comes back with the spare asset gone.
            real = os.statvfs(path)
            full = attempts and (cache.assets / spare_sha).exists()
            return os.statvfs_result((*real[:4], 0 if full else real.f_bavail, *real[5:]))

        monkeypatch.setattr(cache, "store", store)
        monkeypatch.setattr(cache, "statvfs", statvfs)
        snapshot = await publish(server, socket, colour=(40, 40, 40))
        state = await wait_state(player, lambda s: s["version"] == snapshot.version)
        assert attempts == [snapshot.assets[0].sha256] * 2
        assert not (cache.assets / spare_sha).exists()
        assert state["health"]["disk_full"] is False


async def publish(
    server: FakeServer,
    socket: Any,
    colour: tuple[int, int, int] = (200, 30, 30),
    display: tuple[Window, ...] | None = None,
) -> Snapshot:
    """Send a one-picture snapshot, its picture served at /assets/."""
    data = jpeg(colour)
    sha = hashlib.sha256(data).hexdigest()
    server.assets[sha] = data
    snapshot = Snapshot(
        Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"),
        (Item(f"morkov/{sha[:8]}.jpg", "image", sha, 10.0, title="Plakat"),),
        (Asset(sha, len(data), "image/jpeg"),),
        display=display,
    ).with_version()
    await socket.send(serialize(SnapshotMessage(snapshot)))
    return snapshot
