"""The poller against a real HTTP server on loopback, with a real SQLite file and real
parser processes."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from signage_server import store
from signage_server.blobs import Blobs
from signage_server.feeds import fetch, storage
from signage_server.feeds.definitions import Feed
from signage_server.feeds.isolate import Parsers
from signage_server.feeds.model import FeedError
from signage_server.feeds.poller import Poller

from ..feeds_server import Route, feed_server
from ..support import eventually, jpeg, timeout


def rss(*titles: str, image: str | None = None) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://kommune.example/{n}</link>"
        f"<guid>https://kommune.example/{n}</guid>"
        f"<pubDate>Thu, 26 Nov 2026 0{n % 10}:00:00 +0100</pubDate>"
        + (f'<enclosure url="{image}" type="image/jpeg" length="1"/>' if image else "")
        + "</item>"
        for n, title in enumerate(titles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Holbæk Kommune</title>{entries}</channel></rss>"
    ).encode()


HOSTILE_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//x//EN\r
BEGIN:VEVENT\r
UID:never\r
DTSTART:20261201T100000Z\r
DTEND:20261201T110000Z\r
RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r
SUMMARY:Aldrig\r
END:VEVENT\r
END:VCALENDAR\r
"""


class Changes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "signage.db")
    yield connection
    connection.close()


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def poller(db: sqlite3.Connection, tmp_path: Path, changes: Changes) -> Poller:
    return Poller(db, Blobs(tmp_path / "blobs"), changes, parsers=Parsers(deadline=timeout(2)))


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "MAX_BYTES", 200_000)
    monkeypatch.setattr(fetch, "TOTAL_SECONDS", timeout(3.0))


def feed(url: str, feed_id: str = "kommunen", **settings: object) -> Feed:
    return Feed(id=feed_id, url=url, kind="news", areas="all", **settings)  # type: ignore[arg-type]


async def test_a_new_feed_is_fetched_parsed_kept_and_reported(
    poller: Poller, db: sqlite3.Connection, changes: Changes
) -> None:
    with feed_server({"/news": Route(rss("Ny cykelsti", "Julemarked"), etag='"1"')}) as server:
        definition = feed(server.url("/news"))
        poller.configure([definition])
        async with fetch.client() as http:
            before = time.time()
            await poller.poll(http, definition)
    assert [item.title for item in poller.items["kommunen"]] == ["Ny cykelsti", "Julemarked"]
    assert changes.count == 1
    status = poller.statuses["kommunen"]
    assert status.title == "Holbæk Kommune"
    assert status.item_count == 2 and status.failures == 0 and status.last_error is None
    assert status.last_success is not None and status.last_success >= before
    # The next poll is about one interval away, varied so that feeds drift apart.
    assert status.next_poll is not None
    assert 0.85 * 15 * 60 < status.next_poll - before < 1.15 * 15 * 60
    # Kept in the database, for `signage feeds` and for the next start.
    assert storage.load_statuses(db)["kommunen"].item_count == 2
    assert len(storage.load_items(db)["kommunen"]) == 2


async def test_an_unchanged_feed_costs_a_304_and_no_parse(poller: Poller, changes: Changes) -> None:
    with feed_server({"/news": Route(rss("Ny cykelsti"), etag='"1"')}) as server:
        definition = feed(server.url("/news"))
        poller.configure([definition])
        async with fetch.client() as http:
            await poller.poll(http, definition)
            parsed_at = poller.statuses["kommunen"].last_parse
            await poller.poll(http, definition)
        assert server.requests[1][1].get("If-None-Match") == '"1"'
    assert changes.count == 1
    assert poller.statuses["kommunen"].last_parse == parsed_at
    assert poller.statuses["kommunen"].last_success is not None
    assert len(poller.items["kommunen"]) == 1


