"""The /ws/player endpoint with a real server and real websocket clients."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from player import protocol
from player.protocol import (
    Current,
    Heartbeat,
    Hello,
    SnapshotMessage,
    Status,
    parse_server_message,
    serialize,
)
from signage_server import screens

from .logins import add_user, log_in
from .support import RunningServer, Site, eventually, jpeg, timeout


async def receive_snapshot(socket: ClientConnection, seconds: float = 10) -> SnapshotMessage:
    while True:
        frame = await _recv(socket, seconds)
        message = parse_server_message(frame)
        if isinstance(message, SnapshotMessage):
            return message


async def _recv(socket: ClientConnection, seconds: float) -> str | bytes:
    import asyncio

    return await asyncio.wait_for(socket.recv(), timeout(seconds))


async def closed_with(socket: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as caught:
        for _ in range(10):
            await _recv(socket, 10)
    assert caught.value.rcvd is not None
    return caught.value.rcvd.code, caught.value.rcvd.reason


async def test_hello_gets_the_areas_snapshot(site: Site, server: RunningServer) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        message = await receive_snapshot(socket)
    snapshot = message.snapshot
    assert snapshot.area.id == "morkov"
    assert snapshot.area.name == "Mørkøv"
    assert [item.id for item in snapshot.items] == ["morkov/01-plakat.jpg", "morkov/02-plakat.jpg"]
    assert all(item.duration == 5 for item in snapshot.items)
    assert snapshot.asset_hashes() == {item.asset for item in snapshot.items}


async def test_a_current_player_is_told_so_and_sent_nothing_else(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        version = (await receive_snapshot(socket)).snapshot.version
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=version)))
        message = parse_server_message(await _recv(socket, 10))
        assert message == Current(version)


async def test_status_and_connection_are_recorded(site: Site, server: RunningServer) -> None:
    token = site.screen()
    db = server.app_state.db
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None, software="test/1")))
        version = (await receive_snapshot(socket)).snapshot.version
        await socket.send(serialize(Status(version=version, item="morkov/01-plakat.jpg", time=1)))
        await socket.send(serialize(Heartbeat(time=1)))
        await eventually(lambda: screens.all_screens(db)[0].item == "morkov/01-plakat.jpg")
        screen = screens.all_screens(db)[0]
        assert screen.connected and screen.version == version
        assert server.app_state.hub.connected("morkov") == 1
    await eventually(lambda: not screens.all_screens(db)[0].connected)
    assert server.app_state.hub.connected() == 0


@pytest.mark.parametrize(
    ("frames", "code", "reason"),
    [
        (["not json"], protocol.CLOSE_PROTOCOL_ERROR, "expected JSON"),
        (
            ['{"type": "status", "version": null, "item": null, "time": 1}'],
            protocol.CLOSE_PROTOCOL_ERROR,
            "expected hello",
        ),
        ([b"\x00\x01binary"], protocol.CLOSE_PROTOCOL_ERROR, "binary"),
        (
            ['{"type": "hello", "token": "x", "protocol": "2.0", "version": null}'],
            protocol.CLOSE_UNSUPPORTED_VERSION,
            "unsupported protocol version '2.0'",
        ),
        (
            ['{"type": "hello", "token": "scr_nope", "protocol": "1.0", "version": null}'],
            protocol.CLOSE_UNAUTHORIZED,
            "unknown or revoked token",
        ),
        (
            ['{"type": "hello", "token": 12, "protocol": "1.0"}'],
            protocol.CLOSE_PROTOCOL_ERROR,
            "token: expected a string",
        ),
        (["[1, 2, 3]"], protocol.CLOSE_PROTOCOL_ERROR, "expected a JSON object"),
    ],
)
async def test_bad_input_closes_that_connection_with_a_reason(
    site: Site, server: RunningServer, frames: list[str | bytes], code: int, reason: str
) -> None:
    token = site.screen()
    async with connect(server.ws_url) as good:
        await good.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(good)
        async with connect(server.ws_url) as bad:
            for frame in frames:
                await bad.send(frame)
            got_code, got_reason = await closed_with(bad)
        assert got_code == code
        assert reason in got_reason
        # The good screen and the server carry on.
        await good.send(serialize(Heartbeat(time=1)))
        site.drop("morkov", "03-ny.jpg", jpeg((0, 0, 200)))
        message = await receive_snapshot(good)
        assert "morkov/03-ny.jpg" in [item.id for item in message.snapshot.items]


async def test_garbage_after_hello_closes_the_connection(site: Site, server: RunningServer) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(socket)
        await socket.send('{"type": "status", "version": 5}')
        code, reason = await closed_with(socket)
    assert code == protocol.CLOSE_PROTOCOL_ERROR
    assert "version" in reason


async def test_oversize_message_is_refused(site: Site, server: RunningServer) -> None:
    async with connect(server.ws_url, max_size=None) as socket:
        await socket.send("x" * (protocol.MAX_MESSAGE_BYTES + 10))
        code, _ = await closed_with(socket)
    assert code == 1009


async def test_revoked_token_is_refused(site: Site, server: RunningServer) -> None:
    token = site.screen()
    db = server.app_state.db
    screens.revoke(db, screens.authenticate(db, token).id)  # type: ignore[union-attr]
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        code, _ = await closed_with(socket)
    assert code == protocol.CLOSE_UNAUTHORIZED


async def test_a_token_revoked_while_connected_is_closed_at_the_next_frame(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    db = server.app_state.db
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(socket)
        screens.revoke(db, screens.authenticate(db, token).id)  # type: ignore[union-attr]
        await socket.send(serialize(Heartbeat(time=1)))
        code, reason = await closed_with(socket)
    assert code == protocol.CLOSE_UNAUTHORIZED and "revoked" in reason


async def test_new_file_and_recipe_change_are_pushed_to_every_screen(
    site: Site, server: RunningServer
) -> None:
    tokens = [site.screen(name=f"Skærm {n}") for n in range(3)]
    sockets = [await connect(server.ws_url) for _ in tokens]
    try:
        for socket, token in zip(sockets, tokens, strict=True):
            await socket.send(serialize(Hello(token=token, version=None)))
            await receive_snapshot(socket)
        site.drop("morkov", "00-først.jpg", jpeg((1, 2, 3)))
        for socket in sockets:
            items = (await receive_snapshot(socket)).snapshot.items
            assert items[0].id == "morkov/00-først.jpg"
        site.recipe("morkov", 'name = "Mørkøv"\ndefault_duration = 7\n')
        for socket in sockets:
            items = (await receive_snapshot(socket)).snapshot.items
            assert {item.duration for item in items} == {7}
    finally:
        for socket in sockets:
            await socket.close()


async def test_a_broken_recipe_keeps_the_last_good_version(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        before = (await receive_snapshot(socket)).snapshot
        site.recipe("morkov", 'name = "Mørkøv"\ndefault_duration = "lang"\n')
        content = server.app_state.content
        await eventually(lambda: content.recipe_errors)
        error = next(iter(content.recipe_errors.values()))
        assert error.line == 2 and "default_duration" in error.problem
        assert server.app_state.hub.current("morkov").snapshot.version == before.version
        site.recipe("morkov", 'name = "Mørkøv"\ndefault_duration = 9\n')
        after = (await receive_snapshot(socket)).snapshot
        assert {item.duration for item in after.items} == {9}
        assert not content.recipe_errors


async def test_a_damaged_file_is_skipped_and_the_rest_plays(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(socket)
        site.drop("morkov", "03-halv.jpg", jpeg((9, 9, 9))[:400])
        site.drop("morkov", "04-ok.jpg", jpeg((0, 90, 90)))
        items = (await receive_snapshot(socket)).snapshot.items
    assert [item.id for item in items] == [
        "morkov/01-plakat.jpg",
        "morkov/02-plakat.jpg",
        "morkov/04-ok.jpg",
    ]
    problems = server.app_state.content.library.problems
    assert [path.name for path in problems] == ["03-halv.jpg"]


async def test_file_still_being_written_is_picked_up_once_complete(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    data = jpeg((10, 120, 200), size=(1600, 900), quality=95)
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(socket)
        path: Path = site.assets / "morkov" / "05-kopi.jpg"
        with path.open("wb") as file:  # a slow copy: half now, the rest a moment later
            file.write(data[: len(data) // 2])
            file.flush()
            import asyncio

            await asyncio.sleep(0.2)
            file.write(data[len(data) // 2 :])
        items = (await receive_snapshot(socket, seconds=15)).snapshot.items
    assert "morkov/05-kopi.jpg" in [item.id for item in items]
    assert not server.app_state.content.library.problems


async def test_removed_file_leaves_the_playlist(site: Site, server: RunningServer) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(socket)
        (site.assets / "morkov" / "01-plakat.jpg").unlink()
        items = (await receive_snapshot(socket)).snapshot.items
    assert [item.id for item in items] == ["morkov/02-plakat.jpg"]


async def test_assets_healthz_and_index(site: Site, server: RunningServer) -> None:
    import httpx

    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        snapshot = (await receive_snapshot(socket)).snapshot
    async with httpx.AsyncClient(base_url=server.url) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        sha = snapshot.assets[0].sha256
        asset = await client.get(f"/assets/{sha}")
        assert asset.status_code == 200
        assert asset.headers["content-type"] == "image/jpeg"
        assert "immutable" in asset.headers["cache-control"]
        import hashlib

        assert hashlib.sha256(asset.content).hexdigest() == sha
        assert (await client.get("/assets/" + "0" * 64)).status_code == 404
        assert (await client.get("/assets/../../etc/passwd")).status_code == 404
        assert (await client.get("/")).status_code == 303  # the overview needs a login
        add_user(site.settings)
        assert (await log_in(client)).status_code == 303
        index = await client.get("/")
        assert index.status_code == 200 and "Mørkøv" in index.text
        assert "default-src 'self'" in index.headers["content-security-policy"]
    assert json.loads(health.text)["areas"] == 1


async def test_a_reconnect_before_the_old_connection_ends_stays_online(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    db = server.app_state.db
    old = await connect(server.ws_url)
    await old.send(serialize(Hello(token=token, version=None)))
    await receive_snapshot(old)
    async with connect(server.ws_url) as new:
        await new.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(new)
        await old.close()
        await eventually(lambda: server.app_state.hub.connected() == 1)
        assert screens.all_screens(db)[0].connected
        await new.send(serialize(Status(version=None, item=None, time=2)))
        await new.send(serialize(Status(version="v", item="x", time=3)))
        await eventually(lambda: screens.all_screens(db)[0].item == "x")
        await new.send(serialize(Status(version="v", item=None, time=4)))
        await eventually(lambda: screens.all_screens(db)[0].item is None)


async def test_blob_leftovers_are_swept_at_start(site: Site) -> None:
    leftover = site.settings.blobs / "ab" / ".tmp-crash"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    running = RunningServer(site.settings)
    await running.start()
    await running.stop()
    assert not leftover.exists()


async def test_a_failing_content_loop_is_started_again() -> None:
    import asyncio
    import contextlib

    from signage_server.content import _restarting

    calls = 0
    done = asyncio.Event()

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("watcher lost its folder")
        done.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(_restarting(flaky))
    try:
        await asyncio.wait_for(done.wait(), timeout(5))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert calls == 2


async def test_a_1_3_player_gets_the_servers_clock_at_once(
    site: Site, server: RunningServer
) -> None:
    """Without waiting 20 s for the first heartbeat: a player whose clock is not synchronised
    trusts it at once, and applies its schedules and opening hours (protocol 1.3)."""
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        while not isinstance(message := parse_server_message(await _recv(socket, 5)), Heartbeat):
            pass
        assert abs(message.time - time.time()) < 5
    # A 1.2 player gets what it got before: the snapshot and plays_ack 0, no heartbeat yet.
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None, protocol="1.2")))
        kinds = [parse_server_message(await _recv(socket, 5)).type for _ in range(2)]
        assert sorted(kinds) == ["plays_ack", "snapshot"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(socket.recv(), 1.0)
