"""The live preview of an area: the preview page and the real kiosk page served by the
server, with the websocket that feeds it from the hub, against a real server on loopback;
and the preview's screen (a player core) driven with a fixed clock."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from player.core import Show
from player.daemon import Player, PlayerSettings
from player.local import PAGE_CSP
from player.protocol import Area, Asset, Item, Snapshot
from signage_server import users
from signage_server.web import preview
from signage_server.web.preview import KIOSK_CSP, PreviewScreen, page_message

from .logins import EMAILS, check_route_matrix, log_in, matrix_people
from .support import RunningServer, Site, jpeg, timeout

KIOSK = Path(preview.__file__).parent.parent.parent / "player" / "kiosk"
MORKOV_KIOSK = "/areas/morkov/preview/kiosk"

# --- the preview's screen, with a fixed clock -------------------------------------

A, B, C = ("a" * 64, "b" * 64, "c" * 64)


def snap(*items: Item, layout: str = "landscape") -> Snapshot:
    assets = tuple(Asset(sha, 100, "image/jpeg") for sha in sorted({i.asset for i in items}))
    area = Area("morkov", "Mørkøv", "Europe/Copenhagen", layout)
    return Snapshot(area, items, assets).with_version()


def shown(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m["item"] for m in messages if m["type"] == "show"]


def test_the_preview_rotates_like_a_screen_and_follows_new_snapshots() -> None:
    first = snap(Item("a", "image", A, 5), Item("b", "image", B, 3))
    screen = PreviewScreen("landscape")
    assert screen.step(None, 1000) == []  # nothing published yet: nothing to say
    messages = screen.step(first, 1000)
    assert [m["type"] for m in messages] == ["snapshot", "show"]
    assert messages[0]["snapshot"] == first.to_dict()
    assert messages[1] == {"type": "show", "item": "a", "next": "b", "since": 1000, "now": 1000}
    assert screen.step(first, 1004.9) == []
    assert shown(screen.step(first, 1005)) == ["b"]
    assert shown(screen.step(first, 1008)) == ["a"]
    # A new snapshot (a new slide first, "b" gone): the page gets it, "a" plays its time out.
    second = snap(Item("new", "image", C, 4), Item("a", "image", A, 5))
    messages = screen.step(second, 1009)
    assert messages[0]["type"] == "snapshot" and messages[0]["snapshot"]["version"] == (
        second.version
    )
    assert shown(screen.step(second, 1013)) == ["new"]


def test_the_preview_keeps_to_the_windows() -> None:
    later = snap(Item("a", "image", A, 5), Item("b", "image", B, 5, windows=((2000.0, None),)))
    screen = PreviewScreen("landscape")
    assert shown(screen.step(later, 1000)) == ["a"]
    assert shown(screen.step(later, 1005)) == []  # "a" again, the only one: no new show
    assert shown(screen.step(later, 2000)) == ["b"]


def test_each_frame_is_laid_out_for_its_shape_with_the_areas_version() -> None:
    landscape = snap(Item("a", "image", A, 5))
    messages = PreviewScreen("portrait").step(landscape, 1000)
    sent = messages[0]["snapshot"]
    assert sent["area"]["layout"] == "portrait" and sent["version"] == landscape.version
    assert sent["items"] == landscape.to_dict()["items"]
    same = PreviewScreen("landscape").step(landscape, 1000)[0]["snapshot"]
    assert same == landscape.to_dict()


def test_the_page_hears_what_the_daemon_would_say(tmp_path: Path) -> None:
    """The preview speaks the daemon's page protocol: the same show message."""
    item = Item("a", "image", A, 5)
    player = Player(PlayerSettings(None, None, cache_dir=tmp_path), clock=lambda: 1234.5)
    show = Show(item, None, 1000.0)
    assert page_message(show, 1234.5) == player._show_message(show)


# --- against a real server ------------------------------------------------------------


