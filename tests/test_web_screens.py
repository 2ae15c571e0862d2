"""The admins' screens page against a real server on loopback, with real player websockets:
online and offline since when, what each screen shows, its versions; revoking a screen
closes its socket at once and refuses it ever after; who may do any of it."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from player import protocol
from player.protocol import Heartbeat, Hello, Status, serialize
from signage_server import screens, store
from signage_server.web import i18n
from signage_server.web.screens import moment

from .logins import EMAILS, admin_client, check_route_matrix, csrf_of, log_in, matrix_people
from .support import RunningServer, Site, eventually, jpeg, timeout
from .test_players_socket import closed_with, receive_snapshot

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
TITLED = (
    'name = "Mørkøv"\ndefault_duration = 5\nsources = ["morkov", "all"]\n'
    '[slides."01-plakat.jpg"]\ntitle = "Julemarked i hallen"\n'
)


def clock(when: float) -> str:
    return dt.datetime.fromtimestamp(when, COPENHAGEN).strftime("%H.%M")


def screen_named(db: sqlite3.Connection, name: str) -> screens.Screen:
    return next(s for s in screens.all_screens(db, revoked=True) if s.name == name)


async def hello(server: RunningServer, token: str, software: str = "") -> ClientConnection:
    """A player connected with ``token``, which has had its snapshot."""
    socket = await connect(server.ws_url)
    await socket.send(serialize(Hello(token=token, version=None, software=software)))
    await receive_snapshot(socket)
    return socket


async def test_the_page_shows_each_screen_its_state_item_and_versions(
    site: Site, server: RunningServer
) -> None:
    site.recipe("morkov", TITLED)
    hub, db = server.app_state.hub, server.app_state.db
    await eventually(lambda: hub.current("morkov").snapshot.items[0].title == "Julemarked i hallen")
    current = hub.current("morkov").snapshot.version
    hall = site.screen(name="Forsamlingshuset")
    school = site.screen(name="Skolen")
    site.screen(name="Kirken")  # never connected
    async with admin_client(site.settings, server.url) as http:
        online = await hello(server, hall, software="lokalskaerm-player/9.9.9")
        try:
            await online.send(serialize(Status(current, "morkov/01-plakat.jpg", time.time())))
            old = await hello(server, school)
            await old.send(serialize(Status("gammel0123456789", "morkov/gone.jpg", time.time())))
            await eventually(lambda: screen_named(db, "Skolen").item == "morkov/gone.jpg")
            await old.close()
            await eventually(lambda: not screen_named(db, "Skolen").connected)
            await eventually(lambda: screen_named(db, "Forsamlingshuset").item is not None)
            page = await http.get("/screens")
        finally:
            await online.close()
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    text = page.text
    rows = {name: text[text.index(f">{name} <") :] for name in ("Forsamlingshuset", "Skolen")}
    rows = {name: row[: row.index("</tr>")] for name, row in rows.items()}
    hall_row, school_row = rows["Forsamlingshuset"], rows["Skolen"]
    kirken = text[text.index(">Kirken <") :]
    hall_screen, school_screen = screen_named(db, "Forsamlingshuset"), screen_named(db, "Skolen")
    assert hall_screen.connected_at is not None and school_screen.disconnected_at is not None
    assert f"Online siden {clock(hall_screen.connected_at)}" in hall_row
    assert "Julemarked i hallen" in hall_row  # the title, not the id
    assert f'title="{current}"' in hall_row and "nyeste" in hall_row
    assert "lokalskaerm-player/9.9.9" in hall_row
    assert "Mørkøv" in hall_row  # the area's name from its recipe
    assert f"Offline siden {clock(school_screen.disconnected_at)}" in school_row
    assert "morkov/gone.jpg" in school_row  # not in the snapshot: the id it reported
    assert "gammel0123" in school_row and "forældet" in school_row
    assert "Aldrig forbundet" in kirken[: kirken.index("</tr>")]
    assert 'action="/screens/' in hall_row and "<details" in hall_row  # confirm before revoking


async def test_revoking_closes_the_socket_at_once_and_refuses_it_after(
    site: Site, server: RunningServer
) -> None:
    token = site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    screen = screen_named(db, "Forsamlingshuset")
    async with admin_client(site.settings, server.url) as http:
        socket = await hello(server, token)
        try:
            page = await http.get("/screens")
            start = time.monotonic()
            revoked = await http.post(
                f"/screens/{screen.id}/revoke", data={"csrf_token": csrf_of(page.text)}
            )
            assert revoked.status_code == 303
            assert revoked.headers["location"] == f"/screens?revoked={screen.id}"
            code, reason = await closed_with(socket)
            assert time.monotonic() - start < timeout(1.0)  # not at the next heartbeat
        finally:
            await socket.close()
        assert code == protocol.CLOSE_UNAUTHORIZED and "revoked" in reason
        async with connect(server.ws_url) as again:
            await again.send(serialize(Hello(token=token, version=None)))
            code, reason = await closed_with(again)
        assert code == protocol.CLOSE_UNAUTHORIZED and "revoked" in reason
        await eventually(lambda: not screen_named(db, "Forsamlingshuset").connected)
        assert server.app_state.hub.connected() == 0
        after = await http.get(revoked.headers["location"])
        assert "Skærmen »Forsamlingshuset« er tilbagekaldt" in after.text
        listed = after.text[after.text.index("Tilbagekaldte skærme") :]
        assert "Forsamlingshuset" in listed
        gone = screen_named(db, "Forsamlingshuset")
        assert gone.revoked_at is not None and clock(gone.revoked_at) in listed
        # Asked again (a second click, say): the same answer, nothing new.
        twice = await http.post(
            f"/screens/{screen.id}/revoke", data={"csrf_token": csrf_of(after.text)}
        )
        assert twice.status_code == 303
        assert screen_named(db, "Forsamlingshuset").revoked_at == gone.revoked_at
        missing = await http.post("/screens/9999/revoke", data={"csrf_token": csrf_of(after.text)})
        assert missing.status_code == 404 and "Findes ikke" in missing.text


async def test_revoking_without_the_csrf_token_does_nothing(
    site: Site, server: RunningServer
) -> None:
    token = site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    screen = screen_named(db, "Forsamlingshuset")
    async with admin_client(site.settings, server.url) as http:
        socket = await hello(server, token)
        try:
            missing = await http.post(f"/screens/{screen.id}/revoke")
            assert missing.status_code == 403
            forged = await http.post(f"/screens/{screen.id}/revoke", data={"csrf_token": "x" * 43})
            assert forged.status_code == 403 and "Formularen var forældet" in forged.text
            assert screens.is_active(db, screen.id)
            # The socket is still open and served: a heartbeat, then a new snapshot.
            await socket.send(serialize(Heartbeat(time=1)))
            site.drop("morkov", "03-ny.jpg", jpeg((0, 0, 200)))
            message = await receive_snapshot(socket)
            assert "morkov/03-ny.jpg" in [item.id for item in message.snapshot.items]
        finally:
            await socket.close()


async def test_who_may_see_screens_and_revoke(site: Site, server: RunningServer) -> None:
    screen_token = matrix_people(site)
    db = server.app_state.db
    victim = screens.add(db, "jyderup", "Til tilbagekald")[0]
    answers = await check_route_matrix(
        server.url,
        screen_token,
        [
            ("GET", "/screens", 303, 403, 403, 200, 303),
            ("POST", f"/screens/{victim.id}/revoke", 303, 403, 403, 303, 303),
        ],
    )
    assert answers[("GET", "/screens", "anonymous")].headers["location"].startswith("/login")
    listing = answers[("GET", "/screens", "admin")].text
    assert "Jyderup" in listing and "Test" in listing
    assert not screens.is_active(db, victim.id)  # the admin, and only the admin, revoked it


async def test_the_links_to_screens_and_previews(site: Site, server: RunningServer) -> None:
    matrix_people(site)
    for who, shown in (("admin", True), ("editor here", False)):
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await log_in(http, EMAILS[who])).status_code == 303
            overview = await http.get("/")
            assert ('href="/screens"' in overview.text) is shown, who
            assert 'href="/areas/morkov/preview"' in overview.text
            assert "Forhåndsvisning" in overview.text
            if who == "editor here":
                assert 'href="/areas/jyderup/preview"' not in overview.text


# --- recording when screens come and go -------------------------------------------


def test_connected_and_disconnected_at_are_recorded(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "db.sqlite")
    screen, _ = screens.add(db, "morkov", "Hallen")
    assert screens.get(db, screen.id) == screen
    screens.record_seen(db, screen.id, connected=True, software="p/1")
    first = screens.get(db, screen.id)
    assert first is not None and first.connected and first.connected_at is not None
    assert first.software == "p/1" and first.disconnected_at is None
    # A second connection while the first is still open: online since the first.
    screens.record_seen(db, screen.id, connected=True)
    assert screens.get(db, screen.id).connected_at == first.connected_at  # type: ignore[union-attr]
    screens.record_seen(db, screen.id, connected=False)
    gone = screens.get(db, screen.id)
    assert gone is not None and not gone.connected and gone.disconnected_at is not None
    assert gone.connected_at == first.connected_at  # when the last connection began
    # Disconnected again (the other connection ends late): the moment stays.
    screens.record_seen(db, screen.id, connected=False)
    assert screens.get(db, screen.id).disconnected_at == gone.disconnected_at  # type: ignore[union-attr]
    screens.record_seen(db, screen.id, connected=True)
    back = screens.get(db, screen.id)
    assert back is not None and back.connected_at is not None
    assert gone.disconnected_at is not None and back.connected_at >= gone.disconnected_at
    # A server that stopped without saying so: at start, offline since it was last seen.
    db.execute("UPDATE screens SET last_seen = 1000 WHERE id = ?", (screen.id,))
    screens.mark_all_disconnected(db)
    after = screens.get(db, screen.id)
    assert after is not None and not after.connected and after.disconnected_at == 1000
    assert screens.get(db, 999) is None
    screens.revoke(db, screen.id)
    assert screens.all_screens(db) == []
    assert screens.all_screens(db, revoked=True)[0].revoked_at is not None
    db.close()


@pytest.mark.parametrize(
    ("when", "danish", "english"),
    [
        ("2025-03-14 07:12", "07.12", "07:12"),
        ("2025-03-13 22:03", "i går 22.03", "yesterday 22:03"),
        ("2025-02-03 22:03", "3.2. kl. 22.03", "3 Feb at 22:03"),
        ("2024-12-24 09:00", "24.12.2024 kl. 09.00", "24 Dec 2024 at 09:00"),
        ("2025-03-14 12:00", "12.00", "12:00"),  # a little ahead of the clock: today
    ],
)
def test_moments_read_as_people_say_them(when: str, danish: str, english: str) -> None:
    languages = i18n.load_languages()
    now = dt.datetime(2025, 3, 14, 10, 0, tzinfo=COPENHAGEN).timestamp()
    moment_at = dt.datetime.fromisoformat(when).replace(tzinfo=COPENHAGEN).timestamp()
    assert moment(moment_at, now, COPENHAGEN, languages["da"]) == danish
    assert moment(moment_at, now, COPENHAGEN, languages["en"]) == english


def test_moments_are_in_the_areas_time_zone() -> None:
    languages = i18n.load_languages()
    now = dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp()
    utc_morning = dt.datetime(2025, 7, 1, 5, 12, tzinfo=dt.UTC).timestamp()
    assert moment(utc_morning, now, COPENHAGEN, languages["da"]) == "07.12"  # summer time
    assert moment(utc_morning, now, ZoneInfo("UTC"), languages["da"]) == "05.12"
