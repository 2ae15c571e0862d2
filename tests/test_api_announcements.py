"""``/api/v1/announcements`` against a real server on loopback with a real 1.2 player
socket: send, delivery status, cancel, idempotency, and refusals in the fixed shape."""

from __future__ import annotations

import datetime as dt

import httpx

from player.protocol import Ack, serialize

from .support import RunningServer, Site, eventually
from .test_announcements import hello, next_announcements
from .test_api import API, JYDERUP, api_token, assert_error, bearer

ANNOUNCEMENTS = f"{API}/announcements"


def in_an_hour() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()


async def test_send_see_delivery_and_cancel(site: Site, server: RunningServer) -> None:
    socket = await hello(server, site.screen())
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(api_token(site))) as api:
        body = {
            "title": "Stormvarsel",
            "text": "Bliv inde efter kl. 18. <b>Ikke HTML</b>",
            "severity": "urgent",
            "areas": ["all"],
            "ends_at": in_an_hour(),
        }
        headers = {"Idempotency-Key": "storm-1"}
        created = await api.post(ANNOUNCEMENTS, json=body, headers=headers)
        assert created.status_code == 201, created.text
        announcement = created.json()
        assert announcement["text"].endswith("<b>Ikke HTML</b>") and announcement["live"]
        message = await next_announcements(socket)
        assert [a.id for a in message.announcements] == [announcement["id"]]
        await socket.send(serialize(Ack(message.seq)))
        # The same key and body again: the same answer, no second announcement.
        again = await api.post(ANNOUNCEMENTS, json=body, headers=headers)
        assert again.status_code == 201 and again.json()["id"] == announcement["id"]
        other = await api.post(ANNOUNCEMENTS, json={**body, "title": "Andet"}, headers=headers)
        assert_error(other, 409)
        location = created.headers["location"]

        async def received() -> bool:
            status = (await api.get(location)).json()
            return bool(status["deliveries"] and status["deliveries"][0]["received_at"])

        assert await eventually(received)  # type: ignore[arg-type]
        cancelled = await api.post(f"{location}/cancel")
        assert cancelled.status_code == 200 and not cancelled.json()["live"]
        assert (await next_announcements(socket)).announcements == ()
    await socket.close()


async def test_refusals_in_the_fixed_shape(site: Site, server: RunningServer) -> None:
    site.recipe("jyderup", JYDERUP)
    editor = bearer(api_token(site, "editor", ("morkov",), "Foreningen"))
    async with httpx.AsyncClient(base_url=server.url, headers=editor) as api:
        for body, status, field in [
            ({"title": "", "areas": ["morkov"]}, 422, "title"),
            ({"title": "x" * 10_000, "areas": ["morkov"]}, 422, "title"),
            ({"title": "Ok", "areas": ["morkov"], "severity": "urgent"}, 422, "ends_at"),
            ({"title": "Ok", "areas": ["morkov"], "ends_at": "i morgen"}, 422, "ends_at"),
            ({"title": "Ok", "areas": ["morkov"], "ends_at": "2026-12-06T14:00"}, 422, "ends_at"),
            ({"title": "Ok", "areas": "morkov"}, 422, "areas"),
            ({"title": "Ok", "areas": ["atlantis"]}, 422, "areas"),
            ({"title": "Ok", "areas": ["morkov"], "colour": "red"}, 422, "colour"),
            ({"title": "Ok", "areas": ["all"]}, 403, None),
            ({"title": "Ok", "areas": ["jyderup"]}, 403, None),
        ]:
            assert_error(await api.post(ANNOUNCEMENTS, json=body), status, field)
        ends = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
        body = {"title": "Ok", "areas": ["morkov"], "starts_at": start, "ends_at": ends}
        assert_error(await api.post(ANNOUNCEMENTS, json=body), 422, "ends_at")
        assert_error(await api.get(f"{ANNOUNCEMENTS}/999"), 404)
        assert_error(await api.get(f"{ANNOUNCEMENTS}/nine"), 404)
        mine = await api.post(ANNOUNCEMENTS, json={"title": "Fællesspisning", "areas": ["morkov"]})
        assert mine.status_code == 201, mine.text
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert_error(await anonymous.post(ANNOUNCEMENTS, json={"title": "x"}), 401)
    elsewhere = bearer(api_token(site, "editor", ("jyderup",), "Hallen"))
    async with httpx.AsyncClient(base_url=server.url, headers=elsewhere) as api:
        # Another area's announcement is not there for this token.
        assert_error(await api.get(mine.headers["location"]), 404)
        assert_error(await api.post(mine.headers["location"] + "/cancel"), 404)


async def test_the_play_log(site: Site, server: RunningServer) -> None:
    import time

    from player.protocol import Play
    from signage_server import plays, store

    screen_token = site.screen()
    del screen_token
    db = store.connect(site.settings.database)
    try:
        now = time.time()
        plays.store(
            db,
            1,
            "morkov",
            [
                Play("morkov/01-plakat.jpg", now - 100, 10.0, "01 plakat"),
                Play("morkov/01-plakat.jpg", now - 80, 10.0, "01 plakat"),
                Play("morkov/02-plakat.jpg", now - 60, 5.0, "02 plakat"),
            ],
            now,
        )
    finally:
        db.close()
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(api_token(site))) as api:
        answer = await api.get(f"{API}/areas/morkov/plays")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [(s["item"], s["plays"], s["seconds"]) for s in body["slides"]] == [
            ("morkov/01-plakat.jpg", 2, 20.0),
            ("morkov/02-plakat.jpg", 1, 5.0),
        ]
        assert len(body["days"]) == 7 and sum(d["seconds"] for d in body["days"]) == 25.0
        one = await api.get(f"{API}/areas/morkov/plays", params={"slide": "morkov/02-plakat.jpg"})
        assert [s["item"] for s in one.json()["slides"]] == ["morkov/02-plakat.jpg"]
        assert_error(await api.get(f"{API}/areas/morkov/plays?from=2026-13-01"), 422, "from")
        long = await api.get(f"{API}/areas/morkov/plays?from=2020-01-01&to=2026-01-01")
        assert_error(long, 422, "from")
    elsewhere = bearer(api_token(site, "editor", ("jyderup",), "Hallen"))
    async with httpx.AsyncClient(base_url=server.url, headers=elsewhere) as api:
        assert (await api.get(f"{API}/areas/morkov/plays")).status_code == 403
