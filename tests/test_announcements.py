"""Announcements, against a real server on loopback with real websocket clients speaking
protocol 1.2: sent from the web UI, received by every screen of the area at once and
acknowledged, shown and reported, caught up after a reconnect and after a server restart,
cancelled everywhere, never to a 1.1 player, never past their end; and the rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from player.protocol import (
    Ack,
    Announcements,
    Hello,
    Shown,
    parse_server_message,
    serialize,
)
from signage_server import announcements, store
from signage_server.announcements import AnnouncementError, Draft

from .logins import MatrixRow, add_user, check_route_matrix, csrf_of, log_in, matrix_people
from .support import RunningServer, Site, eventually, timeout

NOW = 1_800_000_000.0
AREAS = ("morkov", "jyderup")


# --- the rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (Draft(""), "title"),
        (Draft("x" * 10_000), "title"),
        (Draft("Ok", "y" * 10_000), "text"),
        (Draft("Ok", severity="loud"), "severity"),
        (Draft("Ok", areas=()), "areas"),
        (Draft("Ok", areas=("atlantis",)), "areas"),
        (Draft("Ok", severity="urgent"), "ends_at"),
        (Draft("Ok", starts_at=NOW - 3600), "starts_at"),
        (Draft("Ok", starts_at=NOW + 60, ends_at=NOW + 30), "ends_at"),
        (Draft("Ok", ends_at=NOW + 40 * 86400), "ends_at"),
    ],
)
def test_bad_drafts_are_refused_with_the_field(draft: Draft, field: str) -> None:
    with pytest.raises(AnnouncementError) as caught:
        announcements.check(draft, AREAS, NOW)
    assert caught.value.field == field and caught.value.danish


def test_a_checked_draft() -> None:
    checked = announcements.check(
        Draft("  Vand <b>lukket</b> ", "kl. 10\r\n\r\n\r\n14", areas=("morkov", "all")), AREAS, NOW
    )
    assert checked.title == "Vand <b>lukket</b>"  # text, escaped where it is shown
    assert checked.text == "kl. 10\n\n14"
    assert checked.areas == ("all",)
    assert checked.starts_at == NOW and checked.ends_at == NOW + 24 * 3600


def test_storage_sequence_and_audit(tmp_path: object) -> None:
    from pathlib import Path

    db = store.connect(Path(str(tmp_path)) / "a.db")
    first = announcements.add(
        db, announcements.check(Draft("A", areas=("morkov",)), AREAS, NOW), "user:a", NOW
    )
    second = announcements.add(
        db,
        announcements.check(Draft("B", severity="urgent", ends_at=NOW + 60), AREAS, NOW),
        "user:b",
        NOW,
    )
    assert first.seq < second.seq == announcements.current_seq(db)
    assert [a.id for a in announcements.area_set(announcements.live(db, NOW), "morkov")] == [
        second.id,  # urgent first
        first.id,
    ]
    assert [a.id for a in announcements.area_set(announcements.live(db, NOW), "jyderup")] == [
        second.id
    ]
    assert announcements.cancel(db, first.id, "user:c", NOW + 1)
    assert not announcements.cancel(db, first.id, "user:c", NOW + 2)  # once
    assert announcements.current_seq(db) > second.seq
    assert [a.id for a in announcements.live(db, NOW + 3)] == [second.id]
    assert announcements.live(db, NOW + 60) == []  # ended
    log = announcements.audit(db)
    assert [(entry["action"], entry["actor"]) for entry in log] == [
        ("cancel", "user:c"),
        ("announce", "user:b"),
        ("announce", "user:a"),
    ]
    assert log[1]["detail"]["severity"] == "urgent"  # type: ignore[index]


# --- end to end ------------------------------------------------------------------------


async def hello(server: RunningServer, token: str, protocol: str = "1.2") -> ClientConnection:
    socket = await connect(server.ws_url)
    await socket.send(serialize(Hello(token=token, version=None, protocol=protocol)))
    return socket


async def next_announcements(socket: ClientConnection, seconds: float = 5) -> Announcements:
    deadline = time.monotonic() + timeout(seconds)
    while True:
        frame = await asyncio.wait_for(socket.recv(), max(0.01, deadline - time.monotonic()))
        message = parse_server_message(frame)
        if isinstance(message, Announcements):
            return message


async def admin(site: Site, server: RunningServer) -> httpx.AsyncClient:
    add_user(site.settings, "kommunikation@holbaek.dk", "admin")
    client = httpx.AsyncClient(base_url=server.url)
    assert (await log_in(client, "kommunikation@holbaek.dk")).status_code == 303
    return client


async def send(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = csrf_of((await client.get("/announcements")).text)
    areas = fields.pop("areas", "morkov").split(",")
    return await client.post(
        "/announcements",
        data={"csrf_token": token, **fields, "areas": areas},
        files={"picture": ("", b"")},
    )


async def test_sent_received_shown_cancelled_and_caught_up(
    site: Site, server: RunningServer
) -> None:
    tokens = [site.screen(name=f"Skærm {n}") for n in range(3)]
    old_token = site.screen(name="Gammel")
    sockets = [await hello(server, token) for token in tokens]
    old = await hello(server, old_token, protocol="1.1")
    client = await admin(site, server)
    try:
        in_an_hour = dt.datetime.now(ZoneInfo("Europe/Copenhagen")) + dt.timedelta(hours=1)
        ends = in_an_hour.strftime("%Y-%m-%dT%H:%M")
        answer = await send(
            client, title="Vandet er lukket", text="I dag kl. 10–14", severity="urgent", ends=ends
        )
        assert answer.status_code == 303, answer.text
        got = await asyncio.gather(*(next_announcements(socket) for socket in sockets))
        assert all(
            [a.title for a in message.announcements] == ["Vandet er lukket"] for message in got
        )
        announcement_id = got[0].announcements[0].id
        seq = got[0].seq
        # Two screens acknowledge; one of them shows it.
        await sockets[0].send(serialize(Ack(seq)))
        await sockets[1].send(serialize(Ack(seq)))
        await sockets[0].send(serialize(Shown(announcement_id, time.time())))
        await sockets[2].close()
        page_url = answer.headers["location"].split("?")[0]

        async def every_state_shows() -> bool:
            page = (await client.get(page_url)).text
            return all(word in page for word in ("vist", "modtaget", "offline"))

        assert await eventually(every_state_shows)  # type: ignore[arg-type]
        page = (await client.get(page_url)).text
        assert 'http-equiv="refresh"' in page
        # The 1.1 player got nothing it cannot read.
        with pytest.raises(TimeoutError):
            await next_announcements(old, 0.5)

        # The closed screen comes back: it gets the set at once.
        again = await hello(server, tokens[2])
        caught_up = await next_announcements(again)
        assert [a.id for a in caught_up.announcements] == [announcement_id]

        # Cancel: every screen gets a set without it within a second.
        token = csrf_of(page)
        assert (
            await client.post(f"{page_url}/cancel", data={"csrf_token": token})
        ).status_code == 303
        for socket in (sockets[0], sockets[1], again):
            message = await next_announcements(socket, 2)
            assert message.announcements == () and message.seq > seq
    finally:
        await client.aclose()
        for socket in (*sockets, old):
            await socket.close()


async def test_the_set_survives_a_restart_and_skips_other_areas(
    site: Site, server: RunningServer
) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\nsources = ["jyderup"]\n')
    await eventually(lambda: "jyderup" in server.app_state.content.recipes)
    client = await admin(site, server)
    try:
        answer = await send(client, title="Husk valget tirsdag", areas="jyderup")
        assert answer.status_code == 303, answer.text
    finally:
        await client.aclose()
    await server.stop()
    await server.start()
    morkov = await hello(server, site.screen())
    jyderup = await hello(server, site.screen(area="jyderup"))
    try:
        message = await next_announcements(jyderup)
        assert [a.title for a in message.announcements] == ["Husk valget tirsdag"]
        assert message.announcements[0].severity == "info"
        # Mørkøv has none: an empty set, which clears anything stale a screen kept.
        assert (await next_announcements(morkov)).announcements == ()

        # The info announcement is also a slide, first in Jyderup's rotation.
        def first_item() -> str | None:
            published = server.app_state.hub.current("jyderup")
            return (
                published.snapshot.items[0].id if published and published.snapshot.items else None
            )

        assert str(await eventually(first_item)).startswith("announcement/")
    finally:
        await morkov.close()
        await jyderup.close()


async def test_bad_input_and_permissions(site: Site, server: RunningServer) -> None:
    client = await admin(site, server)
    editor = httpx.AsyncClient(base_url=server.url)
    add_user(site.settings, "redaktor@morkov.dk", "editor", ("morkov",))
    try:
        for fields, message in [
            ({"title": ""}, "Skriv en overskrift"),
            ({"title": "x" * 10_000}, "for lang"),
            ({"title": "Ok", "severity": "urgent"}, "sluttidspunkt"),
            ({"title": "Ok", "ends": "i morgen"}, "Skriv tidspunktet"),
            ({"title": "Ok", "areas": "atlantis"}, "Ukendt område"),
        ]:
            answer = await send(client, **fields)
            assert answer.status_code == 400 and message in answer.text, (
                fields,
                answer.text[-800:],
            )
        db = store.connect(site.settings.database)
        try:
            assert announcements.recent(db) == []
        finally:
            db.close()
        # Without the CSRF token: refused, nothing stored.
        forged = await client.post(
            "/announcements", data={"title": "x", "areas": "morkov"}, files={"picture": ("", b"")}
        )
        assert forged.status_code == 403
        # Anonymous: to the login. A screen's token is nobody in the web UI.
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            assert (await anonymous.get("/announcements")).status_code == 303
        assert (await log_in(editor, "redaktor@morkov.dk")).status_code == 303
        # An editor may not announce to all areas, nor to another area.
        for areas in ("all", "jyderup"):
            token = csrf_of((await editor.get("/account/password")).text)
            answer = await editor.post(
                "/announcements",
                data={"csrf_token": token, "title": "Ok", "areas": areas},
                files={"picture": ("", b"")},
            )
            assert answer.status_code in (403, 400), areas
    finally:
        await client.aclose()
        await editor.aclose()


async def test_an_editor_announces_to_their_own_area(site: Site, server: RunningServer) -> None:
    add_user(site.settings, "redaktor@morkov.dk", "editor", ("morkov",))
    async with httpx.AsyncClient(base_url=server.url) as editor:
        assert (await log_in(editor, "redaktor@morkov.dk")).status_code == 303
        page = await editor.get("/announcements")
        assert 'value="morkov"' in page.text and 'value="all"' not in page.text
        answer = await send(editor, title="Fællesspisning aflyst")
        assert answer.status_code == 303, answer.text
        assert "Fællesspisning aflyst" in (await editor.get(answer.headers["location"])).text


ROUTES: list[MatrixRow] = [
    # method, path, anonymous, editor here, editor elsewhere, admin, screen
    ("GET", "/announcements", 303, 200, 200, 200, 303),
    ("POST", "/announcements", 303, 400, 400, 400, 303, {"title": "x", "areas": "morkov"}),
    ("GET", "/announcements/999", 303, 404, 404, 404, 303),
    ("POST", "/announcements/999/cancel", 303, 404, 404, 404, 303),
]


async def test_route_matrix(site: Site, server: RunningServer) -> None:
    await check_route_matrix(server.url, matrix_people(site), ROUTES)


async def test_an_id_beyond_sqlites_integers_is_not_found(
    site: Site, server: RunningServer
) -> None:
    client = await admin(site, server)
    try:
        assert (await client.get("/announcements/" + "9" * 30)).status_code == 404
    finally:
        await client.aclose()
