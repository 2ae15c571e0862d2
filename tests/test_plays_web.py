"""Proof of play over the wire and in the web UI: the ``plays`` messages on /ws/player (stored
once, acknowledged), the area's charts, the CSV export, a screen's day, who may see them."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import sqlite3
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from player.protocol import (
    Heartbeat,
    Hello,
    Play,
    Plays,
    PlaysAck,
    ServerMessage,
    SnapshotMessage,
    parse_server_message,
    serialize,
)
from signage_server import players, plays, screens

from .logins import EMAILS, admin_client, check_route_matrix, log_in, matrix_people
from .support import RunningServer, Site, timeout
from .test_players_socket import closed_with

CPH = ZoneInfo("Europe/Copenhagen")
M = TypeVar("M", bound=ServerMessage)


def at(day: dt.date, clock: str) -> float:
    return dt.datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=CPH).timestamp()


def words(response: httpx.Response) -> str:
    """The page's text, its no-break spaces (between a number and its unit) as spaces."""
    return response.text.replace("\u00a0", " ")


def today() -> dt.date:
    return dt.datetime.now(CPH).date()


async def next_of(socket: ClientConnection, kind: type[M], seconds: float = 10) -> M:
    while True:
        message = parse_server_message(await asyncio.wait_for(socket.recv(), timeout(seconds)))
        if isinstance(message, kind):
            return message


def screen_id(db: sqlite3.Connection, name: str = "Test") -> int:
    return next(s.id for s in screens.all_screens(db) if s.name == name)


# --- the wire ------------------------------------------------------------------------------


async def test_a_batch_is_acknowledged_and_stored_once_however_often_it_comes(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    db = server.app_state.db
    start = at(today(), "10:00:00")
    batch = Plays(
        2,
        (
            Play("morkov/01-plakat.jpg", start, 5.0, "01 plakat"),
            Play("morkov/02-plakat.jpg", start + 5, 5.0, "02 plakat"),
        ),
    )
    for _ in range(2):  # the second time: the player never got the first acknowledgement
        async with connect(server.ws_url) as socket:
            await socket.send(serialize(Hello(token=token, version=None)))
            # The snapshot first, as ever; then word that this server takes plays.
            await next_of(socket, SnapshotMessage)
            assert await next_of(socket, PlaysAck) == PlaysAck(0)
            await socket.send(serialize(batch))
            assert await next_of(socket, PlaysAck) == PlaysAck(2)
    rows = db.execute("SELECT screen_id, area, item, title, started_at, seconds FROM plays")
    assert [tuple(row) for row in rows.fetchall()] == [
        (screen_id(db), "morkov", "morkov/01-plakat.jpg", "01 plakat", start, 5.0),
        (screen_id(db), "morkov", "morkov/02-plakat.jpg", "02 plakat", start + 5, 5.0),
    ]


async def test_a_player_before_12_is_not_told_about_plays(
    site: Site, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(players, "HEARTBEAT_SECONDS", 0.2)
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None, protocol="1.1")))
        seen: list[ServerMessage] = []
        while not seen or not isinstance(seen[-1], Heartbeat):
            frame = await asyncio.wait_for(socket.recv(), timeout(10))
            seen.append(parse_server_message(frame))
    assert [type(m) for m in seen] == [SnapshotMessage, Heartbeat]


async def test_a_bad_batch_closes_the_connection_and_stores_nothing(
    site: Site, server: RunningServer
) -> None:
    token = site.screen()
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None)))
        await next_of(socket, PlaysAck)
        await socket.send(
            '{"type":"plays","seq":1,"plays":[{"item":"x","started_at":1,"seconds":0}]}'
        )
        code, reason = await closed_with(socket)
    assert code == 4000 and "plays.seconds" in reason
    assert server.app_state.db.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 0


# --- who may see what -------------------------------------------------------------------------


