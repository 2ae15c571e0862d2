"""Which feed items an area shows (select) and the slides made of them (feedslides), with
a fixed clock: routing, de-duplication, caps, order, windows, the overview's versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from player.protocol import Snapshot
from signage_server.compose import compose
from signage_server.feeds.definitions import Feed, Route
from signage_server.feeds.model import FeedItem
from signage_server.feeds.select import Selection, event_end, select
from signage_server.feeds.storage import Picture
from signage_server.feedslides import FeedSlides, build
from signage_server.pagecache import Page, Renderer
from signage_server.recipes import Recipe, parse

ZONE = ZoneInfo("Europe/Copenhagen")
#: Saturday 28 November 2026, 09:00 in Copenhagen.
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=ZONE)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def news(uid: str, title: str, day: int, **fields: Any) -> FeedItem:
    return FeedItem(feed="kommunen", uid=uid, title=title, published=at(day, 10), **fields)


def event(
    uid: str, title: str, start: dt.datetime, end: dt.datetime | None = None, **fields: Any
) -> FeedItem:
    return FeedItem(feed="kalender", uid=uid, title=title, start=start, end=end, **fields)


NEWS = Feed("kommunen", "https://example.invalid/rss", "news", "all", max_items=3)
EVENTS = Feed(
    "kalender",
    "https://example.invalid/cal.ics",
    "events",
    ("morkov", "jyderup"),
    routes={"morkov": Route(places=("Mørkøv",), keywords=("Mørkøv",))},
)


def recipe(text: str = "") -> Recipe:
    return parse(Path("morkov.toml"), 'name = "Mørkøv"\n' + text)


# --- select -------------------------------------------------------------------------


def test_news_newest_first_capped_per_feed() -> None:
    items = {"kommunen": [news(str(n), f"Nyhed {n}", 20 + n) for n in range(5)]}
    chosen = select([NEWS], items, "morkov", NOW, ZONE)
    assert [c.item.title for c in chosen.news] == ["Nyhed 4", "Nyhed 3", "Nyhed 2"]


def test_events_routed_by_place_or_keyword_ordered_by_start_and_ended_ones_dropped() -> None:
    items = {
        "kalender": [
            event(
                "b",
                "Julemarked",
                at(6, 10, month=12),
                at(6, 15, month=12),
                place="Forsamlingshuset, Mørkøv",
            ),
            event("a", "Juletræstænding i Mørkøv", at(29, 16), at(29, 17)),
            event("c", "Foredrag", at(30, 19), at(30, 21), place="Jyderup Bibliotek"),
            event("d", "Loppemarked", at(27, 10), at(27, 12), place="Mørkøv Hallen"),
            event("e", "Morgensang", at(28, 8), at(28, 9), place="Mørkøv Kirke"),
        ]
    }
    morkov = select([EVENTS], items, "morkov", NOW, ZONE)
    assert [c.item.title for c in morkov.events] == ["Juletræstænding i Mørkøv", "Julemarked"]
    jyderup = select([EVENTS], items, "jyderup", NOW, ZONE)  # no route: everything not over
    assert [c.item.title for c in jyderup.events] == [
        "Juletræstænding i Mørkøv",
        "Foredrag",
        "Julemarked",
    ]
    assert select([EVENTS], items, "tollose", NOW, ZONE) == Selection()


def test_an_event_without_an_end_lasts_until_the_end_of_its_day() -> None:
    item = event("a", "Koncert", at(28, 19))
    assert event_end(item, ZONE) == at(29)
    assert [
        c.item.title for c in select([EVENTS], {"kalender": [item]}, "jyderup", NOW, ZONE).events
    ] == ["Koncert"]
    late = dt.datetime(2026, 11, 29, 0, 30, tzinfo=ZONE)
    assert select([EVENTS], {"kalender": [item]}, "jyderup", late, ZONE).events == ()


def test_the_same_story_from_two_feeds_is_shown_once() -> None:
    other = Feed("avisen", "https://example.invalid/avis", "news", "all")
    items = {
        "kommunen": [news("1", "Ny cykelsti", 26, link="https://www.holbaek.dk/cykelsti/")],
        "avisen": [
            FeedItem(
                "avisen", "x", "Ny cykelsti!", link="https://holbaek.dk/cykelsti", published=at(27)
            ),
            FeedItem("avisen", "y", "Andet", published=at(27)),
        ],
    }
    chosen = select([NEWS, other], items, "morkov", NOW, ZONE)
    assert sorted((c.feed.id, c.item.title) for c in chosen.news) == [
        ("avisen", "Andet"),
        ("kommunen", "Ny cykelsti"),
    ]


def test_occurrences_of_a_series_with_one_link_are_kept_apart() -> None:
    link = "https://bibliotek.example/strikkecafe"
    items = {
        "kalender": [
            event(f"s{n}", "Strikkecafé", at(28 + n, 14), at(28 + n, 16), link=link)
            for n in range(2)
        ]
    }
    assert len(select([EVENTS], items, "jyderup", NOW, ZONE).events) == 2


# --- build ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def no_picture(url: str) -> Picture | None:
    return None


def slides_for(
    renderer: Renderer,
    items: list[FeedItem],
    now: dt.datetime = NOW,
    text: str = "",
    picture: Callable[[str], Picture | None] = no_picture,
) -> FeedSlides:
    the_recipe = recipe(text)
    selection = select([NEWS, EVENTS], {"kalender": items}, "jyderup", now, ZONE)
    return build(the_recipe, selection, now.timestamp(), renderer, picture)


def test_event_slides_carry_windows_from_n_days_before_until_the_end(renderer: Renderer) -> None:
    slides = slides_for(
        renderer, [event("a", "Julemarked", at(6, 10, month=12), at(6, 15, month=12))]
    )
    (item,) = slides.blocks["events"]
    # In "the next 14 days" from 23 November; over at 15.00 on the 6th.
    assert item.windows == ((at(23).timestamp(), at(6, 15, month=12).timestamp()),)
    assert item.kind == "page" and item.asset in slides.pages
    assert slides.next_change == at(6, 15, month=12).timestamp()
    assert slides.ticker == ()  # the default ticker shows news only


def test_the_overview_has_one_version_per_stretch_and_none_after_what_is_known(
    renderer: Renderer,
) -> None:
    items = [
        event("a", "Morgenbad", at(28, 8), at(28, 11)),
        event("b", "Julemarked", at(29, 10), at(29, 15)),
    ]
    slides = slides_for(renderer, items)
    overview = slides.blocks["overview"]
    windows = [item.windows[0] for item in overview]
    # From now until Morgenbad ends at 11.00; then Julemarked alone until it ends.
    assert windows[0] == (None, at(28, 11).timestamp())
    assert windows[1] == (at(28, 11).timestamp(), at(29, 15).timestamp())
    assert len(overview) == 2  # nothing after: no overview rather than an empty one
    assert overview[0].id == "overview" and overview[1].id.startswith("overview@")
    first, second = (slides.pages[item.asset].decode() for item in overview)
    assert "Morgenbad" in first and "Julemarked" in first
    assert "Morgenbad" not in second and "Julemarked" in second


def test_an_event_enters_the_overview_at_midnight_n_days_before(renderer: Renderer) -> None:
    items = [
        event("a", "Julemarked", at(29, 10), at(29, 15)),
        event("b", "Nytårskoncert", at(15, 19, month=12), at(15, 21, month=12)),
    ]
    slides = slides_for(renderer, items, text="overview_days = 14\n")
    overview = slides.blocks["overview"]
    entering = at(2, month=12).timestamp()  # 15 December minus 13 days
    assert any(item.windows[0][0] == entering for item in overview)
    before = next(item for item in overview if item.windows[0][1] == at(29, 15).timestamp())
    assert "Nytårskoncert" not in slides.pages[before.asset].decode()


def test_rebuilding_within_a_stretch_gives_the_same_version(renderer: Renderer) -> None:
    items = [event("a", "Julemarked", at(29, 10), at(29, 15))]
    the_recipe = recipe()

    def version(now: dt.datetime) -> str:
        slides = slides_for(renderer, items, now)
        return compose(the_recipe, {}, now.timestamp(), slides).snapshot.version

    assert version(NOW) == version(NOW + dt.timedelta(hours=2))
    assert version(NOW) != version(at(29, 16))


def test_ticker_entries_and_pictures(renderer: Renderer) -> None:
    sha = "ab" * 32
    url = "https://example.invalid/billede.jpg"
    items = [event("a", "Julemarked", at(29, 10), at(29, 15), image_url=url)]

    def picture(wanted: str) -> Picture | None:
        return Picture(url, sha, 1234, "image/jpeg", None, 0.0) if wanted == url else None

    slides = slides_for(renderer, items, text='ticker = "events"\n', picture=picture)
    window = [at(16).timestamp(), at(29, 15).timestamp()]
    assert slides.ticker == ({"text": "søn. 29. nov. · Julemarked", "windows": [window]},)
    assert any(asset.sha256 == sha for asset in slides.assets)
    (item,) = slides.blocks["events"]
    assert f"/assets/{sha}" in slides.pages[item.asset].decode()
    missing = slides_for(renderer, items, picture=no_picture)
    assert missing.wanted_pictures == (url,)


def test_compose_follows_the_rotation_and_leaves_out_what_it_does_not_name(
    renderer: Renderer,
) -> None:
    items = [event("a", "Julemarked", at(29, 10), at(29, 15))]
    for rotation, expected in [
        ('["events", "overview"]', ["event", "overview"]),
        ('["overview"]', ["overview"]),
        ("[]", []),
    ]:
        the_recipe = recipe(f"rotation = {rotation}\n")
        selection = select([EVENTS], {"kalender": items}, "jyderup", NOW, ZONE)
        slides = build(the_recipe, selection, NOW.timestamp(), renderer, no_picture)
        snapshot: Snapshot = compose(the_recipe, {}, NOW.timestamp(), slides).snapshot
        assert [item.id.split(":")[0].split("@")[0] for item in snapshot.items] == expected
        assert {asset.sha256 for asset in snapshot.assets} == {
            item.asset for item in snapshot.items
        }


def test_one_item_that_cannot_be_rendered_costs_only_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Fussy(Renderer):
        def render(self, card: Any, layout: str, zone: Any) -> Page:
            if getattr(card, "title", "") == "Boom":
                raise ValueError("a bug in a template")
            return super().render(card, layout, zone)

    items = [
        event("a", "Boom", at(29, 10), at(29, 15)),
        event("b", "Julemarked", at(29, 10), at(29, 15)),
    ]
    slides = slides_for(Fussy(), items)
    assert [item.title for item in slides.blocks["events"]] == ["Julemarked"]
    assert "could not be rendered" in caplog.text
