"""Pairing a screen by a code: a raw websocket client on /ws/pair gets a code, an admin types
it on the Skærme page, the client gets its token, which then works on /ws/player; and every
way it must fail (wrong, expired, used, closed, not an admin, guessing, too many sockets)."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from player import protocol
from player.protocol import (
    Hello,
    Pair,
    PairCode,
    Paired,
    parse_server_message,
    serialize,
)
from signage_server import pairing, screens
from signage_server.pairing import Pairings, Refused, WrongCodes

from .logins import EMAILS, add_user, admin_client, csrf_of, log_in, matrix_people
from .support import RunningServer, Site, eventually, timeout
from .test_players_socket import closed_with, receive_snapshot


def pair_url(server: RunningServer) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/pair"


async def receive_code(socket: ClientConnection) -> PairCode:
    while True:
        message = parse_server_message(await asyncio.wait_for(socket.recv(), timeout(10)))
        if isinstance(message, PairCode):
            return message


async def asking(server: RunningServer) -> tuple[ClientConnection, PairCode]:
    socket = await connect(pair_url(server))
    await socket.send(serialize(Pair(software="test-player/1")))
    return socket, await receive_code(socket)


async def post_code(
    http: httpx.AsyncClient, code: str, area: str = "morkov", name: str = "Hallen"
) -> httpx.Response:
    page = await http.get("/screens")
    return await http.post(
        "/screens/pair",
        data={"code": code, "area": area, "name": name, "csrf_token": csrf_of(page.text)},
    )


def screen_count(server: RunningServer) -> int:
    return len(screens.all_screens(server.app_state.db, revoked=True))


# --- codes, in memory -------------------------------------------------------------


def test_codes_are_read_as_people_type_them() -> None:
    assert pairing.normalize("k7m-4qx") == "K7M4QX"
    assert pairing.normalize(" K7M 4QX ") == "K7M4QX"
    assert pairing.normalize("K7M4Q") is None  # too short
    assert pairing.normalize("K7M4Q0") is None  # 0 is never in a code
    assert pairing.display("K7M4QX") == "K7M-4QX"
    code = pairing.new_code()
    assert len(code) == 6 and set(code) <= set(pairing.ALPHABET)
    assert not set("01OIL") & set(pairing.ALPHABET)


async def test_a_code_pairs_once_while_its_connection_is_open_and_until_it_expires() -> None:
    now = [1000.0]
    pairings = Pairings(clock=lambda: now[0], code_seconds=600)
    slot = pairings.open("10.0.0.1")
    code = pairings.issue(slot)
    assert pairings.claim(code) is slot
    assert pairings.claim(code) is None  # used
    other = pairings.open("10.0.0.1")
    expired = pairings.issue(other)
    now[0] += 600
    assert pairings.claim(expired) is None
    renewed = pairings.issue(other)  # the socket sends a fresh one before expiry
    assert pairings.claim(expired) is None and renewed != expired
    pairings.close(other)
    assert pairings.claim(renewed) is None  # its connection is gone
    assert other.delivered.done() and other.delivered.result() is False


async def test_limits_on_sockets_and_codes() -> None:
    pairings = Pairings(max_open_per_client=2, max_open=3, max_codes_per_client=3)
    first, _ = pairings.open("a"), pairings.open("a")
    with pytest.raises(Refused, match="from this address"):
        pairings.open("a")
    pairings.open("b")
    with pytest.raises(Refused, match="too many pairing connections"):
        pairings.open("c")  # the global cap
    for _ in range(3):
        pairings.issue(first)
    with pytest.raises(Refused, match="codes"):
        pairings.issue(first)


def test_wrong_codes_are_limited_per_user() -> None:
    now = [0.0]
    wrong = WrongCodes(clock=lambda: now[0], limit=3, window=600)
    for _ in range(3):
        assert wrong.wait("user:1") == 0
        wrong.failed("user:1")
    assert wrong.wait("user:1") == 600 and wrong.wait("user:2") == 0
    now[0] += 601
    assert wrong.wait("user:1") == 0


# --- end to end ----------------------------------------------------------------


async def test_pairing_end_to_end(site: Site, server: RunningServer) -> None:
    socket, offer = await asking(server)
    try:
        assert re.fullmatch(f"[{pairing.ALPHABET}]{{6}}", offer.code)
        assert offer.url == f"http://127.0.0.1:{server.port}/screens?code={offer.code}"
        assert offer.qr.startswith("<svg") and "</svg>" in offer.qr
        assert 590 < offer.expires_at - time.time() <= 600
        async with admin_client(site.settings, server.url) as http:
            form = await http.get(f"/screens?code={offer.code}")
            assert "Tilknyt skærm" in form.text
            assert f'value="{offer.code}"' in form.text  # the QR code's link fills it in
            assert '<option value="morkov">Mørkøv</option>' in form.text
            typed = f"{offer.code[:3].lower()}-{offer.code[3:].lower()}"
            answer = await post_code(http, typed, name="Forsamlingshuset")
            assert answer.status_code == 303, answer.text
            paired = parse_server_message(await asyncio.wait_for(socket.recv(), timeout(10)))
            assert isinstance(paired, Paired)
            assert (paired.area, paired.name) == ("morkov", "Forsamlingshuset")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), timeout(10))
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
            done = await http.get(answer.headers["location"])
            assert "Skærmen »Forsamlingshuset« er tilknyttet Mørkøv" in done.text
            assert paired.token not in done.text
    finally:
        await socket.close()
    db = server.app_state.db
    row = db.execute("SELECT id, token_hash FROM screens").fetchone()
    assert row["token_hash"] == screens.hash_token(paired.token)  # only the hash is kept
    audit = db.execute("SELECT actor, action, subject, detail FROM audit_log").fetchall()
    assert [(a["actor"], a["action"], a["subject"]) for a in audit] == [
        ("user:admin@holbaek.dk", "pair", f"screen:{row['id']}")
    ]
    assert json.loads(audit[0]["detail"])["software"] == "test-player/1"
    # The token works as any screen's.
    async with connect(server.ws_url) as player:
        await player.send(serialize(Hello(token=paired.token, version=None, protocol="1.3")))
        snapshot = await receive_snapshot(player)
        assert snapshot.snapshot.area.id == "morkov"
        await eventually(lambda: screens.all_screens(db)[0].connected)
    # The code is spent.
    async with httpx.AsyncClient(base_url=server.url) as again:
        await log_in(again)
        twice = await post_code(again, offer.code, name="Igen")
        assert twice.status_code == 400 and "Koden er forkert, udløbet eller allerede brugt" in (
            twice.text
        )
    assert screen_count(server) == 1


async def test_wrong_expired_and_closed_codes_create_nothing(
    site: Site, server: RunningServer
) -> None:
    pairings: Pairings = server.app_state.pairings
    async with admin_client(site.settings, server.url) as http:
        wrong = await post_code(http, "ABCDEF")
        assert wrong.status_code == 400
        assert "Koden er forkert, udløbet eller allerede brugt" in wrong.text
        assert 'value="Hallen"' in wrong.text  # what was typed stays
        nonsense = await post_code(http, "hej")
        assert nonsense.status_code == 400 and "Det er ikke en kode fra skærmen" in nonsense.text
        # Expired: the server's clock for codes moves on past its lifetime.
        socket, offer = await asking(server)
        try:
            real = pairings.clock
            pairings.clock = lambda: real() + pairings.code_seconds + 1
            try:
                expired = await post_code(http, offer.code)
            finally:
                pairings.clock = real
            assert expired.status_code == 400 and "udløbet" in expired.text
        finally:
            await socket.close()
        # The connection showing it closed.
        socket, offer = await asking(server)
        await socket.close()
        await eventually(lambda: len(pairings) == 0)
        gone = await post_code(http, offer.code)
        assert gone.status_code == 400 and "udløbet" in gone.text
        # No area, no name: the code is not spent.
        socket, offer = await asking(server)
        try:
            incomplete = await post_code(http, offer.code, area="nowhere", name=" ")
            assert incomplete.status_code == 400
            assert "Vælg skærmens område" in incomplete.text and "Giv skærmen et navn" in (
                incomplete.text
            )
            assert pairings.claim(offer.code) is not None  # still good
        finally:
            await socket.close()
    assert screen_count(server) == 0


async def test_a_fresh_code_comes_before_the_old_one_expires(
    site: Site, server: RunningServer
) -> None:
    pairings: Pairings = server.app_state.pairings
    pairings.code_seconds = 1.0  # renewed after half of it
    socket, first = await asking(server)
    try:
        second = await receive_code(socket)
        assert second.code != first.code and second.expires_at > first.expires_at
        assert pairings.claim(first.code) is None
    finally:
        await socket.close()


async def test_only_admins_pair(site: Site, server: RunningServer) -> None:
    matrix_people(site)
    socket, offer = await asking(server)
    try:
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            page = await anonymous.get("/login")
            answer = await anonymous.post(
                "/screens/pair",
                data={"code": offer.code, "area": "morkov", "name": "x", "csrf_token": "y"},
            )
            assert answer.status_code == 403  # no session, no CSRF token
            shown = await anonymous.get(f"/screens?code={offer.code}")
            assert shown.status_code == 303 and shown.headers["location"].startswith("/login")
            assert page.status_code == 200
        async with httpx.AsyncClient(base_url=server.url) as editor:
            await log_in(editor, EMAILS["editor here"])
            start = await editor.get("/")
            refused = await editor.post(
                "/screens/pair",
                data={
                    "code": offer.code,
                    "area": "morkov",
                    "name": "x",
                    "csrf_token": csrf_of(start.text),
                },
            )
            assert refused.status_code == 403
        assert server.app_state.pairings.claim(offer.code) is not None  # untouched
    finally:
        await socket.close()
    assert len(screens.all_screens(server.app_state.db)) == 1  # matrix_people's own


async def test_guessing_codes_is_stopped(site: Site, server: RunningServer) -> None:
    socket, offer = await asking(server)
    try:
        async with admin_client(site.settings, server.url) as http:
            for _ in range(pairing.MAX_WRONG_PER_USER):
                assert (await post_code(http, "ABCDEF")).status_code == 400
            stopped = await post_code(http, offer.code)  # even the right one now
            assert stopped.status_code == 429
            assert "For mange forkerte koder. Prøv igen om 10 minutter." in stopped.text
            assert int(stopped.headers["retry-after"]) > 500
        # Another admin is not stopped.
        add_user(site.settings, "other@holbaek.dk")
        async with httpx.AsyncClient(base_url=server.url) as other:
            await log_in(other, "other@holbaek.dk")
            assert (await post_code(other, offer.code)).status_code == 303
    finally:
        await socket.close()


async def test_too_many_pairing_sockets_from_one_address_are_refused(
    site: Site, server: RunningServer
) -> None:
    sockets = [(await asking(server))[0] for _ in range(pairing.MAX_OPEN_PER_CLIENT)]
    try:
        async with connect(pair_url(server)) as extra:
            code, reason = await closed_with(extra)  # at once, before it asks
        assert code == pairing.CLOSE_REFUSED and "too many" in reason
    finally:
        for socket in sockets:
            await socket.close()
    await eventually(lambda: len(server.app_state.pairings) == 0)
    socket, _ = await asking(server)  # room again
    await socket.close()


async def test_a_pairing_socket_does_nothing_else(site: Site, server: RunningServer) -> None:
    token = site.screen()
    async with connect(pair_url(server)) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        code, reason = await closed_with(socket)
    assert code == protocol.CLOSE_PROTOCOL_ERROR and "expected pair, got hello" in reason
    socket, _ = await asking(server)
    async with socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        code, reason = await closed_with(socket)
    assert code == protocol.CLOSE_PROTOCOL_ERROR and "expected heartbeat, got hello" in reason
    async with connect(server.ws_url) as player:
        await player.send(serialize(Pair()))
        code, reason = await closed_with(player)
    assert code == protocol.CLOSE_PROTOCOL_ERROR
    async with connect(server.ws_url) as player:
        await player.send(serialize(Hello(token=token, version=None)))
        await receive_snapshot(player)
        await player.send(serialize(Pair()))
        code, reason = await closed_with(player)
    assert code == protocol.CLOSE_PROTOCOL_ERROR and "got pair" in reason
