"""Screenshots on request, round trip: the admin's button sends take_screenshot to a 1.3
player, its answer (a real JPEG) is checked and kept, and the screen's page shows it to
admins only; bad answers and answers nobody asked for are not kept; a 1.2 player is never
asked."""

from __future__ import annotations

import asyncio
import base64
import io
import time

import httpx
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

from player.protocol import (
    Hello,
    Plays,
    PlaysAck,
    Screenshot,
    TakeScreenshot,
    parse_server_message,
    serialize,
)
from signage_server import screens
from signage_server.screenshots import BAD_PICTURE

from .logins import admin_client, csrf_of
from .support import RunningServer, Site, eventually, jpeg, timeout
from .test_players_socket import receive_snapshot


async def player(server: RunningServer, token: str, version: str = "1.3") -> ClientConnection:
    socket = await connect(server.ws_url)
    await socket.send(serialize(Hello(token=token, version=None, protocol=version)))
    await receive_snapshot(socket)
    return socket


async def asked(socket: ClientConnection) -> TakeScreenshot:
    while True:
        message = parse_server_message(await asyncio.wait_for(socket.recv(), timeout(10)))
        if isinstance(message, TakeScreenshot):
            return message


async def press(http: httpx.AsyncClient, screen_id: int) -> httpx.Response:
    page = await http.get("/screens")
    return await http.post(
        f"/screens/{screen_id}/screenshot", data={"csrf_token": csrf_of(page.text)}
    )


def picture(mime: str = "image/jpeg") -> bytes:
    if mime == "image/jpeg":
        return jpeg((10, 120, 200), size=(320, 180))
    out = io.BytesIO()
    Image.new("RGB", (32, 18), (0, 200, 0)).save(out, "PNG")
    return out.getvalue()


async def test_a_screenshot_round_trip(site: Site, server: RunningServer) -> None:
    token = site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    screen_id = screens.all_screens(db)[0].id
    data = picture()
    socket = await player(server, token)
    try:
        async with admin_client(site.settings, server.url) as http:
            listing = await http.get("/screens")
            assert "Tag skærmbillede" in listing.text
            answer = await press(http, screen_id)
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/screens/{screen_id}"
            request = await asked(socket)
            waiting = await http.get(f"/screens/{screen_id}")
            assert '<meta http-equiv="refresh" content="2">' in waiting.text
            assert "Venter på skærmens billede" in waiting.text
            await socket.send(
                serialize(
                    Screenshot(
                        request.id,
                        "Julemarked (morkov/01-plakat.jpg)",
                        base64.b64encode(data).decode(),
                        "image/jpeg",
                        time=time.time(),
                    )
                )
            )
            await eventually(lambda: screens.get(db, screen_id).screenshot_sha256)  # type: ignore[union-attr]
            shown = await http.get(f"/screens/{screen_id}")
            assert "http-equiv" not in shown.text  # no longer waiting
            assert "På skærmen: Julemarked (morkov/01-plakat.jpg)" in shown.text
            stored = screens.get(db, screen_id)
            assert stored is not None and stored.screenshot_type == "image/jpeg"
            assert stored.screenshot_sha256 is not None
            src = f"/screens/{screen_id}/screenshot?v={stored.screenshot_sha256[:16]}"
            assert f'src="{src}"' in shown.text
            image = await http.get(src)
            assert image.status_code == 200 and image.content == data
            assert image.headers["content-type"] == "image/jpeg"
            assert "no-store" in image.headers["cache-control"]
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            refused = await anonymous.get(src)
            assert refused.status_code == 303  # to the login
            public = await anonymous.get(f"/assets/{stored.screenshot_sha256}")
            assert public.status_code == 404  # never among the public assets
    finally:
        await socket.close()


async def test_bad_and_unasked_screenshots_are_not_kept(site: Site, server: RunningServer) -> None:
    token = site.screen(name="Hallen")
    db = server.app_state.db
    screen_id = screens.all_screens(db)[0].id
    socket = await player(server, token)
    try:
        # Nobody asked: ignored.
        unasked = Screenshot(4242, "x", base64.b64encode(picture()).decode(), "image/jpeg")
        await socket.send(serialize(unasked))
        async with admin_client(site.settings, server.url) as http:
            bad_answers = [
                ("not base64!", "image/jpeg"),
                (base64.b64encode(b"this is not a picture").decode(), "image/jpeg"),
                (base64.b64encode(picture("image/png")).decode(), "image/jpeg"),  # not a JPEG
                (base64.b64encode(picture()[:200]).decode(), "image/jpeg"),  # cut off
            ]
            for data, mime in bad_answers:
                await press(http, screen_id)
                request = await asked(socket)
                before = screens.get(db, screen_id).screenshot_at  # type: ignore[union-attr]
                await socket.send(serialize(Screenshot(request.id, "Nyheder", data, mime)))
                await eventually(
                    lambda before=before: screens.get(db, screen_id).screenshot_at != before  # type: ignore[union-attr,misc]
                )
                stored = screens.get(db, screen_id)
                assert stored is not None and stored.screenshot_sha256 is None, data[:20]
                assert stored.screenshot_error == BAD_PICTURE
            page = await http.get(f"/screens/{screen_id}")
            assert "Afspilleren sendte et billede, som ikke kunne læses." in page.text
            # A player that cannot take one says why; a PNG is fine.
            await press(http, screen_id)
            request = await asked(socket)
            await socket.send(serialize(Screenshot(request.id, "Nyheder", error="no display")))
            await eventually(
                lambda: screens.get(db, screen_id).screenshot_error == "no display"  # type: ignore[union-attr]
            )
            await press(http, screen_id)
            request = await asked(socket)
            png = base64.b64encode(picture("image/png")).decode()
            await socket.send(serialize(Screenshot(request.id, "Nyheder", png, "image/png")))
            await eventually(lambda: screens.get(db, screen_id).screenshot_type == "image/png")  # type: ignore[union-attr]
            # The same id twice: the second is not asked for any more.
            first = screens.get(db, screen_id)
            await socket.send(serialize(Screenshot(request.id, "Igen", png, "image/png")))
            await socket.send(serialize(Plays(5, ())))  # answered after the screenshot is handled
            while parse_server_message(
                await asyncio.wait_for(socket.recv(), timeout(10))
            ) != PlaysAck(5):
                pass
            assert screens.get(db, screen_id) == first
    finally:
        await socket.close()


async def test_an_old_player_is_never_asked(site: Site, server: RunningServer) -> None:
    token = site.screen(name="Gammel")
    db = server.app_state.db
    screen_id = screens.all_screens(db)[0].id
    socket = await player(server, token, version="1.2")
    try:
        async with admin_client(site.settings, server.url) as http:
            listing = await http.get("/screens")
            assert "Skærmen kan ikke tage skærmbilleder (gammel afspiller)." in listing.text
            assert "Tag skærmbillede" not in listing.text
            answer = await press(http, screen_id)
            assert answer.headers["location"] == f"/screens/{screen_id}?failed=1"
            page = await http.get(answer.headers["location"])
            assert "ikke forbundet med en afspiller, der kan tage skærmbilleder" in page.text
        # Everything the server sent before the plays_ack: no take_screenshot among it.
        await socket.send(serialize(Plays(5, ())))
        while True:
            message = parse_server_message(await asyncio.wait_for(socket.recv(), timeout(10)))
            assert not isinstance(message, TakeScreenshot)
            if message == PlaysAck(5):
                break
    finally:
        await socket.close()
