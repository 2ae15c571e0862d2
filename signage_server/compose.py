"""compose(recipe, slides, now) → the Snapshot an area's screens play. Pure: no I/O, no clock.

Schedules become concrete time windows (epoch seconds) for the next
:data:`HORIZON_DAYS` days, counted from the start of the area's local day, so the
player can drop a slide on time by itself, also while off-line, and the version
only changes when the content or the day does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from player.protocol import Area, Asset, Item, Snapshot, Window

from .arrangement import Arrangement
from .library import SlideFile
from .pages.render import HTML
from .recipes import OpeningHours, Recipe, SlideRule

if TYPE_CHECKING:
    from .feedslides import FeedSlides

HORIZON_DAYS = 8
#: The block of info announcements (announcing.py), always at the start of the rotation.
ANNOUNCEMENTS = "announcements"


@dataclass(frozen=True)
class Composition:
    snapshot: Snapshot
    #: When composing again could give another result (epoch seconds).
    next_change: float


def compose(
    recipe: Recipe,
    sources: Mapping[str, Sequence[SlideFile]],
    now: float,
    feeds: FeedSlides | None = None,
    arrangement: Arrangement | None = None,
) -> Composition:
    """Build the snapshot of ``recipe``'s area from the slide files of its source folders
    and the slides its feeds bring, in the order of the recipe's rotation.

    ``arrangement`` holds what editors set in the web UI: it pauses slides, orders the
    area's slides, and its settings of a file take the place of the recipe's rule."""
    arrangement = arrangement or Arrangement()
    zone = recipe.zone
    today = dt.datetime.fromtimestamp(now, zone).date()
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    next_change = midnight.timestamp()

    items: list[Item] = []
    assets: dict[str, Asset] = {}
    seen_sources: set[str] = set()
    #: What a slide's page shows besides itself (a text slide's picture).
    needs_of: dict[str, set[str]] = {}
    for slide in ordered_slides(recipe, sources, arrangement):
        folder = slide.folder
        rendition = slide.renditions.get(recipe.layout)
        if rendition is None or slide.source_sha256 in seen_sources:
            continue  # not rendered yet, or the same picture in two folders
        if arrangement.is_paused(folder, slide.file or slide.name):
            continue
        rule = rule_of(recipe, arrangement, slide)
        windows = schedule_windows(rule, today, zone)
        item = Item(
            id=f"{folder}/{slide.name}",
            kind="page" if rendition.type == HTML else "image",
            asset=rendition.sha256,
            duration=rule.duration or recipe.default_duration,
            windows=windows,
            title=rule.title or _title_of(slide.name),
        )
        if windows == () and _has_schedule(rule):
            continue  # nothing within the horizon
        if item.ended_at(now):
            continue
        for _, end in windows:
            if end is not None and end > now:
                next_change = min(next_change, end)
        seen_sources.add(slide.source_sha256)
        items.append(item)
        for ref in (rendition, *rendition.needs):
            assets[ref.sha256] = Asset(ref.sha256, ref.size, ref.type)
        needs_of[rendition.sha256] = {ref.sha256 for ref in rendition.needs}

    zones: dict[str, object] = {"header": {"title": recipe.name, "clock": True}, "main": {}}
    blocks = {"slides": tuple(items)}
    feeds_assets = feeds.assets if feeds is not None else ()
    for asset in feeds_assets:
        assets[asset.sha256] = asset
    if feeds is not None:
        blocks.update(feeds.blocks)
        if feeds.next_change is not None:
            next_change = min(next_change, feeds.next_change)
        if feeds.ticker:
            zones["ticker"] = {"entries": [dict(entry) for entry in feeds.ticker]}
    # The municipality's info announcements come first, whatever the recipe's rotation.
    order = (ANNOUNCEMENTS, *recipe.rotation)
    played = tuple(item for block in order for item in blocks.get(block, ()))
    # Feed assets are all in use (a page's pictures are not items of their own); a folder's
    # slides are not when the rotation leaves them out.
    needed = {item.asset for item in played} | {asset.sha256 for asset in feeds_assets}
    needed |= {sha for item in played for sha in needs_of.get(item.asset, ())}
    assets = {sha: asset for sha, asset in assets.items() if sha in needed}
    snapshot = Snapshot(
        area=Area(recipe.area, recipe.name, recipe.timezone, recipe.layout),
        items=played,
        assets=tuple(sorted(assets.values(), key=lambda asset: asset.sha256)),
        zones=zones,
        display=None
        if recipe.opening_hours is None
        else opening_windows(recipe.opening_hours, today, zone),
    ).with_version()
    return Composition(snapshot, next_change)


def opening_windows(hours: OpeningHours, today: dt.date, zone: dt.tzinfo) -> tuple[Window, ...]:
    """When the screens are on, as windows from yesterday through the horizon (as the items'
    windows), each day's hours in the area's local time: a day with a change to or from
    summer time has its hours at the right moments (and is an hour shorter or longer).
    Hours that run past midnight belong to the day they begin; adjoining ones merge."""
    windows: list[Window] = []
    for offset in range(-1, HORIZON_DAYS):
        day = today + dt.timedelta(days=offset)
        span = hours.days[day.weekday()]
        if span is None:
            continue
        low, high = (_local(day, minutes, zone) for minutes in span)
        if windows and windows[-1][1] is not None and windows[-1][1] >= low:
            windows[-1] = (windows[-1][0], max(high, windows[-1][1]))
        else:
            windows.append((low, high))
    return tuple(windows)


def _local(day: dt.date, minutes: int, zone: dt.tzinfo) -> float:
    """Epoch seconds of ``minutes`` after the start of ``day`` by the wall clock (1440 is
    the next midnight). A time the clocks skip (02:30 when summer time begins) is read
    with the offset before the change, i.e. an hour later by the new clock."""
    days, minutes = divmod(minutes, 24 * 60)
    moment = dt.datetime.combine(
        day + dt.timedelta(days=days), dt.time(minutes // 60, minutes % 60), tzinfo=zone
    )
    return moment.timestamp()


def ordered_slides(
    recipe: Recipe, sources: Mapping[str, Sequence[SlideFile]], arrangement: Arrangement
) -> list[SlideFile]:
    """The slides of the area's folders in play order: those an editor placed first, in
    their places; the others after them, folder by folder as the recipe lists them, by
    natural name (pages of a PDF stay together, in their order)."""
    default = [
        slide
        for folder in recipe.sources
        for slide in sorted(sources.get(folder, ()), key=lambda slide: natural_key(slide.name))
    ]
    unplaced = len(default)

    def place(indexed: tuple[int, SlideFile]) -> tuple[int, int]:
        index, slide = indexed
        position = arrangement.position(recipe.area, slide.folder, slide.file or slide.name)
        return (unplaced if position is None else position, index)

    return [slide for _, slide in sorted(enumerate(default), key=place)]


def rule_of(recipe: Recipe, arrangement: Arrangement, slide: SlideFile) -> SlideRule:
    """The settings of a slide: the web's for its file, else the recipe's rule (which names
    the file, or ``folder/file``; it holds for every page of a PDF too), else none."""
    file = slide.file or slide.name
    chosen = arrangement.rule(slide.folder, file)
    if chosen is not None:
        return chosen
    names = dict.fromkeys((slide.name, file))
    return next(
        (
            recipe.slides[key]
            for name in names
            for key in (f"{slide.folder}/{name}", name)
            if key in recipe.slides
        ),
        SlideRule(),
    )


def schedule_windows(rule: SlideRule, today: dt.date, zone: dt.tzinfo) -> tuple[Window, ...]:
    """The windows in which a slide shows. () means always, when the rule has no schedule."""
    start = rule.start.timestamp() if rule.start else None
    until = rule.until.timestamp() if rule.until else None
    if rule.weekdays is None and rule.hours is None:
        if start is None and until is None:
            return ()
        return ((start, until),)
    windows: list[Window] = []
    for offset in range(-1, HORIZON_DAYS):  # -1: hours that began yesterday may run past midnight
        day = today + dt.timedelta(days=offset)
        if rule.weekdays is not None and day.weekday() not in rule.weekdays:
            continue
        if rule.hours is None:
            open_at = dt.datetime.combine(day, dt.time(), tzinfo=zone)
            close_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        else:
            begin, end = rule.hours
            open_at = dt.datetime.combine(day, begin, tzinfo=zone)
            close_day = day if end > begin else day + dt.timedelta(days=1)
            close_at = dt.datetime.combine(close_day, end, tzinfo=zone)
        low, high = open_at.timestamp(), close_at.timestamp()
        if start is not None:
            low = max(low, start)
        if until is not None:
            high = min(high, until)
        if low >= high:
            continue
        if windows and windows[-1][1] == low:
            windows[-1] = (windows[-1][0], high)  # whole days in a row: one window
        else:
            windows.append((low, high))
    return tuple(windows)


def natural_key(name: str) -> tuple[object, ...]:
    """Sort "2.jpg" before "10.jpg", ignoring case."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", name.casefold())
    )


def _has_schedule(rule: SlideRule) -> bool:
    return any(value is not None for value in (rule.start, rule.until, rule.weekdays, rule.hours))


def _title_of(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return re.sub(r"[_-]+", " ", stem).strip()