async def test_who_may_see_the_charts_the_export_and_a_screens_day(
    site: Site, server: RunningServer
) -> None:
    token = matrix_people(site)
    db = server.app_state.db
    here = screen_id(db)
    elsewhere = screens.add(db, "jyderup", "Biblioteket")[0].id
    answers = await check_route_matrix(
        server.url,
        token,
        [
            ("GET", "/areas/morkov/plays", 303, 200, 403, 200, 303),
            ("GET", "/areas/morkov/plays.csv", 303, 200, 403, 200, 303),
            ("GET", "/areas/morkov/plays?from=2025-13-01", 303, 400, 403, 400, 303),
            ("GET", "/areas/nowhere/plays", 303, 404, 404, 404, 303),
            ("GET", "/areas/nowhere/plays.csv", 303, 404, 404, 404, 303),
            ("GET", f"/screens/{here}/day", 303, 200, 403, 200, 303),
            ("GET", f"/screens/{elsewhere}/day", 303, 403, 200, 200, 303),
            ("GET", f"/screens/{here}/day?date=i-morgen", 303, 400, 403, 400, 303),
            ("GET", "/screens/9999/day", 303, 404, 404, 404, 303),
        ],
    )
    assert (
        answers[("GET", "/areas/morkov/plays", "anonymous")]
        .headers["location"]
        .startswith("/login")
    )
    page = answers[("GET", f"/screens/{here}/day", "editor here")].text
    assert 'href="/areas/morkov/plays"' in page and 'href="/screens"' not in page
    admin_page = answers[("GET", f"/screens/{here}/day", "admin")].text
    assert 'href="/screens"' in admin_page


async def test_the_screens_and_slides_pages_link_here(site: Site, server: RunningServer) -> None:
    site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    async with admin_client(site.settings, server.url) as http:
        listing = (await http.get("/screens")).text
        slides = (await http.get("/areas/morkov/slides")).text
    assert f'href="/screens/{screen_id(db, "Forsamlingshuset")}/day"' in listing
    assert "Dagens tidslinje" in listing
    assert 'href="/areas/morkov/plays"' in slides and "Tid på skærmen" in slides


# --- the area's charts and the export -----------------------------------------------------------


def seed(db: sqlite3.Connection, day: dt.date) -> int:
    """Two screens of Mørkøv showed things on ``day`` and the day before."""
    first = screen_id(db, "Forsamlingshuset")
    second = screen_id(db, "Hallen")
    before = day - dt.timedelta(days=1)
    plays.store(
        db,
        first,
        "morkov",
        [
            Play("morkov/01-plakat.jpg", at(day, "10:00:00"), 300.0, "Julemarked"),
            Play("morkov/01-plakat.jpg", at(before, "10:00:00"), 300.0, "Julemarked"),
            Play("morkov/flyer.jpg", at(day, "10:05:00"), 60.0, "=1+1 Loppemarked"),
            Play("morkov/01-plakat.jpg", at(day, "23:59:00"), 120.0, "Julemarked"),
        ],
        at(day, "23:59:59") + 3600,
    )
    plays.store(
        db,
        second,
        "morkov",
        [Play("morkov/01-plakat.jpg", at(day, "11:00:00"), 30.0, "Julemarked")],
        at(day, "23:59:59"),
    )
    return first


