"""The demo's sample feeds parse as the real ones they stand for, with dates around today."""

from __future__ import annotations

import datetime as dt
import urllib.request
from pathlib import Path

from signage_server import demofeeds
from signage_server.feeds import definitions
from signage_server.feeds.parse import parse_feed

ROOT = Path(__file__).parent.parent
TODAY = dt.date(2026, 11, 28)
NOW = dt.datetime(2026, 11, 28, 9, tzinfo=demofeeds.ZONE)


def parsed(directory: Path, name: str) -> object:
    return parse_feed(
        (directory / name).read_bytes(),
        feed_id=name,
        url=f"http://127.0.0.1:{demofeeds.FEEDS_PORT}/{name}",
        now=NOW,
    )


def test_sample_feeds_parse_with_pictures_places_and_future_events(tmp_path: Path) -> None:
    demofeeds.write_feeds(tmp_path, TODAY)
    news = parse_feed(
        (tmp_path / "nyheder.xml").read_bytes(), feed_id="n", url="http://x/", now=NOW
    )
    assert len(news.items) == 4 and not news.warnings
    assert news.items[0].image_url == f"http://127.0.0.1:{demofeeds.FEEDS_PORT}/cykelsti.jpg"
    assert "Holbæk Kommune går i gang" in news.items[0].summary
    calendar = parse_feed(
        (tmp_path / "kalender.ics").read_bytes(), feed_id="k", url="http://x/", now=NOW
    )
    titles = [item.title for item in calendar.items]
    assert titles.count("Strikkecafé på biblioteket") >= 4  # weekly
    julemarked = next(i for i in calendar.items if i.title == "Julemarked i Forsamlingshuset")
    assert julemarked.start is not None and julemarked.start.date() == dt.date(2026, 12, 5)
    assert julemarked.place == "Forsamlingshuset, Mørkøv"
    assert any(item.all_day for item in calendar.items)
    library = parse_feed(
        (tmp_path / "bibliotek.xml").read_bytes(), feed_id="b", url="http://x/", now=NOW
    )
    assert [item.place for item in library.items] == [
        "Holbæk Bibliotek",
        "Jyderup Bibliotek",
        "Mørkøv Bogbus",
    ]
    assert all(item.start is not None and item.start > NOW for item in library.items)


def test_rewriting_unchanged_feeds_keeps_their_time_for_304s(tmp_path: Path) -> None:
    demofeeds.write_feeds(tmp_path, TODAY)
    before = (tmp_path / "kalender.ics").stat().st_mtime_ns
    demofeeds.write_feeds(tmp_path, TODAY)
    assert (tmp_path / "kalender.ics").stat().st_mtime_ns == before


def test_the_repositorys_feeds_toml_reads_the_samples(tmp_path: Path) -> None:
    feeds = definitions.load(ROOT / "playlists" / "feeds.toml")
    assert {feed.url.rsplit("/", 1)[1] for feed in feeds} == {
        "nyheder.xml",
        "kalender.ics",
        "bibliotek.xml",
    }
    demofeeds.write_feeds(tmp_path, TODAY)
    with demofeeds.serving(tmp_path, port=0) as port:
        url = f"http://127.0.0.1:{port}/nyheder.xml"
        with urllib.request.urlopen(url, timeout=5) as response:
            modified = response.headers["Last-Modified"]
            assert response.read().startswith(b"<?xml")
        request = urllib.request.Request(url, headers={"If-Modified-Since": modified})
        try:
            urllib.request.urlopen(request, timeout=5)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 304
