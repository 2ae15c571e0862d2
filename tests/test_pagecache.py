"""Rendered pages are remembered in memory and, by content key, in the database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signage_server import pagecache, store
from signage_server.pagecache import PageIndex, Renderer
from signage_server.pages.cards import EventCard, NewsCard, OverviewCard
from signage_server.pages.render import Pages

UTC = dt.UTC


class CountingPages(Pages):
    def __init__(self) -> None:
        super().__init__()
        self.rendered = 0

    def news(self, card: NewsCard, layout: str, zone: Any) -> bytes:
        self.rendered += 1
        return super().news(card, layout, zone)


def card(title: str) -> NewsCard:
    return NewsCard(
        title, "Tekst.", "https://example.dk/a", None, dt.datetime(2026, 11, 28, tzinfo=UTC)
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "signage.db")
    yield connection
    connection.close()


def test_a_restarted_server_does_not_render_stored_pages_again(db: sqlite3.Connection) -> None:
    first_pages = CountingPages()
    first = Renderer(first_pages, index=PageIndex(db), stored=lambda sha256: True)
    page = first.render(card("Ny cykelsti"), "landscape", UTC)
    assert page.html is not None and first_pages.rendered == 1
    assert first.render(card("Ny cykelsti"), "landscape", UTC) is page  # in memory
    again_pages = CountingPages()
    again = Renderer(again_pages, index=PageIndex(db), stored=lambda sha256: True)
    known = again.render(card("Ny cykelsti"), "landscape", UTC)
    assert (known.sha256, known.size, known.html) == (page.sha256, page.size, None)
    assert again_pages.rendered == 0
    # Another layout or time zone is another page.
    again.render(card("Ny cykelsti"), "portrait", UTC)
    again.render(card("Ny cykelsti"), "landscape", dt.timezone(dt.timedelta(hours=1)))
    assert again_pages.rendered == 2


def test_a_page_whose_blob_is_gone_is_rendered_again(db: sqlite3.Connection) -> None:
    Renderer(index=PageIndex(db)).render(card("Ny cykelsti"), "landscape", UTC)
    pages = CountingPages()
    page = Renderer(pages, index=PageIndex(db), stored=lambda sha256: False).render(
        card("Ny cykelsti"), "landscape", UTC
    )
    assert page.html is not None and pages.rendered == 1


def test_other_code_or_templates_make_other_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    before = Renderer().key(card("a"), "landscape", UTC)
    monkeypatch.setattr(pagecache, "_fingerprint", lambda: "another version")
    assert Renderer().key(card("a"), "landscape", UTC) != before


def test_memory_keeps_the_most_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Renderer, "LIMIT", 2)
    pages = CountingPages()
    renderer = Renderer(pages)
    for title in ("a", "b", "a", "c", "a"):
        renderer.render(card(title), "landscape", UTC)
    assert pages.rendered == 3  # "a" stayed in; "b" went out when "c" came
    renderer.render(card("b"), "landscape", UTC)
    assert pages.rendered == 4


def test_old_keys_are_forgotten(db: sqlite3.Connection) -> None:
    now = [1_000_000_000.0]
    index = PageIndex(db, clock=lambda: now[0])
    index.put("old", "ab" * 32, 10)
    now[0] += pagecache.FORGET_SECONDS + 1
    index.put("new", "cd" * 32, 10)
    index.forget_old()
    assert index.get("old") is None and index.get("new") == ("cd" * 32, 10)


def test_an_event_read_back_from_the_database_has_the_same_key() -> None:
    # Found by bench/feeds.py: the feed gives ZoneInfo times, the database fixed offsets,
    # so every event page was rendered again after a restart.
    zone = ZoneInfo("Europe/Copenhagen")
    start = dt.datetime(2026, 12, 5, 10, tzinfo=zone)
    end = dt.datetime(2026, 12, 5, 15, tzinfo=zone)
    fresh = EventCard("Julemarked", "", None, None, start, end, place="Forsamlingshuset")
    stored = EventCard(
        "Julemarked",
        "",
        None,
        None,
        dt.datetime.fromisoformat(start.isoformat()),
        dt.datetime.fromisoformat(end.isoformat()),
        place="Forsamlingshuset",
    )
    renderer = Renderer()
    assert renderer.key(fresh, "landscape", zone) == renderer.key(stored, "landscape", zone)
    overview = OverviewCard("Mørkøv", 14, (fresh,))
    assert renderer.key(overview, "landscape", zone) == renderer.key(
        OverviewCard("Mørkøv", 14, (stored,)), "landscape", zone
    )
    later = EventCard("Julemarked", "", None, None, start + dt.timedelta(hours=1), end)
    assert renderer.key(later, "landscape", zone) != renderer.key(fresh, "landscape", zone)
