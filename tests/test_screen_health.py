"""The machines' health: kept from 1.3 heartbeats in the batched presence flush, shown on the
Skærme page with the Danish warnings an IT volunteer must notice, and in the JSON API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from player.protocol import Health, Heartbeat, Hello, serialize
from signage_server import screens, store, tokens
from signage_server.web import health, i18n

from .logins import admin_client
from .support import RunningServer, Site, eventually
from .test_players_socket import receive_snapshot

SICK = Health(
    uptime=3 * 86400 + 4 * 3600 + 60,
    player_uptime=3600.0,
    cache_bytes=48_000_000,
    disk_free=150_000_000,
    disk_total=15_000_000_000,
    memory=31_000_000,
    temperature=82.5,
    throttled="0x50005",
    clock_trusted=False,
    clock_offset=-2.5,
    display="on",
)


def test_throttled_bits_are_decoded() -> None:
    assert health.throttled_bits("0x0") == []
    assert health.throttled_bits("0x50005") == [0, 2, 16, 18]
    assert health.throttled_bits("throttled=0x80000") == [19]
    assert health.throttled_bits("0x20000000") == []  # bit 29 (not ours) is left out
    assert health.throttled_bits("nonsense") == [] and health.throttled_bits(None) == []


def test_warnings_say_what_is_wrong_in_danish() -> None:
    danish = i18n.load_languages()["da"]
    view = health.describe(SICK.to_dict(), danish, "da")
    assert view.warnings == [
        "Strømforsyningen er for svag (underspænding).",
        "Processoren er sat ned i fart nu (drosling).",
        "Diskplads næsten opbrugt.",
        "Processoren er meget varm (82,5 °C).",
        "Uret er ikke synkroniseret.",
    ]  # the "since the start" bits 16 and 18 are said by the "now" ones
    facts = dict(view.facts)
    assert facts["Kørt i"] == "3 d. 4 t."
    assert facts["Disk"] == "150 MB fri af 15 GB"
    assert facts["Skærm"] == "tændt"
    past = health.describe(
        {"throttled": "0x10000", "clock_trusted": True, "clock_offset": 95}, danish, "da"
    )
    assert past.warnings == [
        "Strømforsyningen har været for svag (underspænding), siden maskinen startede.",
        "Uret går 95 sekunder forkert i forhold til serverens.",
    ]
    well = health.describe(
        {"throttled": "0x0", "disk_free": 9e9, "disk_total": 15e9, "clock_trusted": True},
        danish,
        "da",
    )
    assert well.warnings == [] and dict(well.facts)["Nedregulering"] == "ingen"
    assert health.describe(None, danish, "da").facts == []


def test_figures_read_as_people_write_them() -> None:
    assert health.decimal(-0.04, "da") == "0"  # not "-0"
    assert [health.decimal(v, "da") for v in (2.0, -1.26, 51.65)] == ["2", "-1,3", "51,6"]
    assert health.decimal(-1.26, "en") == "-1.3"


def test_health_is_written_by_the_batched_flush(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "db.sqlite")
    screen, _ = screens.add(db, "morkov", "Hallen")
    presence = screens.Presence()
    presence.health(screen.id, {"uptime": 10.0}, now=100.0)
    presence.health(screen.id, {"uptime": 30.0}, now=120.0)  # the newest wins
    assert screens.get(db, screen.id).health is None  # type: ignore[union-attr]
    presence.flush(db)
    stored = screens.get(db, screen.id)
    assert stored is not None and stored.health == {"uptime": 30.0} and stored.health_at == 120.0
    db.close()


async def test_health_from_heartbeats_shows_on_the_page_and_in_the_api(
    site: Site, server: RunningServer
) -> None:
    token = site.screen(name="Forsamlingshuset")
    db = server.app_state.db
    async with connect(server.ws_url) as player:
        await player.send(serialize(Hello(token=token, version=None, protocol="1.3")))
        await receive_snapshot(player)
        await player.send(serialize(Heartbeat(time.time(), SICK)))
        await eventually(lambda: screens.all_screens(db)[0].health is not None)
    stored = screens.all_screens(db)[0]
    assert stored.health == SICK.to_dict() and stored.health_at is not None
    async with admin_client(site.settings, server.url) as http:
        page = await http.get("/screens")
    row = page.text[page.text.index(">Forsamlingshuset <") :]
    row = row[: row.index("</tr>")]
    for warning in (
        "Strømforsyningen er for svag (underspænding)",
        "Diskplads næsten opbrugt",
        "Uret er ikke synkroniseret",
    ):
        assert warning in row
    assert "150 MB fri af 15 GB" in row and "82,5 °C" in row
    api_token = tokens.add(db, "it", "admin", ())[1]
    async with httpx.AsyncClient(base_url=server.url) as client:
        listed = await client.get(
            "/api/v1/screens", headers={"Authorization": f"Bearer {api_token}"}
        )
    screen = listed.json()["screens"][0]
    assert (
        screen["health"]["throttled"] == "0x50005" and screen["health"]["disk_free"] == 150_000_000
    )
    assert screen["health_at"] is not None


async def test_a_screen_without_reports_says_so(site: Site, server: RunningServer) -> None:
    token = site.screen(name="Gammel")
    async with connect(server.ws_url) as player:
        await player.send(serialize(Hello(token=token, version=None, protocol="1.2")))
        await receive_snapshot(player)
        await player.send(serialize(Heartbeat(time.time())))
        async with admin_client(site.settings, server.url) as http:
            page = await http.get("/screens")
    assert "Ingen melding fra maskinen endnu." in page.text
