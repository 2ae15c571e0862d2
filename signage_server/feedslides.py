"""Feed items → the slides and ticker entries of an area: pages rendered from templates,
with the windows that let a player drop an event by itself when it is over.

Pure apart from rendering (which is deterministic): the caller stores the pages as blobs.
The "next 14 days" overview changes as events end and days begin, so it is rendered once
for each stretch of time in which its content is the same, each with its own window; a
screen that is off-line switches between them by its own clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from player.protocol import Asset, Item, Window

from .feeds.select import Chosen, Selection
from .feeds.storage import Picture
from .pagecache import Renderer
from .pages import danish
from .pages.cards import EventCard, NewsCard, OverviewCard
from .pages.render import HTML
from .recipes import Recipe

log = logging.getLogger(__name__)

#: news_card or event_card: an item (its picture, the feeds' names) → what its page shows.
CardOf = Callable[[Chosen, str | None, Mapping[str, str]], NewsCard | EventCard]
OVERVIEW_SECONDS = 15.0
#: How many versions of the overview one snapshot carries at most.
MAX_OVERVIEW_VARIANTS = 64
#: How far ahead the overview's versions are worked out (as compose's horizon).
HORIZON_DAYS = 8


@dataclass(frozen=True)
class FeedSlides:
    #: Items per block of the rotation: "news", "events", "overview".
    blocks: Mapping[str, tuple[Item, ...]] = field(default_factory=dict)
    ticker: tuple[Mapping[str, Any], ...] = ()
    #: The pages rendered now by sha256, for the caller to store (pages rendered in an
    #: earlier run are stored already and not here).
    pages: Mapping[str, bytes] = field(default_factory=dict)
    assets: tuple[Asset, ...] = ()
    #: When building again could give another result (epoch seconds), or None.
    next_change: float | None = None
    #: Pictures the items have but that are not fetched yet.
    wanted_pictures: tuple[str, ...] = ()


def merged(first: FeedSlides | None, second: FeedSlides) -> FeedSlides:
    """Both sets of slides as one (blocks, pages, assets; the earlier next change)."""
    if first is None:
        return second
    changes = [c for c in (first.next_change, second.next_change) if c is not None]
    return dataclasses.replace(
        first,
        blocks={**first.blocks, **second.blocks},
        pages={**first.pages, **second.pages},
        assets=tuple({a.sha256: a for a in (*first.assets, *second.assets)}.values()),
        next_change=min(changes) if changes else None,
        wanted_pictures=first.wanted_pictures + second.wanted_pictures,
    )


def build(
    recipe: Recipe,
    selection: Selection,
    now: float,
    renderer: Renderer,
    picture: Callable[[str], Picture | None],
    sources: Mapping[str, str] | None = None,
) -> FeedSlides:
    """The feed slides of ``recipe``'s area from what :func:`select` picked.

    ``picture`` looks up an item's fetched picture; ``sources`` names the feeds (by id) as
    the slides credit them, e.g. the title the feed gives itself.
    """
    names = sources or {}
    zone = recipe.zone
    pages: dict[str, bytes] = {}
    assets: dict[str, Asset] = {}
    wanted: list[str] = []

    def image_of(chosen: Chosen) -> str | None:
        url = chosen.item.image_url
        if url is None:
            return None
        found = picture(url)
        if found is None or found.asset is None:
            wanted.append(url)
            return None
        assets[found.asset] = Asset(found.asset, found.size, found.type or "image/jpeg")
        return found.asset

    def page(card: NewsCard | EventCard | OverviewCard) -> str:
        rendered = renderer.render(card, recipe.layout, zone)
        if rendered.html is not None:
            pages[rendered.sha256] = rendered.html
        assets[rendered.sha256] = Asset(rendered.sha256, rendered.size, HTML)
        return rendered.sha256

    blocks: dict[str, tuple[Item, ...]] = {}
    wants = set(recipe.rotation)

    def slide(
        prefix: str, chosen: Chosen, card: CardOf, windows: tuple[Window, ...] = ()
    ) -> Item | None:
        asset = _rendered(page, card, chosen, image_of(chosen), names)
        if asset is None:
            return None
        return Item(
            id=f"{prefix}:{chosen.key}",
            kind="page",
            asset=asset,
            duration=chosen.feed.duration,
            windows=windows,
            title=chosen.item.title,
        )

    if "news" in wants:
        news = (slide("news", chosen, news_card) for chosen in selection.news)
        blocks["news"] = tuple(item for item in news if item is not None)
    # Events that come within "the next N days" before the snapshot's horizon; later ones
    # join when a later composition gets that far.
    horizon = now + HORIZON_DAYS * 86400
    events = [
        (chosen, start)
        for chosen in selection.events
        if (start := appears(chosen, recipe)).timestamp() < horizon
    ]
    if "events" in wants:
        slides = (
            slide("event", chosen, event_card, (_window(start, chosen.ends),))
            for chosen, start in events
        )
        blocks["events"] = tuple(item for item in slides if item is not None)
    if "overview" in wants:
        blocks["overview"] = _overview(recipe, events, now, page)

    ticker: list[Mapping[str, Any]] = []
    if recipe.ticker in ("news", "all"):
        ticker += [{"text": chosen.item.title, "windows": []} for chosen in selection.news]
    if recipe.ticker in ("events", "all"):
        ticker += [
            {
                "text": f"{danish.short_date(_start(chosen), zone)} · {chosen.item.title}",
                "windows": [list(_window(start, chosen.ends))],
            }
            for chosen, start in events
        ]

    ends = [chosen.ends.timestamp() for chosen in selection.events if chosen.ends is not None]
    return FeedSlides(
        blocks=blocks,
        ticker=tuple(entry for entry in ticker if entry["text"]),
        pages=pages,
        assets=tuple(sorted(assets.values(), key=lambda asset: asset.sha256)),
        next_change=min((end for end in ends if end > now), default=None),
        wanted_pictures=tuple(dict.fromkeys(wanted)),
    )


def news_card(chosen: Chosen, image: str | None, names: Mapping[str, str]) -> NewsCard:
    item = chosen.item
    return NewsCard(
        title=item.title,
        summary=item.summary,
        link=item.link,
        image=image,
        published=item.published,
        source=names.get(chosen.feed.id, ""),
    )


def event_card(chosen: Chosen, image: str | None, names: Mapping[str, str]) -> EventCard:
    item = chosen.item
    return EventCard(
        title=item.title,
        summary=item.summary,
        link=item.link,
        image=image,
        start=_start(chosen),
        end=item.end,
        all_day=item.all_day,
        place=item.place,
        source=names.get(chosen.feed.id, ""),
    )


def appears(chosen: Chosen, recipe: Recipe) -> dt.datetime:
    """When an event comes within the area's "next N days": local midnight, N-1 days before
    the day it starts (an event on the 20th is in "the next 14 days" from the 7th)."""
    zone = recipe.zone
    day = _start(chosen).astimezone(zone).date() - dt.timedelta(days=recipe.overview_days - 1)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _overview(
    recipe: Recipe,
    events: list[tuple[Chosen, dt.datetime]],
    now: float,
    page: Callable[[NewsCard | EventCard | OverviewCard], str],
) -> tuple[Item, ...]:
    """The overview in one version per stretch of time with the same events in it."""
    zone = recipe.zone
    horizon = now + HORIZON_DAYS * 86400
    today = dt.datetime.fromtimestamp(now, zone).date()
    midnights = [
        dt.datetime.combine(today + dt.timedelta(days=n), dt.time(), tzinfo=zone).timestamp()
        for n in range(1, HORIZON_DAYS + 2)
    ]
    changes = {chosen.ends.timestamp() for chosen, _ in events if chosen.ends is not None}
    changes |= {start.timestamp() for _, start in events}
    changes |= set(midnights)
    boundaries = sorted(moment for moment in changes if now < moment <= horizon)
    boundaries = boundaries[:MAX_OVERVIEW_VARIANTS]
    cards: list[EventCard] = [event_card(chosen, None, {}) for chosen, _ in events]

    items: list[Item] = []
    extendable = False  # whether the last item may take the next stretch too
    for index, begin in enumerate([None, *boundaries]):
        moment = now if begin is None else begin
        if index < len(boundaries):
            end = boundaries[index]
        else:
            # After the last worked-out change nothing is known: show no overview rather than
            # one that may list events that are over.
            end = next((m for m in midnights if m > moment), moment + 86400)
        visible = tuple(
            card
            for card, (chosen, start) in zip(cards, events, strict=True)
            if start.timestamp() <= moment and chosen.ends is not None
            and chosen.ends.timestamp() > moment
        )  # fmt: skip
        if not visible:
            # Nothing coming up: no overview then, rather than a screen saying "nothing".
            extendable = False
            continue
        asset = page(OverviewCard(recipe.name, recipe.overview_days, visible))
        if extendable and items[-1].asset == asset:
            previous = items[-1]
            items[-1] = dataclasses.replace(previous, windows=((previous.windows[0][0], end),))
            continue
        items.append(
            Item(
                id="overview" if begin is None else f"overview@{begin:.0f}",
                kind="page",
                asset=asset,
                duration=OVERVIEW_SECONDS,
                windows=((begin, end),),
                title=f"Det sker i {recipe.name} de næste {recipe.overview_days} dage",
            )
        )
        extendable = True
    return tuple(items)


def _rendered(
    page: Callable[[NewsCard | EventCard | OverviewCard], str],
    card: CardOf,
    chosen: Chosen,
    image: str | None,
    names: Mapping[str, str],
) -> str | None:
    """The page of one item, or None (logged) when it cannot be made: one odd item must not
    cost the area its other feed slides."""
    try:
        return page(card(chosen, image, names))
    except Exception:
        log.exception("a feed slide could not be rendered; it is left out")
        return None


def _window(start: dt.datetime, ends: dt.datetime | None) -> Window:
    return (start.timestamp(), ends.timestamp() if ends is not None else None)


def _start(chosen: Chosen) -> dt.datetime:
    assert chosen.item.start is not None
    return chosen.item.start
