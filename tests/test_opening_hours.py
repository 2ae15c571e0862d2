"""Opening hours of an area's screens (the recipe's ``[screens]`` table): how they are written,
what `signage check` says about bad ones (with the line), and the ``display`` windows compose
puts in the snapshot, right across the changes to and from summer time and past midnight."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from websockets.asyncio.client import connect

from player.protocol import Hello, Snapshot, serialize
from signage_server import check
from signage_server.compose import compose, opening_windows
from signage_server.recipes import OpeningHours, RecipeError, parse
from signage_server.settings import Settings

from .support import RunningServer, Site, eventually
from .test_players_socket import receive_snapshot

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
HEAD = 'name = "Mørkøv"\n'
PATH = Path("playlists/morkov.toml")
DAY = 24 * 60


def hours_of(text: str) -> OpeningHours | None:
    return parse(PATH, HEAD + text).opening_hours


def local(when: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(when, COPENHAGEN)


def closed(windows: tuple[tuple[float | None, float | None], ...]) -> list[tuple[float, float]]:
    """Opening windows always have both ends."""
    spans = []
    for start, end in windows:
        assert start is not None and end is not None
        spans.append((start, end))
    return spans


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=COPENHAGEN).timestamp()


def test_the_ways_to_write_them() -> None:
    assert hours_of("") is None
    assert hours_of("[screens]\n") is None  # no hours: always on
    assert hours_of('[screens]\nhours = "07:00-22:00"\n') == OpeningHours(((420, 1320),) * 7)
    week = hours_of(
        '[screens]\nhours = { man-fre = "7.00-22.00", "lør" = "09:00-23:00", sun = "off" }\n'
    )
    assert week == OpeningHours(((420, 1320),) * 5 + ((540, 1380), None))
    other = hours_of(
        '[screens]\nhours = { default = "08:00-20:00", fre = "18:00-02:00", '
        '"søn" = "slukket", "lørdag" = "00:00-24:00" }\n'
    )
    assert other == OpeningHours(
        ((480, 1200),) * 4 + ((1080, DAY + 120), (0, DAY), None)  # Friday runs into Saturday
    )


@pytest.mark.parametrize(
    ("table", "line", "problem"),
    [
        ('[screens]\nhours = "7-22"\n', 3, 'hours: expected a time span like "07:00-22:00"'),
        ('[screens]\nhours = "07:00-07:00"\n', 3, "start and end are the same time"),
        ('[screens]\nhours = "25:00-07:00"\n', 3, "expected a time span"),
        ("[screens]\nhours = 7\n", 3, 'hours: expected "07:00-22:00", or a table'),
        (
            '[screens]\nhours = { man-ons = "07:00-22:00", "lør-søn" = "off" }\n',
            3,
            "hours: no hours for tor, fre; give them, or the other days at once with default",
        ),
        ('[screens]\nhours = { default = "off" }\n', 3, "every day is off"),
        ('[screens]\nhours = { mandays = "off", default = "07:00-22:00" }\n', 3, "unknown day"),
        ('[screens]\nhours = { fre-man = "off", default = "07:00-22:00" }\n', 3, "backwards"),
        ('[screens]\nhours = { man = "off", monday = "off", default = "off" }\n', 3, "twice"),
        ('[screens]\nhours = { man = 7, default = "off" }\n', 3, "hours.man: expected text"),
        ('\n[screens]\nhour = "07:00-22:00"\n', 4, "unknown screens setting 'hour'"),
        ('screens = "07:00-22:00"\n', 2, "screens: expected a table"),
    ],
)
def test_bad_hours_name_the_line(table: str, line: int, problem: str) -> None:
    with pytest.raises(RecipeError) as caught:
        parse(PATH, HEAD + table)
    assert caught.value.line == line and problem in caught.value.problem, str(caught.value)
    assert str(caught.value).startswith(f"{PATH}:{line}: ")


def test_signage_check_reports_them_with_file_and_line(tmp_path: Path) -> None:
    playlists = tmp_path / "playlists"
    playlists.mkdir()
    (playlists / "morkov.toml").write_text(
        HEAD + '\n[screens]\nhours = { man-fre = "07:00-22:00" }\n', encoding="utf-8"
    )
    settings = Settings(playlists=playlists, assets=tmp_path / "assets", data_dir=tmp_path)
    _, findings = check.check(settings)
    assert any(
        str(finding).startswith(
            f"{playlists / 'morkov.toml'}:4: error: hours: no hours for lør, søn"
        )
        for finding in findings
    ), [str(finding) for finding in findings]


def test_windows_cover_yesterday_to_the_horizon_in_local_time() -> None:
    hours = OpeningHours(((420, 1320),) * 5 + ((540, 1380), None))
    today = dt.date(2026, 6, 10)  # a Wednesday, summer time
    windows = closed(opening_windows(hours, today, COPENHAGEN))
    starts = [local(start).isoformat() for start, _ in windows]
    assert starts[0] == "2026-06-09T07:00:00+02:00"  # yesterday
    assert "2026-06-13T09:00:00+02:00" in starts  # Saturday from 9
    assert not any(start.startswith("2026-06-14") for start in starts)  # Sunday off
    assert local(windows[-1][0]).date() == dt.date(2026, 6, 17)  # today + 7
    assert all(end - start == 15 * 3600 for start, end in windows if local(start).weekday() < 5)


def test_summer_time_begins_and_ends() -> None:
    every_day = OpeningHours(((420, 1320),) * 7)
    for day in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):  # the last Sundays
        windows = {
            local(s).date(): (s, e) for s, e in closed(opening_windows(every_day, day, COPENHAGEN))
        }
        start, end = windows[day]
        assert local(start).hour == 7 and local(end).hour == 22
        assert end - start == 15 * 3600
    night = OpeningHours(((1320, DAY + 180),) * 7)  # 22:00-03:00
    spring = dict(
        (local(s).date(), e - s)
        for s, e in closed(opening_windows(night, dt.date(2026, 3, 29), COPENHAGEN))
    )
    assert spring[dt.date(2026, 3, 28)] == 4 * 3600  # the clocks skip 02:00-03:00
    assert spring[dt.date(2026, 3, 29)] == 5 * 3600
    autumn = dict(
        (local(s).date(), e - s)
        for s, e in closed(opening_windows(night, dt.date(2026, 10, 25), COPENHAGEN))
    )
    assert autumn[dt.date(2026, 10, 24)] == 6 * 3600  # 02:00-03:00 comes twice


def test_hours_past_midnight_and_whole_days_join_up() -> None:
    friday_night = OpeningHours(((420, 1320),) * 4 + ((1080, DAY + 120), (0, DAY), None))
    windows = closed(opening_windows(friday_night, dt.date(2026, 6, 12), COPENHAGEN))  # a Friday
    joined = [(local(s).isoformat(), local(e).isoformat()) for s, e in windows]
    # Friday 18:00 through Saturday's whole day: one window, to Sunday 00:00.
    assert ("2026-06-12T18:00:00+02:00", "2026-06-14T00:00:00+02:00") in joined
    always = closed(
        opening_windows(OpeningHours(((0, DAY),) * 7), dt.date(2026, 6, 12), COPENHAGEN)
    )
    assert len(always) == 1


def test_the_snapshot_carries_them_and_areas_without_keep_their_versions() -> None:
    now = at("2026-03-28T12:00:00")  # the day before summer time
    with_hours = parse(PATH, HEAD + '[screens]\nhours = "07:00-22:00"\n')
    without = parse(PATH, HEAD)
    snapshot = compose(with_hours, {}, now).snapshot
    assert snapshot.display is not None and len(snapshot.display) == 9
    assert snapshot.display[0] == (at("2026-03-27T07:00:00"), at("2026-03-27T22:00:00"))
    assert snapshot.to_dict()["display"][1] == [
        at("2026-03-28T07:00:00"),
        at("2026-03-28T22:00:00"),
    ]
    assert snapshot.display_on_at(at("2026-03-28T21:59:00"))
    assert not snapshot.display_on_at(at("2026-03-28T22:00:00"))
    assert not snapshot.display_on_at(at("2026-03-29T06:59:00"))
    plain = compose(without, {}, now).snapshot
    assert plain.display is None and "display" not in plain.to_dict()
    # The version is the hash of exactly what it was before opening hours existed.
    body = plain.to_dict()
    del body["version"]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert plain.version == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert snapshot.version != plain.version
    # Within a day the version stays; at the next local day it moves on with the horizon.
    assert compose(with_hours, {}, now + 3600).snapshot.version == snapshot.version
    assert compose(with_hours, {}, now + 86400).snapshot.version != snapshot.version


async def test_players_get_them(site: Site, server: RunningServer) -> None:
    token = site.screen()
    site.recipe("morkov", HEAD + 'sources = ["morkov"]\n[screens]\nhours = "07:00-22:00"\n')
    hub = server.app_state.hub
    await eventually(lambda: hub.current("morkov").snapshot.display is not None)
    async with connect(server.ws_url) as socket:
        await socket.send(serialize(Hello(token=token, version=None, protocol="1.3")))
        message = await receive_snapshot(socket)
    assert isinstance(message.snapshot, Snapshot)
    assert message.snapshot.display == hub.current("morkov").snapshot.display
