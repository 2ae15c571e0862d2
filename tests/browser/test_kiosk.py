"""The kiosk page end to end: real server, real player daemon, Debian's Chromium.

Each test starts its own site, server and player (see conftest.py), so a test
may stop processes and edit recipes without touching the others. The page's
``body.dataset`` is watched with a MutationObserver (``window.__lk.records``),
so the tests reason about what was on screen, and in which order, rather than
about how long things took.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import time
from collections.abc import Callable, Collection
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Page, Route, expect

from ..support import TIMEOUT_FACTOR
from .kiosk_harness import (
    AREA,
    AREA_NAME,
    RECORDER_JS,
    SAMPLE_TRANSITIONS_JS,
    SLIDE_COLOURS,
    TIMEZONE,
    Kiosk,
    Player,
    Server,
    Site,
    get_bytes,
    recipe_text,
    timeout_ms,
    wait_until,
)

pytestmark = pytest.mark.browser

ITEMS = tuple(f"{AREA}/{name}" for name in SLIDE_COLOURS)
DANISH_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
DANISH_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
#: Remove a slide from the area: a schedule that ended long ago.
REMOVE_03 = '[slides."03.jpg"]\nuntil = 2000-01-01\n'


class Record(TypedDict):
    """What ``body.dataset`` said, from the moment ``t`` (ms since the epoch) on."""

    t: float
    item: str | None
    version: str | None
    online: str | None


# --- reading the page -----------------------------------------------------------


async def records(page: Page) -> list[Record]:
    result: list[Record] = await page.evaluate("() => window.__lk.records")
    return result


async def wait_records(
    page: Page, what: str, check: Callable[[list[Record]], bool], within: float = 30
) -> list[Record]:
    """Wait until the page's history satisfies ``check``; returns that history."""
    seen: list[Record] = []

    async def holds() -> bool:
        nonlocal seen
        seen = await records(page)
        return check(seen)

    await wait_until(holds, what, within, interval=0.1)
    return seen


def sequence(history: list[Record], start: int = 0) -> list[str | None]:
    """The items in the order they came on screen from ``history[start]`` on, repeats merged."""
    shown: list[str | None] = []
    for record in history[start:]:
        if not shown or shown[-1] != record["item"]:
            shown.append(record["item"])
    return shown


def index_at(history: list[Record], t_ms: float) -> int:
    """The index of the record in force at the moment ``t_ms``."""
    before = [i for i, record in enumerate(history) if record["t"] <= t_ms]
    return before[-1] if before else 0


def changes_after(history: list[Record], t_ms: float) -> int:
    """How many times the item on screen changed after the moment ``t_ms``."""
    return len(sequence(history, index_at(history, t_ms))) - 1


def settled_after(history: list[Record], start: int) -> list[str | None]:
    """Items shown from ``history[start]`` on, after the first change.

    The first change may be a transition that was already under way (its picture
    decoding) when the moment ``start`` came; from the one after it, the page must
    behave.
    """
    return sequence(history, start)[2:]


def covers(items: Collection[str | None], wanted: Collection[str]) -> bool:
    return set(wanted) <= set(items)


async def page_data(page: Page, key: str) -> str | None:
    value: str | None = await page.evaluate("(key) => document.body.dataset[key] ?? null", key)
    return value


async def browser_now(page: Page) -> float:
    now: float = await page.evaluate("() => Date.now()")
    return now


async def wait_version_change(page: Page, player: Player, old: str | None) -> str:
    """Wait until the page plays a version other than ``old``, the same as the daemon's."""
    await page.wait_for_function(
        "(old) => document.body.dataset.version && document.body.dataset.version !== old",
        arg=old,
        timeout=timeout_ms(20),
    )
    new = await page_data(page, "version")
    assert new is not None

    async def daemon_agrees() -> bool:
        return (await player.state()).get("version") == new

    await wait_until(daemon_agrees, f"the daemon to report version {new}", within=10)
    return new


async def wait_page_follows_daemon(page: Page, player: Player) -> None:
    async def same_item() -> bool:
        item = (await player.state()).get("item") or {}
        return item.get("id") is not None and item.get("id") == await page_data(page, "item")

    await wait_until(same_item, "the page to show the daemon's item", within=15)


async def saved_snapshot(site: Site, version: str) -> dict[str, Any]:
    """The snapshot the daemon saved in its cache, once that is ``version``: the daemon
    writes the file just after it handed the snapshot to the page."""
    path = site.root / "cache" / "snapshot.json"
    saved: dict[str, Any] = {}

    async def written() -> bool:
        nonlocal saved
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return saved.get("version") == version

    await wait_until(written, f"the daemon to save version {version}", within=10)
    return saved


