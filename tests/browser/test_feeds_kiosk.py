"""Feeds end to end, as the municipality would try it: feeds.toml is saved while the screen
plays, the real server polls a real HTTP server, and the kiosk page in Chromium shows the
news as a page with its text, the headlines in the ticker, and drops an event when it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from ..feeds_server import FeedServer, Route, feed_server
from ..support import write_atomically
from .kiosk_harness import Kiosk, Site, recipe_text, wait_until

pytestmark = pytest.mark.browser

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
HEADLINE = "Vandet er lukket på Hovedgaden"


def news_rss() -> bytes:
    return f"""<?xml version="1.0" encoding="windows-1252"?>
<rss version="2.0"><channel><title>Holbæk Kommune</title>
<item><title>{HEADLINE}</title><link>https://www.holbaek.dk/nyheder/vand</link>
<description>&lt;p&gt;Vandværket skifter en ventil. &lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&lt;/p&gt;</description>
<pubDate>Fri, 27 Nov 2026 10:00:00 +0100</pubDate></item>
</channel></rss>""".encode("windows-1252")  # noqa: E501


def calendar(ends_in_seconds: float) -> bytes:
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    soon = (now + dt.timedelta(seconds=ends_in_seconds)).strftime("%Y%m%dT%H%M%SZ")
    later = (now + dt.timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ")
    later_end = (now + dt.timedelta(days=2, hours=2)).strftime("%Y%m%dT%H%M%SZ")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//x//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:snart\r\nDTSTART:{start}\r\nDTEND:{soon}\r\n"
        "SUMMARY:Loppemarked slutter snart\r\nLOCATION:Mørkøv Hallen\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:senere\r\nDTSTART:{later}\r\nDTEND:{later_end}\r\n"
        "SUMMARY:Julemarked\r\nLOCATION:Forsamlingshuset, Mørkøv\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


def feeds_toml(server: FeedServer) -> str:
    return (
        f'[[feed]]\nid = "kommunen"\nurl = "{server.url("/nyheder.rss")}"\n'
        'kind = "news"\nareas = "all"\nduration = 3\n\n'
        f'[[feed]]\nid = "kalender"\nurl = "{server.url("/kalender.ics")}"\n'
        'kind = "events"\nareas = ["morkov"]\nduration = 3\n'
    )


async def frame_texts(kiosk: Kiosk) -> str:
    texts = []
    for frame in kiosk.page.frames[1:]:
        try:
            texts.append(await frame.evaluate("() => document.body.innerText"))
        except Exception:  # a frame that went away meanwhile
            continue
    return "\n".join(texts)


async def test_feeds_saved_while_playing_reach_the_screen_and_an_ended_event_leaves(
    kiosk_site: Site, feeds: FeedServer, kiosk: Kiosk
) -> None:
    feeds.routes["/nyheder.rss"] = Route(news_rss(), content_type="application/rss+xml")
    feeds.routes["/kalender.ics"] = Route(calendar(25), content_type="text/calendar")
    kiosk_site.write_recipe(
        recipe_text('rotation = ["news", "events", "slides"]\nticker = "all"\n')
    )
    write_atomically(kiosk_site.playlists / "feeds.toml", feeds_toml(feeds))

    # The news page is on screen with its text, as text: no markup, nothing run.
    async def news_shown() -> bool:
        return "Vandværket skifter en ventil." in await frame_texts(kiosk)

    await wait_until(news_shown, "the news page on screen", 40)
    shown = await frame_texts(kiosk)
    assert HEADLINE in shown and "<script" not in shown and "<p>" not in shown
    assert kiosk.dialogs == []

    # The ticker runs along the bottom, below the slide, with the headlines.
    ticker = kiosk.page.locator("#ticker")

    async def headline_in_ticker() -> bool:
        script = f"(el) => !el.hidden && el.textContent.includes({HEADLINE!r})"
        return bool(await ticker.evaluate(script))

    await wait_until(headline_in_ticker, "the headline in the ticker", 20)
    ticker_box = await ticker.bounding_box()
    main_box = await kiosk.page.locator("#main").bounding_box()
    assert ticker_box is not None and main_box is not None
    assert main_box["y"] + main_box["height"] <= ticker_box["y"] + 1

    # The event that ends leaves the ticker and the rotation; the later one stays.
    async def ticker_text() -> str:
        text: str = await ticker.evaluate("(el) => el.textContent")
        return text

    async def ending_event_in_ticker() -> bool:
        return "Loppemarked" in await ticker_text()

    async def ending_event_gone() -> bool:
        return "Loppemarked" not in await ticker_text()

    await wait_until(ending_event_in_ticker, "the ending event in the ticker", 20)
    await wait_until(ending_event_gone, "the ended event gone from the ticker", 60)
    assert "Julemarked" in await ticker_text()
    state = await kiosk.player.state()
    assert state["item"] is None or "Loppemarked" not in (state["item"]["title"] or "")