@contextlib.asynccontextmanager
async def logged_in(server: RunningServer, who: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as ``who`` (None: nobody)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        if who is not None:
            assert (await log_in(http, EMAILS[who])).status_code == 303
        yield http


def cookie_header(http: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


async def messages_until(
    socket: ClientConnection, done: Any, seconds: float = 10
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while not done(got):
        got.append(json.loads(await asyncio.wait_for(socket.recv(), timeout(seconds))))
    return got


async def test_who_may_open_the_preview(site: Site, server: RunningServer) -> None:
    screen_token = matrix_people(site)
    rows: list[tuple[object, ...]] = [
        ("GET", "/areas/morkov/preview", 303, 200, 403, 200, 303),
        ("GET", f"{MORKOV_KIOSK}/landscape/", 303, 200, 403, 200, 303),
        ("GET", f"{MORKOV_KIOSK}/portrait/kiosk.js", 303, 200, 403, 200, 303),
        ("GET", f"{MORKOV_KIOSK}/portrait/state.json", 303, 200, 403, 200, 303),
        ("GET", f"{MORKOV_KIOSK}/portrait/nothing.txt", 303, 404, 403, 404, 303),
        ("GET", f"{MORKOV_KIOSK}/sideways/", 303, 404, 403, 404, 303),
        ("GET", "/areas/nowhere/preview", 303, 403, 403, 404, 303),
        ("GET", "/areas/nowhere/preview/kiosk/landscape/", 303, 403, 403, 404, 303),
    ]
    answers = await check_route_matrix(server.url, screen_token, rows)
    assert answers[("GET", "/areas/morkov/preview", "anonymous")].headers["location"] == (
        "/login?next=%2Fareas%2Fmorkov%2Fpreview"
    )
    missing = answers[("GET", "/areas/nowhere/preview", "admin")]
    assert "Findes ikke" in missing.text


async def test_the_preview_page_frames_the_real_kiosk_page(
    site: Site, server: RunningServer
) -> None:
    matrix_people(site)
    async with logged_in(server, "editor here") as http:
        page = await http.get("/areas/morkov/preview")
        assert "Forhåndsvisning af Mørkøv" in page.text
        assert f'src="{MORKOV_KIOSK}/landscape/"' in page.text
        assert f'src="{MORKOV_KIOSK}/portrait/"' in page.text
        assert "som områdets skærme" in page.text  # the recipe is landscape
        assert "<script" not in page.text and "style=" not in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        kiosk = await http.get(f"{MORKOV_KIOSK}/portrait/")
        assert kiosk.content == (KIOSK / "index.html").read_bytes()  # the screens' own page
        assert kiosk.headers["content-security-policy"] == KIOSK_CSP
        assert "frame-ancestors 'self'" in KIOSK_CSP and "'unsafe-inline'" not in KIOSK_CSP
        # The daemon's policy but for the origin of the socket and who may frame it.
        assert (
            PAGE_CSP.replace(" ws://127.0.0.1:* ws://localhost:*", "").replace(
                "frame-ancestors 'none'", "frame-ancestors 'self'"
            )
            == KIOSK_CSP
        )
        script = await http.get(f"{MORKOV_KIOSK}/portrait/kiosk.js")
        assert script.content == (KIOSK / "kiosk.js").read_bytes()
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.headers["x-content-type-options"] == "nosniff"
        style = await http.get(f"{MORKOV_KIOSK}/landscape/kiosk.css")
        assert style.content == (KIOSK / "kiosk.css").read_bytes()
        assert style.headers["content-type"].startswith("text/css")
        state = (await http.get(f"{MORKOV_KIOSK}/portrait/state.json")).json()
        published = server.app_state.hub.current("morkov").snapshot
        assert state["version"] == published.version and state["connected"] is True
        assert state["area"]["layout"] == "portrait" and state["preview"] is True
        assert "item" in state
        english = await http.get("/areas/morkov/preview?lang=en")
        assert "Preview of Mørkøv" in english.text and "Portrait (9:16)" in english.text


@pytest.mark.parametrize("who", ["editor here", "admin"])
async def test_the_kiosk_socket_plays_the_area_and_follows_changes(
    site: Site, server: RunningServer, who: str
) -> None:
    matrix_people(site)
    async with logged_in(server, who) as http:
        url = server.url.replace("http://", "ws://") + f"{MORKOV_KIOSK}/portrait/ws"
        headers = {"Cookie": cookie_header(http), "Origin": server.url}
        async with connect(url, additional_headers=headers) as socket:
            got = await messages_until(socket, lambda m: any(x["type"] == "show" for x in m))
            assert got[0] == {"type": "connection", "connected": True}
            snapshot = next(m["snapshot"] for m in got if m["type"] == "snapshot")
            published = server.app_state.hub.current("morkov").snapshot
            assert snapshot["version"] == published.version
            assert snapshot["area"]["layout"] == "portrait"  # the frame's shape
            assert next(m for m in got if m["type"] == "show")["item"] == "morkov/01-plakat.jpg"
            site.drop("morkov", "00-ny.jpg", jpeg((0, 0, 200)))
            newer = await messages_until(
                socket,
                lambda m: any(
                    x["type"] == "snapshot"
                    and x["snapshot"]["items"][0]["id"] == "morkov/00-ny.jpg"
                    for x in m
                ),
            )
            assert newer  # pushed, without a reload


async def test_the_kiosk_socket_closes_when_its_user_loses_the_area(
    site: Site, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview, "RECHECK_SECONDS", 0.0)
    matrix_people(site)
    async with logged_in(server, "editor here") as http:
        url = server.url.replace("http://", "ws://") + f"{MORKOV_KIOSK}/landscape/ws"
        async with connect(url, additional_headers={"Cookie": cookie_header(http)}) as socket:
            await messages_until(socket, lambda m: any(x["type"] == "show" for x in m))
            db = server.app_state.db
            user = next(u for u in users.all_users(db) if u.email == EMAILS["editor here"])
            users.set_password(db, user.id, "et helt andet kodeord")  # ends their sessions
            with pytest.raises(ConnectionClosed) as closed:
                await messages_until(socket, lambda m: False)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize(
    ("who", "path", "origin"),
    [
        (None, "morkov/preview/kiosk/landscape", None),  # not logged in
        ("screen", "morkov/preview/kiosk/landscape", None),  # a screen's token is no login
        ("editor elsewhere", "morkov/preview/kiosk/landscape", None),
        ("editor here", "morkov/preview/kiosk/landscape", "http://ond.example"),
        ("editor here", "morkov/preview/kiosk/sideways", None),
        ("admin", "nowhere/preview/kiosk/landscape", None),
    ],
)
async def test_the_kiosk_socket_is_refused_to_others(
    site: Site, server: RunningServer, who: str | None, path: str, origin: str | None
) -> None:
    screen_token = matrix_people(site)
    async with logged_in(server, None if who == "screen" else who) as http:
        headers = {"Cookie": cookie_header(http)} if who else {}
        if who == "screen":
            headers = {"Authorization": f"Bearer {screen_token}"}
        if origin:
            headers["Origin"] = origin
        url = server.url.replace("http://", "ws://") + f"/areas/{path}/ws"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