def danish_dates() -> tuple[str, str]:
    """(weekday, month) of today in the area's time zone, in Danish."""
    today = dt.datetime.now(ZoneInfo(TIMEZONE))
    return DANISH_WEEKDAYS[today.weekday()], DANISH_MONTHS[today.month - 1]


# --- the tests -------------------------------------------------------------------


async def test_page_plays_the_slides(kiosk: Kiosk) -> None:
    page = kiosk.page
    await expect(page.locator("#title")).to_have_text(AREA_NAME, timeout=timeout_ms(10))
    before = danish_dates()
    date = (await page.locator("#date").inner_text()).casefold()
    after = danish_dates()
    assert any(weekday in date for weekday, _ in (before, after)), f"no Danish weekday: {date!r}"
    assert any(month in date for _, month in (before, after)), f"no Danish month: {date!r}"
    time_text = await page.locator("#time").inner_text()
    assert time_text[:2].isdigit() and time_text[-2:].isdigit(), time_text
    assert await page.title() == f"{AREA_NAME} · Lokalskærm"

    history = await wait_records(
        page,
        "two different slides on screen",
        lambda history: len({r["item"] for r in history if r["item"]}) >= 2,
    )
    shown = {record["item"] for record in history if record["item"]}
    assert shown <= set(ITEMS), shown
    width = await page.evaluate(
        "() => document.querySelector('#main img.layer.current').naturalWidth"
    )
    assert width > 0
    await expect(page.locator("#empty")).to_be_hidden()
    await expect(page.locator("#offline")).to_be_hidden()
    assert await page_data(page, "online") == "yes"
    await wait_page_follows_daemon(page, kiosk.player)
    await kiosk.screenshot("playing")


async def test_never_an_empty_frame_between_slides(kiosk: Kiosk) -> None:
    page = kiosk.page
    # The very first picture fades in over the background; from then on, slides
    # cross-fade. Start once the first one is fully there.
    await page.wait_for_function(
        """() => {
          const img = document.querySelector("#main img.layer.current");
          return img && getComputedStyle(img).opacity === "1";
        }"""
    )
    transitions = 3
    result: dict[str, Any] = await page.evaluate(
        SAMPLE_TRANSITIONS_JS, [transitions, timeout_ms(30)]
    )
    assert result["changes"] >= transitions, result
    assert result["samples"] > 10 * transitions, result  # frames were really sampled
    assert result["count"] == 0, json.dumps(result["problems"], indent=1)
    # A cross-fade, not a fade through the background: at every frame, pictures
    # cover most of the slide area (a fade out then in would reach 0 at its middle).
    assert result["leastCover"] >= 0.5, result
    await kiosk.screenshot("after-transitions")


async def test_follows_a_recipe_change_without_reload(kiosk: Kiosk, kiosk_site: Site) -> None:
    page = kiosk.page
    await page.evaluate("() => { window.__marker = 1; }")
    old = await page_data(page, "version")

    kiosk_site.write_recipe(recipe_text(REMOVE_03))
    new = await wait_version_change(page, kiosk.player, old)

    def start_of(history: list[Record]) -> int:
        return next(i for i, record in enumerate(history) if record["version"] == new)

    remaining = [item for item in ITEMS if item != f"{AREA}/03.jpg"]
    history = await wait_records(
        page,
        f"a whole round of {remaining} after the change",
        lambda history: covers(settled_after(history, start_of(history)), remaining),
    )
    after = settled_after(history, start_of(history))
    assert f"{AREA}/03.jpg" not in after, sequence(history)
    assert await page_data(page, "item") != f"{AREA}/03.jpg"
    assert await page.evaluate("() => window.__marker") == 1, "the page was reloaded"
    await kiosk.screenshot("after-recipe-change")