async def test_the_charts_per_slide_and_per_day(site: Site, server: RunningServer) -> None:
    db = server.app_state.db
    site.screen(name="Forsamlingshuset")
    site.screen(name="Hallen")
    day = dt.date(2025, 12, 3)
    seed(db, day)
    async with admin_client(site.settings, server.url) as http:
        answer = await http.get(
            "/areas/morkov/plays", params={"from": "2025-12-01", "to": "2025-12-03"}
        )
        page = words(answer)
        chosen = await http.get(
            "/areas/morkov/plays",
            params={"from": "2025-12-01", "to": "2025-12-03", "slide": "morkov/flyer.jpg"},
        )
        english = await http.get("/areas/morkov/plays?from=2025-12-01&to=2025-12-03&lang=en")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<script" not in page and "style=" not in page
    assert "Tid på skærmen i Mørkøv" in page
    # Per slide: longest first, one bar each with its <title>, and the same in the table.
    chart = page[page.index('id="per-slide"') :]
    assert chart.index("Julemarked") < chart.index("=1+1 Loppemarked")
    assert "<title>Julemarked: 12 min. (4 visninger)</title>" in page
    assert "<title>=1+1 Loppemarked: 1 min. (1 visning)</title>" in page
    # A slide on the screens now that was never shown is there, at nothing.
    assert "02 plakat" in page
    assert (
        '<th scope="row"><a href="?from=2025-12-01&amp;to=2025-12-03&amp;slide=morkov%2Fflyer.jpg">'
        in page
    )
    # Per day: a column for each of the three days.
    assert len(re.findall(r'<rect [^>]*class="day"', page)) == 3
    assert "<title>onsdag 3. december 2025: 8 min. 30 sek.</title>" in page
    assert "<title>mandag 1. december 2025: 0 sek.</title>" in page
    assert "<dd>14 min.</dd>" in page  # in all: 5 + 5 + 1 + 2 minutes and 30 s, rounded
    assert 'href="/areas/morkov/plays.csv?from=2025-12-01&amp;to=2025-12-03"' in page
    assert "/screens/" in page and "dagens tidslinje" in page
    # One slide chosen: its days, and its own download.
    assert "Pr. dag: =1+1 Loppemarked" in words(chosen)
    assert "<title>onsdag 3. december 2025: 1 min.</title>" in words(chosen)
    assert "slide=morkov%2Fflyer.jpg" in chosen.text and "Kun denne slide som CSV" in chosen.text
    assert "Time on screen in Mørkøv" in english.text
    assert "<title>Wednesday 3 December 2025: 8 min 30 s</title>" in words(english)


async def test_the_default_is_the_last_seven_days(site: Site, server: RunningServer) -> None:
    async with admin_client(site.settings, server.url) as http:
        page = (await http.get("/areas/morkov/plays")).text
    first = (today() - dt.timedelta(days=6)).isoformat()
    assert f'name="from" value="{first}"' in page
    assert f'name="to" value="{today().isoformat()}"' in page
    assert len(re.findall(r'<rect [^>]*class="day"', page)) == 7


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-02-30", "»Fra«: »2025-02-30« er ikke en dato"),
        ("to=1.12.2025", "»Til«: »1.12.2025« er ikke en dato"),
        ("from=20251201", "er ikke en dato. Skriv den som ÅÅÅÅ-MM-DD."),
        ("from=2025-12-05&to=2025-12-01", "Den første dag ligger efter den sidste."),
        ("from=2025-01-01&to=2025-12-31", "Vælg højst 92 dage ad gangen."),
    ],
)
async def test_bad_dates_get_a_danish_400(
    site: Site, server: RunningServer, query: str, message: str
) -> None:
    async with admin_client(site.settings, server.url) as http:
        for path in ("/areas/morkov/plays", "/areas/morkov/plays.csv"):
            answer = await http.get(f"{path}?{query}")
            assert answer.status_code == 400
            assert message in answer.text and "De datoer kan ikke bruges" in answer.text


async def test_92_days_is_the_most(site: Site, server: RunningServer) -> None:
    async with admin_client(site.settings, server.url) as http:
        answer = await http.get("/areas/morkov/plays?from=2025-01-01&to=2025-04-02")
    assert answer.status_code == 200
    assert len(re.findall(r'<rect [^>]*class="day"', answer.text)) == 92


