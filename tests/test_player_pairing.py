"""Pairing: the real player daemon without a token against a stand-in server on loopback."""

from __future__ import annotations

import asyncio
import socket
import stat
import time
from pathlib import Path

import httpx
import pytest

from player import daemon
from player import pairing as pairing_module
from player.pairing import Pairing, TokenFile, display_code, pair_url
from player.protocol import Heartbeat, PairCode, Paired, parse_player_message, serialize

from .player_fakes import fake_server, page_message, running_player, wait_state

QR = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
    '<rect width="4" height="4" fill="#fff"/><rect width="2" height="2" fill="#000"/></svg>'
)
TOKEN = "scr_caon6EA8tUfLV2xkp1cr41s5eB8EOH39"


@pytest.fixture(autouse=True)
def quick_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 0.3)
    monkeypatch.setattr(daemon, "BACKOFF_FATAL", 0.3)


def code(text: str, url: str = "http://server/screens?code=x") -> str:
    return serialize(PairCode(text, time.time() + 300, url, QR))


async def test_pairs_saves_the_token_and_connects_with_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    async with fake_server() as server, running_player(server.url, cache) as player:
        pairing = await server.next_pair_socket()
        assert server.pairs[0].software == daemon.SOFTWARE
        async with player.page() as page:
            waiting = await page_message(page, "pairing")
            assert waiting["active"] is True and waiting["server"] == server.url
            await pairing.send(code("K7M4QX"))
            shown = await page_message(page, "pairing", lambda m: m["code"] == "K7M4QX")
            assert shown["qr"] == QR and shown["expires_at"] > time.time()
            state = await player.state()
            assert state["pairing"]["code"] == "K7M4QX"
            assert state["pairing"]["server"] == server.url
            assert state["paired"] is False and state["connected"] is False
            assert state["version"] is None and state["item"] is None
            # A new code replaces the old one before it expires.
            await pairing.send(code("ABC123"))
            await page_message(page, "pairing", lambda m: m["code"] == "ABC123")
            assert (await player.state())["pairing"]["code"] == "ABC123"
            assert player.player.describe_screen() == "Parringskode vises: ABC-123"
            await pairing.send(serialize(Paired(TOKEN, "morkov", "Forsamlingshuset")))
            hello, _ = await server.next_hello()
            assert hello.token == TOKEN
            done = await page_message(page, "pairing", lambda m: not m["active"])
            assert done["code"] is None
        token_file = cache / "token"
        assert token_file.read_text() == TOKEN
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        state = await wait_state(player, lambda s: s["connected"])
        assert state["pairing"] is None and state["paired"] is True
        assert len(server.pairs) == 1


async def test_a_refused_token_is_forgotten_and_the_screen_pairs_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "token").write_text(TOKEN)
    async with fake_server() as server, running_player(server.url, cache) as player:
        hello, player_socket = await server.next_hello()
        assert hello.token == TOKEN  # the saved token: no pairing
        assert server.pair_sockets.empty()
        await wait_state(player, lambda s: s["connected"] and s["paired"])
        server.refuse.add(TOKEN)
        await player_socket.close(4001, "token revoked")
        pairing = await server.next_pair_socket()
        assert not (cache / "token").exists()
        await pairing.send(code("K7M4QX"))
        state = await wait_state(player, lambda s: s["pairing"] and s["pairing"]["code"])
        assert state["paired"] is False
        assert "4001" in state["last_error"]
        # Paired anew: the new token is kept and used.
        await pairing.send(serialize(Paired("scr_new", "morkov", "Forsamlingshuset")))
        hello, _ = await server.next_hello()
        assert hello.token == "scr_new"
        assert (cache / "token").read_text() == "scr_new"


async def test_a_refused_flag_token_pairs_for_this_run(tmp_path: Path) -> None:
    async with fake_server() as server:
        server.refuse.add("scr_wrong")
        async with running_player(server.url, tmp_path / "c", token="scr_wrong") as player:
            hello, _ = await server.next_hello()
            assert hello.token == "scr_wrong"
            await server.next_pair_socket()
            state = await wait_state(player, lambda s: s["pairing"] is not None)
            assert state["paired"] is False