def sideways_photo() -> tuple[Image.Image, Image.Exif]:
    """A wide picture that a phone held upright stored sideways: red at the visual top."""
    image = Image.new("RGB", (1200, 600), (30, 60, 220))
    ImageDraw.Draw(image).rectangle((0, 0, 599, 599), fill=(220, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # the 0th column is the visual top: turn 90° clockwise to view
    return image, exif


async def test_a_dropped_file_appears_upright_without_reload(
    kiosk: Kiosk, kiosk_site: Site
) -> None:
    page = kiosk.page
    await page.evaluate("() => { window.__marker = 1; }")
    image, exif = sideways_photo()
    kiosk_site.drop("04-stående.jpg", image, exif=exif, quality=90)
    item = f"{AREA}/04-stående.jpg"

    handle = await page.wait_for_function(
        """(id) => {
          if (document.body.dataset.item !== id) return null;
          const img = document.querySelector("#main img.layer.current");
          return [img.naturalWidth, img.naturalHeight, img.getAttribute("src")];
        }""",
        arg=item,
        timeout=timeout_ms(30),
    )
    width, height, src = await handle.json_value()
    assert height > width, f"shown {width}x{height}: the photo lies on its side"
    await kiosk.screenshot("new-file-upright")

    # The rendition itself is upright (not turned by a tag the browser might ignore).
    rendition = Image.open(io.BytesIO(await _asset(kiosk.player, src)))
    assert rendition.height > rendition.width
    assert rendition.getexif().get(0x0112, 1) == 1
    top = rendition.convert("RGB").getpixel((rendition.width // 2, rendition.height // 8))
    bottom = rendition.convert("RGB").getpixel((rendition.width // 2, rendition.height * 7 // 8))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2], f"expected red at the top, got {top}"
    assert bottom[2] > 150 > bottom[0], f"expected blue at the bottom, got {bottom}"
    assert await page.evaluate("() => window.__marker") == 1, "the page was reloaded"


async def _asset(player: Player, src: str) -> bytes:
    assert src.startswith("/assets/"), src
    return await get_bytes(player.url + src)


async def test_keeps_playing_while_the_server_is_gone(
    kiosk: Kiosk, server_process: Server, player_process: Player
) -> None:
    page = kiosk.page
    server_process.kill()
    await player_process.wait_state("connected false", lambda state: state["connected"] is False)
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    assert await page_data(page, "online") == "no"

    gone = await browser_now(page)
    await wait_records(
        page,
        "two slide changes while the server is gone",
        lambda history: changes_after(history, gone) >= 2,
    )
    await expect(page.locator("#offline")).to_be_visible()
    await kiosk.screenshot("server-gone")

    server_process.start()
    await server_process.wait_ready()
    await player_process.wait_state("connected again", lambda state: state["connected"] is True)
    await expect(page.locator("#offline")).to_be_hidden(timeout=timeout_ms(10))
    assert await page_data(page, "online") == "yes"
    back = await browser_now(page)
    await wait_records(
        page, "a slide change after reconnecting", lambda h: changes_after(h, back) >= 1
    )
    await kiosk.screenshot("server-back")


async def test_survives_the_player_daemon_restarting(
    kiosk: Kiosk, kiosk_site: Site, player_process: Player
) -> None:
    page = kiosk.page
    # The page goes on with the pictures it has; let it have had each one on screen.
    await wait_records(
        page,
        "every slide on screen once",
        lambda history: covers({r["item"] for r in history}, ITEMS),
    )
    player_process.kill()
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    gone = await browser_now(page)
    history = await wait_records(
        page,
        "two slide changes while the daemon is gone",
        lambda history: changes_after(history, gone) >= 2,
    )
    assert None not in sequence(history, index_at(history, gone)), sequence(history)
    await kiosk.screenshot("daemon-gone")

    player_process.start()
    await player_process.wait_ready()
    await expect(page.locator("#offline")).to_be_hidden(timeout=timeout_ms(20))
    assert await page_data(page, "online") == "yes"
    await wait_page_follows_daemon(page, player_process)

    # What the daemon plays now reaches the page: a recipe change, through the new daemon.
    old = await page_data(page, "version")
    kiosk_site.write_recipe(recipe_text(REMOVE_03))
    await wait_version_change(page, player_process, old)
    await kiosk.screenshot("daemon-back")


async def test_without_the_daemon_a_picture_it_cannot_load_is_skipped(
    kiosk: Kiosk, kiosk_site: Site, player_process: Player
) -> None:
    page = kiosk.page
    saved = await saved_snapshot(kiosk_site, str(await page_data(page, "version")))
    asset = {item["id"]: item["asset"] for item in saved["items"]}
    missing = f"{AREA}/03.jpg"
    cached = kiosk_site.root / "cache" / "assets"
    refused: list[str] = []

    async def assets(route: Route) -> None:
        sha = route.request.url.rsplit("/", 1)[-1]
        if sha == asset[missing]:
            refused.append(route.request.url)
            await route.abort()
        else:
            # What Chromium's own cache would give once the daemon is gone (routing
            # turns that cache off).
            await route.fulfill(body=(cached / sha).read_bytes(), content_type="image/jpeg")

    # This page never gets 03's picture, as when the daemon went away before the
    # page had needed it (a new slide, or Chromium restarted by the session).
    await page.route("**/assets/*", assets)
    await page.reload()
    await page.evaluate(RECORDER_JS)
    playable = [item for item in ITEMS if item != missing]
    await wait_records(
        page,
        f"{playable} on screen",
        lambda history: covers({r["item"] for r in history}, playable),
    )
    player_process.kill()
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    gone = await browser_now(page)
    history = await wait_records(
        page,
        f"the page to go on round {playable} while the daemon is gone",
        lambda history: changes_after(history, gone) >= 3,
        within=12,
    )
    assert refused, "the page never asked for the picture it cannot have"
    assert set(sequence(history, index_at(history, gone))) == set(playable)


async def test_schedule_window_ends_on_time_while_offline(
    kiosk: Kiosk, kiosk_site: Site, server_process: Server, player_process: Player
) -> None:
    page = kiosk.page
    zone = ZoneInfo(TIMEZONE)
    end = math.ceil(time.time() + 8 * TIMEOUT_FACTOR)
    local_end = dt.datetime.fromtimestamp(end, zone).replace(tzinfo=None).isoformat()
    ending = f"{AREA}/02.jpg"
    old = await page_data(page, "version")

    kiosk_site.write_recipe(recipe_text(f'[slides."02.jpg"]\nuntil = {local_end}\n'))
    new = await wait_version_change(page, player_process, old)
    saved = await saved_snapshot(kiosk_site, new)
    windows = {item["id"]: item["windows"] for item in saved["items"]}
    assert windows[ending] == [[None, end]], windows

    server_process.kill()
    assert time.time() < end - 1, "setting up took too long; raise LOKALSKAERM_TIMEOUT_FACTOR"
    await player_process.wait_state("connected false", lambda state: state["connected"] is False)
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))

    def start_of(history: list[Record]) -> int:
        return index_at(history, end * 1000)

    others = [item for item in ITEMS if item != ending]
    history = await wait_records(
        page,
        f"a whole round of {others} after the window ended",
        lambda history: (
            time.time() > end and covers(settled_after(history, start_of(history)), others)
        ),
        within=40,  # the window ends 8 s (scaled) from the start, then one round
    )
    shown_before = {r["item"] for r in history if r["version"] == new and r["t"] < end * 1000}
    assert ending in shown_before, "the slide never showed while its window was open"
    assert ending not in settled_after(history, start_of(history)), sequence(history)
    assert await page_data(page, "item") != ending
    assert ((await player_process.state()).get("item") or {}).get("id") != ending
    await kiosk.screenshot("window-ended-offline")


STAGE_JS = """
() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  };
  const stage = document.getElementById("stage");
  return {
    classes: Array.from(stage.classList),
    transform: getComputedStyle(stage).transform,
    stage: box(stage),
    header: box(document.getElementById("header")),
    main: box(document.getElementById("main")),
    viewport: { width: window.innerWidth, height: window.innerHeight },
  };
}
"""


def _covers_viewport(layout: dict[str, Any]) -> bool:
    stage, viewport = layout["stage"], layout["viewport"]
    edges = (
        (stage["left"], 0),
        (stage["top"], 0),
        (stage["width"], viewport["width"]),
        (stage["height"], viewport["height"]),
    )
    return all(abs(float(got) - float(wanted)) < 1 for got, wanted in edges)


async def test_portrait_area_fills_a_portrait_screen_and_turns_on_a_landscape_one(
    kiosk: Kiosk, kiosk_site: Site
) -> None:
    page = kiosk.page
    landscape: dict[str, Any] = await page.evaluate(STAGE_JS)
    assert landscape["classes"] == ["landscape"], landscape
    assert _covers_viewport(landscape), landscape

    # A landscape area on a screen turned upright: the stage turns.
    await page.set_viewport_size({"width": 1080, "height": 1920})
    await expect(page.locator("#stage")).to_have_class("landscape rotated", timeout=timeout_ms(5))
    sideways: dict[str, Any] = await page.evaluate(STAGE_JS)
    assert _covers_viewport(sideways), sideways

    old = await page_data(page, "version")
    kiosk_site.write_recipe(recipe_text(layout="portrait"))
    await wait_version_change(page, kiosk.player, old)
    await page.wait_for_function(
        """() => {
          const img = document.querySelector("#main img.layer.current");
          return img && img.complete && img.naturalWidth > 0;
        }"""
    )
    upright: dict[str, Any] = await page.evaluate(STAGE_JS)
    assert upright["classes"] == ["portrait"], upright
    assert upright["transform"] == "none", upright
    assert _covers_viewport(upright), upright
    # The slide area runs from under the header to the bottom of the screen.
    main = upright["main"]
    assert abs(main["top"] + main["height"] - 1920) < 1, upright
    assert abs(main["width"] - 1080) < 1, upright
    await kiosk.screenshot("portrait")

    await page.set_viewport_size({"width": 1920, "height": 1080})
    await expect(page.locator("#stage")).to_have_class("portrait rotated", timeout=timeout_ms(5))
    turned: dict[str, Any] = await page.evaluate(STAGE_JS)
    assert turned["transform"] != "none", turned
    assert _covers_viewport(turned), turned
    header = turned["header"]
    assert header["height"] > header["width"], f"the header is not turned: {turned}"
    await kiosk.screenshot("portrait-rotated")