async def test_the_csv_export(site: Site, server: RunningServer) -> None:
    db = server.app_state.db
    site.screen(name="Forsamlingshuset")
    site.screen(name="Hallen")
    seed(db, dt.date(2025, 12, 3))
    async with admin_client(site.settings, server.url) as http:
        answer = await http.get("/areas/morkov/plays.csv?from=2025-12-03&to=2025-12-03")
        flyer = await http.get(
            "/areas/morkov/plays.csv",
            params={"from": "2025-12-02", "to": "2025-12-03", "slide": "morkov/flyer.jpg"},
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="visninger-morkov-2025-12-03-2025-12-03.csv"'
    )
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["screen", "area", "item", "title", "started", "seconds"],
        ["Forsamlingshuset", "morkov", "morkov/01-plakat.jpg", "Julemarked",
         "2025-12-03T10:00:00+01:00", "300"],
        ["Forsamlingshuset", "morkov", "morkov/flyer.jpg", "'=1+1 Loppemarked",
         "2025-12-03T10:05:00+01:00", "60"],
        ["Hallen", "morkov", "morkov/01-plakat.jpg", "Julemarked",
         "2025-12-03T11:00:00+01:00", "30"],
        ["Forsamlingshuset", "morkov", "morkov/01-plakat.jpg", "Julemarked",
         "2025-12-03T23:59:00+01:00", "120"],
    ]  # fmt: skip
    assert [row[2] for row in csv.reader(io.StringIO(flyer.text))][1:] == ["morkov/flyer.jpg"]


# --- a screen's day ------------------------------------------------------------------------------


async def test_a_screens_day_as_a_timeline(site: Site, server: RunningServer) -> None:
    db = server.app_state.db
    site.screen(name="Forsamlingshuset")
    site.screen(name="Hallen")
    day = dt.date(2025, 12, 3)
    first = seed(db, day)
    # 02.30 is lived twice on 26 October; this is the first time (summer time).
    twice = Play("morkov/01-plakat.jpg", at(dt.date(2025, 10, 26), "02:30:00"), 60.0, "Julemarked")
    plays.store(db, first, "morkov", [twice], 2e9)
    async with admin_client(site.settings, server.url) as http:
        page = words(await http.get(f"/screens/{first}/day?date=2025-12-03"))
        after = words(await http.get(f"/screens/{first}/day?date=2025-12-04"))
        empty = words(await http.get(f"/screens/{first}/day?date=2025-11-01"))
        autumn = words(await http.get(f"/screens/{first}/day?date=2025-10-26"))
        english = words(await http.get(f"/screens/{first}/day?date=2025-12-03&lang=en"))
    assert "Det viste Forsamlingshuset" in page and "onsdag 3. december 2025" in page
    assert "<script" not in page and "style=" not in page
    assert len(re.findall(r'<text [^>]*class="hour"', page)) == 24
    # The bands 10 and 23 have their plays; the legend has the day's slides, longest first.
    segments = re.findall(r'<rect x="([\d.]+)%" y="(\d+)" width="([\d.]+)%"[^>]*fill="#', page)
    assert len(segments) == 3
    assert ("10", "304") in [(x, y) for x, y, _ in segments]  # 10.00: 10 % in, the 11th band
    assert "<title>10.00.00–10.05.00 Julemarked (5 min.)</title>" in page
    assert "<title>23.59.00–00.00.00 Julemarked (1 min.)</title>" in page  # cut at midnight
    legend = page[page.index("Dagens slides") :]
    assert legend.index("Julemarked") < legend.index("=1+1 Loppemarked")
    assert f'href="/screens/{first}/day?date=2025-12-02"' in page
    assert f'href="/screens/{first}/day?date=2025-12-04"' in page
    # The next day starts with the minute that ran past midnight.
    assert "<title>00.00.00–00.01.00 Julemarked (1 min.)</title>" in after
    assert "Intet blev vist den dag" in empty
    hours = re.findall(r'<text [^>]*class="hour">(\d\d)', autumn)
    assert len(hours) == 25 and hours[:5] == ["00", "01", "02", "02", "03"]
    assert re.search(r'<rect x="55%" y="64" width="1.5%"[^>]*fill="#', autumn)  # the first 02
    assert "What Forsamlingshuset showed" in english and "10:00:00–10:05:00" in english


async def test_an_editor_sees_the_day_of_a_screen_of_their_area(
    site: Site, server: RunningServer
) -> None:
    matrix_people(site)
    db = server.app_state.db
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await log_in(http, EMAILS["editor here"])).status_code == 303
        page = (await http.get(f"/screens/{screen_id(db)}/day")).text
    assert f'value="{today().isoformat()}"' in page