async def test_an_identical_body_without_validators_is_no_change(
    poller: Poller, changes: Changes
) -> None:
    with feed_server({"/news": Route(rss("Ny cykelsti"))}) as server:
        definition = feed(server.url("/news"))
        poller.configure([definition])
        async with fetch.client() as http:
            await poller.poll(http, definition)
            await poller.poll(http, definition)
    assert changes.count == 1


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        (Route(b"boom", status=500, content_type="text/plain"), "500"),
        (Route(b"<html><body>Siden findes ikke</body></html>", content_type="text/html"), "HTML"),
        (Route(b"", content_type="application/rss+xml"), "empty"),
        (Route(b"x" * 300_000, chunked=True), "bytes"),
        (Route(b"<rss><channel><item><title>a", content_type="text/xml"), ""),
    ],
    ids=["500", "html", "empty", "too-large", "broken-xml"],
)
async def test_a_broken_feed_keeps_its_last_good_items(
    poller: Poller, changes: Changes, route: Route, problem: str
) -> None:
    routes = {"/news": Route(rss("Ny cykelsti"))}
    with feed_server(routes) as server:
        definition = feed(server.url("/news"))
        poller.configure([definition])
        async with fetch.client() as http:
            await poller.poll(http, definition)
            routes["/news"] = route
            await poller.poll(http, definition)
    status = poller.statuses["kommunen"]
    assert [item.title for item in poller.items["kommunen"]] == ["Ny cykelsti"]
    assert changes.count == 1
    assert status.last_error is not None and problem in status.last_error
    assert status.failures == 1
    # Asked again later than usual: twice the interval, give or take a quarter.
    assert status.next_poll is not None and status.last_attempt is not None
    assert status.next_poll - status.last_attempt > 1.4 * 15 * 60


async def test_a_redirect_loop_and_an_unreachable_host_are_errors(poller: Poller) -> None:
    with feed_server() as server:
        server.routes["/loop"] = Route(status=302, headers={"Location": server.url("/loop")})
        looping = feed(server.url("/loop"), "loop")
        gone = feed("http://127.0.0.1:9/feed.xml", "gone")
        poller.configure([looping, gone])
        async with fetch.client() as http:
            await asyncio.gather(poller.poll(http, looping), poller.poll(http, gone))
    assert "redirects" in (poller.statuses["loop"].last_error or "")
    assert poller.statuses["gone"].last_error
    assert "loop" not in poller.items and "gone" not in poller.items


async def test_a_calendar_that_never_ends_parsing_is_stopped_and_slows_no_other_feed(
    poller: Poller,
) -> None:
    routes = {
        "/hostile.ics": Route(HOSTILE_ICS, content_type="text/calendar"),
        "/news": Route(rss("Ny cykelsti")),
    }
    with feed_server(routes) as server:
        hostile = Feed("kalender", server.url("/hostile.ics"), "events", "all")
        news = feed(server.url("/news"))
        poller.configure([hostile, news])
        async with fetch.client() as http:
            slow = asyncio.create_task(poller.poll(http, hostile))
            started = time.monotonic()
            await poller.poll(http, news)
            news_took = time.monotonic() - started
            await slow
    assert "took more than" in (poller.statuses["kalender"].last_error or "")
    assert poller.statuses["kommunen"].last_error is None
    # The news feed did not wait for the calendar's deadline.
    assert news_took < timeout(2)


async def test_items_and_status_survive_a_restart(
    db: sqlite3.Connection, tmp_path: Path, poller: Poller
) -> None:
    with feed_server({"/news": Route(rss("Ny cykelsti"), etag='"1"')}) as server:
        definition = feed(server.url("/news"))
        poller.configure([definition])
        async with fetch.client() as http:
            await poller.poll(http, definition)
        again = Poller(db, Blobs(tmp_path / "blobs"), Changes())
        assert again.items == poller.items
        assert again.statuses["kommunen"].validators.etag == '"1"'
        again.configure([definition])
        # Not polled again at once: its next poll comes from the record.
        assert again._due["kommunen"] > time.time() + 60


async def test_a_removed_feed_is_forgotten_and_a_new_address_starts_afresh(
    poller: Poller, db: sqlite3.Connection
) -> None:
    with feed_server(
        {"/a": Route(rss("Fra A"), etag='"a"'), "/b": Route(rss("Fra B"), etag='"b"')}
    ) as server:
        first = feed(server.url("/a"))
        other = feed(server.url("/a"), "andet")
        poller.configure([first, other])
        async with fetch.client() as http:
            await poller.poll(http, first)
            await poller.poll(http, other)
            assert poller.configure([first]) is True  # "andet" had items
            assert "andet" not in poller.items and "andet" not in storage.load_statuses(db)
            moved = feed(server.url("/b"))
            poller.configure([moved])
            assert poller.statuses["kommunen"].validators.etag is None
            await poller.poll(http, moved)
        assert "If-None-Match" not in server.requests[-1][1]
    assert [item.title for item in poller.items["kommunen"]] == ["Fra B"]