async def test_the_pairing_view_is_served_while_the_server_is_unreachable(
    tmp_path: Path,
) -> None:
    with socket.socket() as placeholder:  # a port where nothing listens
        placeholder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
    async with running_player(url, tmp_path / "c") as player:
        state = await wait_state(player, lambda s: s["pairing"] and s["pairing"]["error"])
        assert state["pairing"]["code"] is None and state["pairing"]["server"] == url
        assert "cannot connect" in state["pairing"]["error"]
        assert state["connected"] is False and state["version"] is None
        async with player.page() as page:
            message = await page_message(page, "pairing")
            assert message["active"] is True and message["code"] is None
        async with httpx.AsyncClient(base_url=player.base) as client:
            page_html = await client.get("/")
            assert page_html.status_code == 200 and 'id="pairing"' in page_html.text
        assert player.player.describe_screen() == "Parringskode vises"


async def test_a_malformed_pairing_frame_is_survived(tmp_path: Path) -> None:
    async with fake_server() as server, running_player(server.url, tmp_path / "c") as player:
        first = await server.next_pair_socket()
        await first.send(code("K7M4QX"))
        await wait_state(player, lambda s: s["pairing"]["code"] == "K7M4QX")
        await first.send('{"type": "pair_code", "code": 7}')
        await first.wait_closed()
        assert first.close_code == 4000
        # The code of a closed connection is void: none shown until the next one comes.
        second = await server.next_pair_socket()
        await second.send(code("ZZZ999"))
        state = await wait_state(player, lambda s: s["pairing"]["code"] == "ZZZ999")
        assert state["pairing"]["connected"] is True
        await second.send("not json")
        third = await server.next_pair_socket()
        await third.send(serialize(Paired(TOKEN, "morkov", "Hallen")))
        hello, _ = await server.next_hello()
        assert hello.token == TOKEN


async def test_heartbeats_keep_the_pairing_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pairing_module, "HEARTBEAT_SECONDS", 0.1)
    async with fake_server() as server, running_player(server.url, tmp_path / "c") as player:
        pairing = await server.next_pair_socket()
        await pairing.send(serialize(Heartbeat(time.time())))  # the server's: not an error
        await pairing.send(code("K7M4QX"))
        await wait_state(player, lambda s: s["pairing"]["code"] == "K7M4QX")
        for _ in range(2):
            beat = parse_player_message(await asyncio.wait_for(pairing.recv(), 5))
            assert isinstance(beat, Heartbeat) and beat.health is None
        assert len(server.pairs) == 1  # the same connection all along


def test_pair_url_keeps_the_scheme_and_prefix() -> None:
    assert pair_url("http://skaerm.dk:8000") == "ws://skaerm.dk:8000/ws/pair"
    assert pair_url("https://skaerm.dk/signage") == "wss://skaerm.dk/signage/ws/pair"
    http = daemon.server_urls("ws://h:1/ws/player")[1]
    assert pair_url(http) == "ws://h:1/ws/pair"


def test_token_file(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    tokens = TokenFile(tmp_path / "token", tmp_path / "tmp")
    assert tokens.load() is None
    tokens.save(TOKEN)
    assert tokens.load() == TOKEN
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
    assert list((tmp_path / "tmp").iterdir()) == []
    (tmp_path / "token").write_text(" \n")
    assert tokens.load() is None
    tokens.delete()
    tokens.delete()  # gone already: fine
    assert not (tmp_path / "token").exists()


def test_pairing_state_and_codes() -> None:
    pairing = Pairing("http://s")
    pairing.got(PairCode("K7M4QX", 10.0, "http://s/screens?code=K7M4QX", QR))
    assert pairing.state()["code"] == "K7M4QX"
    assert pairing.page_message()["qr"] == QR
    pairing.lost("cannot connect: refused")
    assert pairing.state() == {
        "code": None,
        "expires_at": None,
        "server": "http://s",
        "url": None,
        "connected": False,
        "error": "cannot connect: refused",
    }
    assert display_code("K7M4QX") == "K7M-4QX"
    assert display_code("K7M-4QX") == "K7M-4QX"
    assert display_code("1234") == "1234"