async def test_the_running_poller_spreads_first_polls_and_fetches_pictures(
    poller: Poller, changes: Changes
) -> None:
    routes = {f"/news{n}": Route(rss(f"Nyhed {n}")) for n in range(4)}
    routes["/billede.jpg"] = Route(jpeg((10, 120, 200), size=(800, 600)), content_type="image/jpeg")
    routes["/ikke-et-billede.jpg"] = Route(b"<html></html>", content_type="image/jpeg")
    with feed_server(routes) as server:
        feeds = [feed(server.url(f"/news{n}"), f"f{n}") for n in range(4)]
        poller.configure(feeds)
        dues = sorted(poller._due.values())
        assert all(b - a >= 0.2 for a, b in itertools.pairwise(dues))
        task = asyncio.create_task(poller.run())
        try:
            await eventually(lambda: len(poller.items) == 4)
            poller.pictures.want([server.url("/billede.jpg"), server.url("/ikke-et-billede.jpg")])
            await eventually(lambda: poller.pictures.get(server.url("/billede.jpg")) is not None)
            await eventually(lambda: server.url("/ikke-et-billede.jpg") in poller.pictures.known)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    picture = poller.pictures.get(server.url("/billede.jpg"))
    assert picture is not None and picture.type == "image/jpeg"
    failed = poller.pictures.known[server.url("/ikke-et-billede.jpg")]
    assert failed.asset is None and failed.error
    assert poller.pictures.get(server.url("/ikke-et-billede.jpg")) is None
    # A failed picture is not asked for again the same day.
    poller.pictures.want([server.url("/ikke-et-billede.jpg")])
    assert not poller.pictures._wanted


async def test_parsers_pass_a_feed_error_on() -> None:
    parsers = Parsers(deadline=timeout(5))
    with pytest.raises(FeedError, match="not a feed"):
        await parsers.parse(
            b"<html>nope</html>",
            feed_id="x",
            url="http://example.invalid/",
            now=dt.datetime.now(dt.UTC),
        )


def test_status_records_round_trip(db: sqlite3.Connection) -> None:
    status = storage.FeedStatus(
        "kommunen",
        "https://example.invalid/rss",
        title="Kommunen",
        validators=fetch.Validators('"e"', "Thu, 26 Nov 2026 10:00:00 GMT"),
        last_error="the server answered 500",
        failures=2,
        warnings=("én advarsel",),
        next_poll=123.0,
    )
    storage.save_status(db, status)
    assert storage.load_statuses(db)["kommunen"] == status


async def test_cancelling_a_parse_stops_its_child_at_once() -> None:
    parsers = Parsers(deadline=timeout(60))
    task = asyncio.create_task(
        parsers.parse(
            HOSTILE_ICS, feed_id="x", url="http://example.invalid/", now=dt.datetime.now(dt.UTC)
        )
    )
    await eventually(lambda: parsers.running == 1)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < timeout(5)
    assert parsers.running == 0


async def test_a_picture_asked_for_while_it_is_fetched_is_fetched_once(poller: Poller) -> None:
    # Found running the demo: every area's recomposition asked again while the first
    # fetch was under way, and each ask fetched the picture once more.
    routes = {"/billede.jpg": Route(jpeg((10, 120, 200)), content_type="image/jpeg", delay=0.3)}
    with feed_server(routes) as server:
        url = server.url("/billede.jpg")
        task = asyncio.create_task(poller.run())
        try:
            poller.pictures.want([url])
            await eventually(lambda: server.requests)
            poller.pictures.want([url])
            poller.pictures.want([url])
            await eventually(lambda: poller.pictures.get(url) is not None)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert len(server.requests) == 1


async def test_removing_several_feeds_forgets_the_items_of_each(poller: Poller) -> None:
    # Found reading the change: any() stopped at the first removed feed with items.
    with feed_server({f"/{n}": Route(rss(f"Nyhed {n}")) for n in range(3)}) as server:
        feeds = [feed(server.url(f"/{n}"), f"f{n}") for n in range(3)]
        poller.configure(feeds)
        async with fetch.client() as http:
            for definition in feeds:
                await poller.poll(http, definition)
    assert poller.configure(feeds[:1]) is True
    assert set(poller.items) == {"f0"}
