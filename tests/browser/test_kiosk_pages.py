"""Pages (HTML slides the server renders) and the ticker on the kiosk page, end to end.

The real server does not make pages or a ticker yet, so the real player daemon runs
against a stand-in (standin.py) that publishes whatever snapshot a test builds, and
the kiosk page runs in Debian's Chromium (conftest.py). As in test_kiosk.py, the
page's ``body.dataset`` is recorded (``window.__lk.records``), so the tests reason
about what was on screen and in which order.
"""

from __future__ import annotations

import io
import json
import math
import time
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Page, Response, Route, expect

from ..support import TIMEOUT_FACTOR
from .conftest import OpenKiosk
from .kiosk_harness import AREA, RECORDER_JS, SAMPLE_TRANSITIONS_JS, timeout_ms, wait_until
from .standin import File, Slide, StandIn, headline, page, picture
from .test_kiosk import Record, changes_after, index_at, sequence, wait_records

pytestmark = pytest.mark.browser

GREEN = (0, 160, 80)
RED = (200, 40, 40)
BLUE = (40, 70, 200)


def story(heading: str, photo: File | None = None, background: str = "#f4efe6") -> File:
    """A page as the server renders one: self-contained, its picture from /assets/."""
    img = f'<img src="{photo.url}" alt="">' if photo else ""
    return page(
        f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{heading}</title>
<style>
  html, body {{ margin: 0; height: 100%; background: {background}; color: #10263b; }}
  h1 {{ margin: 0; padding: 4vh 4vw; font: bold 7vh sans-serif; }}
  img {{ display: block; width: 60vw; height: 60vh; margin: 0 4vw; object-fit: cover; }}
</style></head>
<body><h1>{heading}</h1>{img}</body></html>"""
    )


def hostile(leak: str) -> File:
    """A page that tries everything a page must not do; ``leak`` is another origin."""
    return page(
        f"""<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={leak}/leak-refresh">
<base href="{leak}/leak-base/">
<link rel="stylesheet" href="{leak}/leak-css">
<link rel="prefetch" href="{leak}/leak-prefetch">
<style>body {{ background: #fff url({leak}/leak-background); font: 40px sans-serif; }}</style>
<script>
  console.log("HOSTILE script"); alert("HOSTILE script");
  fetch("{leak}/leak-fetch"); top.location = "{leak}/leak-top";
</script>
</head>
<body onload="console.log('HOSTILE onload'); top.location = '{leak}/leak-onload'">
<h1>Ondsindet side</h1>
<img src="x" onerror="console.log('HOSTILE onerror'); alert('HOSTILE onerror')">
<img src="{leak}/leak-img">
<svg onload="console.log('HOSTILE svg')" width="10" height="10"><rect width="10" height="10"/></svg>
<form action="{leak}/leak-form" target="_top"><input name="q" value="1" autofocus>
<button>Send</button></form>
<a id="link" href="{leak}/leak-link" target="_top" style="display:block; font-size:20vh">Klik</a>
<iframe src="{leak}/leak-frame"></iframe>
<object data="{leak}/leak-object"></object>
</body></html>"""
    )


async def wait_item(page: Page, item: str, within: float = 30) -> None:
    await page.wait_for_function(
        "(id) => document.body.dataset.item === id", arg=item, timeout=timeout_ms(within)
    )


def box_of(layout: dict[str, Any], name: str) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a box from BOXES_JS, in viewport pixels."""
    box = layout[name]
    return box["left"], box["top"], box["left"] + box["width"], box["top"] + box["height"]


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


BOXES_JS = """
() => {
  const box = (el) => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  };
  const ticker = document.getElementById("ticker");
  const track = document.getElementById("ticker-track");
  const style = getComputedStyle(track);
  return {
    stage: box(document.getElementById("stage")),
    stageClasses: Array.from(document.getElementById("stage").classList),
    main: box(document.getElementById("main")),
    slide: box(document.querySelector("#main .layer.current")),
    ticker: box(ticker),
    tickerHidden: ticker.hidden,
    tickerText: track.textContent,
    entries: Array.from(track.querySelectorAll(".entry"), (el) => el.textContent),
    elements: Array.from(track.querySelectorAll("*"), (el) => el.tagName.toLowerCase()),
    fontSize: parseFloat(style.fontSize),
    colour: style.color,
    background: getComputedStyle(ticker).backgroundColor,
    viewport: { width: window.innerWidth, height: window.innerHeight },
  };
}
"""

#: Where the track is along the bar, in the stage's own frame (so also when turned),
#: sampled at painted frames for ``ms`` milliseconds: [[ms, px], …].
TRACK_POSITIONS_JS = """
async (ms) => {
  const track = document.getElementById("ticker-track");
  const samples = [];
  const start = performance.now();
  await new Promise((resolve) => {
    const frame = (now) => {
      samples.push([now - start, new DOMMatrix(getComputedStyle(track).transform).m41]);
      if (now - start > ms) resolve();
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  return samples;
}
"""


async def boxes(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(BOXES_JS)
    return result


async def ticker_speed(page: Page) -> float:
    """The ticker's speed in px/s (positive: moving left), over about a second."""
    samples: list[list[float]] = await page.evaluate(TRACK_POSITIONS_JS, 1000)
    # A loop may end during the sampling (the track starts again from its head): take
    # the longest run of steadily falling positions.
    runs: list[list[list[float]]] = [[samples[0]]]
    for sample in samples[1:]:
        if sample[1] <= runs[-1][-1][1]:
            runs[-1].append(sample)
        else:
            runs.append([sample])
    run = max(runs, key=lambda r: r[-1][0] - r[0][0])
    (t0, x0), (t1, x1) = run[0], run[-1]
    assert t1 - t0 > 300, f"no steady scrolling: {samples}"
    return (x0 - x1) / (t1 - t0) * 1000


def luminance(css: str) -> float:
    channels = [int(part) / 255 for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- pages -----------------------------------------------------------------------


async def test_a_page_is_shown_with_its_picture(stand_in: StandIn, open_kiosk: OpenKiosk) -> None:
    photo = picture(GREEN)
    news = Slide(f"{AREA}/nyhed-1", story("Ny cykelsti til Jyderup", photo), duration=600)
    await stand_in.publish([news], pictures=[photo])
    kiosk = await open_kiosk()
    page = kiosk.page
    await wait_item(page, news.id)

    frame = page.locator("#main iframe.layer.current")
    attributes = await frame.evaluate(
        """(el) => ({
          sandbox: el.getAttribute("sandbox"), referrer: el.getAttribute("referrerpolicy"),
          tabIndex: el.tabIndex, src: el.getAttribute("src"),
          pointer: getComputedStyle(el).pointerEvents, border: getComputedStyle(el).borderTopWidth,
        })"""
    )
    assert attributes == {
        "sandbox": "",
        "referrer": "no-referrer",
        "tabIndex": -1,
        "src": news.file.url,
        "pointer": "none",
        "border": "0px",
    }
    layout = await boxes(page)
    assert layout["slide"] == layout["main"], layout  # the page fills the slide area

    inside = page.frame_locator("#main iframe.layer.current")
    await expect(inside.locator("h1")).to_have_text(
        "Ny cykelsti til Jyderup", timeout=timeout_ms(10)
    )
    # Its picture came from the daemon (the page's CSP allows 'self' in its sandbox)…
    image = inside.locator("img")
    await expect(image).to_have_js_property("complete", True, timeout=timeout_ms(10))
    assert await image.evaluate("(img) => img.naturalWidth") == 1280
    # …and is on screen, as composited, once the page faded in.
    await page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#main .layer.current')).opacity === '1'",
        timeout=timeout_ms(10),
    )
    area = await image.bounding_box()
    assert area is not None
    shot = await page.screenshot(
        clip={"x": area["x"] + area["width"] / 2, "y": area["y"] + area["height"] / 2,
              "width": 1, "height": 1}
    )  # fmt: skip
    red, green, blue = _pixel(shot)
    assert green > 120 and red < 60 and blue < 120, (red, green, blue)

    state = await kiosk.player.state()
    assert state["item"]["kind"] == "page" and state["item"]["id"] == news.id
    assert not [line for line in kiosk.console if "Content Security Policy" in line], kiosk.console
    await kiosk.screenshot("page")


def _pixel(png: bytes) -> tuple[int, int, int]:
    pixel = Image.open(io.BytesIO(png)).convert("RGB").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


async def test_a_hostile_page_runs_nothing_and_navigates_nothing(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    evil = Slide(f"{AREA}/ondsindet", hostile(stand_in.url), duration=4)
    calm = Slide(f"{AREA}/01.jpg", picture(BLUE))
    await stand_in.publish([calm, evil])
    kiosk = await open_kiosk()
    page = kiosk.page
    headers: dict[str, str] = {}

    async def on_response(response: Response) -> None:
        if response.url.endswith(evil.file.url):
            headers.update(await response.all_headers())

    page.on("response", on_response)
    await wait_item(page, evil.id)
    inside = page.frame_locator("#main iframe.layer.current")
    await expect(inside.locator("h1")).to_have_text("Ondsindet side", timeout=timeout_ms(10))
    # A click where its link is reaches the kiosk, not the page.
    link = await inside.locator("#link").bounding_box()
    assert link is not None
    await page.mouse.click(link["x"] + link["width"] / 2, link["y"] + link["height"] / 2)
    # The rotation goes on past it, and back to it.
    await wait_records(
        page,
        "the hostile page, the picture, the hostile page again",
        lambda history: sequence(history).count(evil.id) >= 2 and calm.id in sequence(history),
    )

    assert "sandbox" in headers.get("content-security-policy", ""), headers
    assert page.url == kiosk.player.url + "/"
    assert await page.title() == "Mørkøv · Lokalskærm"
    leaks = [path for path in stand_in.requests if path.startswith("/leak")]
    assert not leaks, leaks
    foreign = [frame.url for frame in page.frames if frame.url.startswith(stand_in.url)]
    assert not foreign, foreign
    srcs = await page.evaluate(
        "() => Array.from(document.querySelectorAll('#main iframe'), (f) => f.src)"
    )
    assert all(src.endswith(evil.file.url) for src in srcs), srcs
    assert kiosk.dialogs == []
    assert not [line for line in kiosk.console if "HOSTILE" in line], kiosk.console
    # The page was read, and its scripts refused (Chromium says so in the console).
    assert any("Blocked script execution" in line for line in kiosk.console), kiosk.console
    assert await page.evaluate("() => document.activeElement === document.body")
    await kiosk.screenshot("hostile-page")


async def test_pictures_and_pages_cross_fade_without_an_empty_frame(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    photo = picture(GREEN, (800, 450))
    slides = [
        Slide(f"{AREA}/01.jpg", picture(RED)),
        Slide(f"{AREA}/nyhed-1", story("Loppemarked lørdag", photo)),
        Slide(f"{AREA}/02.jpg", picture(BLUE)),
        Slide(f"{AREA}/nyhed-2", story("Fællesspisning", background="#fde7b0")),
        Slide(f"{AREA}/nyhed-3", story("Vinterbadning", photo, background="#d8ecff")),
    ]
    await stand_in.publish(slides, pictures=[photo])
    kiosk = await open_kiosk()
    page = kiosk.page
    await page.wait_for_function(
        """() => {
          const layer = document.querySelector("#main .layer.current");
          return layer && getComputedStyle(layer).opacity === "1";
        }"""
    )
    transitions = 6  # picture → page → picture → page → page → picture → …
    result: dict[str, Any] = await page.evaluate(
        SAMPLE_TRANSITIONS_JS, [transitions, timeout_ms(40)]
    )
    assert result["changes"] >= transitions, result
    assert result["samples"] > 10 * transitions, result
    assert set(result["kinds"]) == {"img", "iframe"}, result
    assert result["count"] == 0, json.dumps(result["problems"], indent=1)
    assert result["leastCover"] >= 0.5, result
    # Old layers go once faded out: the one on screen, the one leaving, the next one.
    assert await page.locator("#main .layer").count() <= 3


async def test_a_page_that_does_not_load_is_skipped(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    first = Slide(f"{AREA}/01.jpg", picture(RED))
    missing = Slide(f"{AREA}/mangler", story("Findes ikke"))
    second = Slide(f"{AREA}/02.jpg", picture(BLUE))
    stuck = Slide(f"{AREA}/haenger", story("Hænger"))
    slides = [first, missing, second, stuck]
    await stand_in.publish(slides)
    kiosk = await open_kiosk()
    page = kiosk.page
    files = {slide.file.sha256: slide.file for slide in slides}
    held: list[Route] = []

    async def assets(route: Route) -> None:
        sha = route.request.url.rsplit("/", 1)[-1]
        if sha == missing.file.sha256:
            await route.fulfill(status=404, body="not found")
        elif sha == stuck.file.sha256:
            held.append(route)  # never answered: it never loads
        else:
            # What Chromium's own cache would give once the daemon is gone (routing
            # turns that cache off).
            await route.fulfill(body=files[sha].data, content_type=files[sha].type)

    # As if the daemon lost its copy of one page and stopped answering for the
    # other, while it goes on playing them.
    await page.route("**/assets/*", assets)
    await page.reload()
    await page.evaluate(RECORDER_JS)
    playable = {first.id, second.id}

    def rounds(history: list[Record]) -> bool:
        shown = sequence(history)
        return all(shown.count(item) >= 2 for item in playable)

    history = await wait_records(page, "two rounds while the daemon plays", rounds, within=40)
    first_shown = next(i for i, record in enumerate(history) if record["item"])
    assert set(sequence(history, first_shown)) == playable, sequence(history)
    assert held, "the page never asked for the page that hangs"

    # On its own, the page skips them too: the missing one at once, the one that
    # hangs once it gave up waiting for it.
    kiosk.player.kill()
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    gone = await page.evaluate("() => Date.now()")
    history = await wait_records(
        page,
        "the rotation going on without the daemon",
        lambda history: changes_after(history, gone) >= 3,
        within=60,  # a round includes waiting 10 s for the page that hangs
    )
    assert set(sequence(history, index_at(history, gone))) == playable, sequence(history)


async def test_pages_keep_playing_while_the_daemon_is_away(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    photo = picture(GREEN, (800, 450))
    slides = [
        Slide(f"{AREA}/01.jpg", picture(RED)),
        Slide(f"{AREA}/nyhed-1", story("Loppemarked lørdag", photo)),
        Slide(f"{AREA}/nyhed-2", story("Fællesspisning", background="#fde7b0")),
    ]
    await stand_in.publish(slides, pictures=[photo])
    kiosk = await open_kiosk()
    page = kiosk.page
    everything = {slide.id for slide in slides}
    await wait_records(
        page,
        "every slide on screen once",
        lambda history: everything <= set(sequence(history)),
    )
    # Chromium has them in its cache (the daemon marks assets immutable), pages too.
    kiosk.player.kill()
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    gone = await page.evaluate("() => Date.now()")
    history = await wait_records(
        page,
        "two rounds while the daemon is gone",
        lambda history: changes_after(history, gone) >= 2 * len(slides),
    )
    assert set(sequence(history, index_at(history, gone))) == everything, sequence(history)
    inside = page.frame_locator("#main iframe.layer.current")
    await page.wait_for_function(
        "() => document.querySelector('#main .layer.current').tagName === 'IFRAME'",
        timeout=timeout_ms(10),
    )
    await expect(inside.locator("h1")).not_to_be_empty(timeout=timeout_ms(10))


# --- the ticker ------------------------------------------------------------------


async def test_the_ticker_shows_its_headlines_below_the_slides(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    now = time.time()
    slides = [Slide(f"{AREA}/01.jpg", picture(RED)), Slide(f"{AREA}/02.jpg", picture(BLUE))]
    entries = [
        headline("Ny cykelsti mellem Mørkøv og Jyderup"),
        headline("<b>Fed</b> & <img src=x onerror=alert(1)>"),
        headline("Loppemarked\n lørdag", [(now - 3600, None)]),
        headline("Julemarked", [(now + 3600, now + 7200)]),  # not yet
        headline("Sommerfest", [(now - 7200, now - 3600)]),  # over
    ]
    await stand_in.publish(slides, ticker=entries)
    kiosk = await open_kiosk()
    page = kiosk.page
    await expect(page.locator("#ticker")).to_be_visible(timeout=timeout_ms(10))

    layout = await boxes(page)
    shown = [
        "Ny cykelsti mellem Mørkøv og Jyderup",
        "<b>Fed</b> & <img src=x onerror=alert(1)>",
        "Loppemarked lørdag",
    ]
    assert layout["entries"][:3] == shown, layout
    assert set(layout["entries"]) == set(shown), layout
    assert set(layout["elements"]) == {"span"}, layout  # text, never markup
    assert " • ".join(shown) + " • " in layout["tickerText"], layout
    # Large type with strong contrast: readable from three metres.
    assert layout["fontSize"] >= 0.045 * 1080, layout
    assert contrast(layout["colour"], layout["background"]) >= 7, layout
    # Along the bottom, never over the slides: the slide area ends where the bar begins.
    ticker, main, slide = (box_of(layout, name) for name in ("ticker", "main", "slide"))
    assert abs(ticker[3] - 1080) < 1 and abs(ticker[0]) < 1 and abs(ticker[2] - 1920) < 1
    assert abs(main[3] - ticker[1]) < 1, layout
    assert overlap(ticker, main) == 0 and overlap(ticker, slide) == 0, layout

    # It scrolls right to left at the same speed whatever the length of the text.
    speed = await ticker_speed(page)
    assert speed > 50, speed
    await stand_in.publish(
        slides, ticker=[headline("Kort"), headline("En meget lang overskrift " * 12)]
    )
    await page.wait_for_function(
        "() => document.getElementById('ticker-track').textContent.startsWith('Kort')",
        timeout=timeout_ms(10),
    )
    assert math.isclose(await ticker_speed(page), speed, rel_tol=0.1)
    await kiosk.screenshot("ticker")

    # Without the zone, the bar goes and the slides take its room.
    await stand_in.publish(slides)
    await expect(page.locator("#ticker")).to_be_hidden(timeout=timeout_ms(10))
    layout = await boxes(page)
    assert abs(box_of(layout, "main")[3] - 1080) < 1, layout
    assert layout["tickerText"] == "", layout

    # With a zone whose headlines are not for now, too.
    await stand_in.publish(slides, ticker=entries[3:])
    await page.wait_for_function(
        "(version) => document.body.dataset.version === version",
        arg=stand_in.snapshot.version if stand_in.snapshot else None,
        timeout=timeout_ms(10),
    )
    await expect(page.locator("#ticker")).to_be_hidden(timeout=timeout_ms(10))
    await stand_in.publish(slides, ticker=entries[:1])
    await expect(page.locator("#ticker")).to_be_visible(timeout=timeout_ms(10))
    assert kiosk.dialogs == []


async def test_a_headline_leaves_when_its_window_ends_also_offline(
    stand_in: StandIn, open_kiosk: OpenKiosk
) -> None:
    slides = [Slide(f"{AREA}/01.jpg", picture(RED)), Slide(f"{AREA}/02.jpg", picture(BLUE))]
    first_end = math.ceil(time.time() + 12 * TIMEOUT_FACTOR)
    last_end = first_end + math.ceil(4 * TIMEOUT_FACTOR)
    await stand_in.publish(
        slides,
        ticker=[
            headline("Fællesspisning i aften", [(None, first_end)]),
            headline("Bestyrelsesmøde", [(None, last_end)]),
        ],
    )
    kiosk = await open_kiosk()
    page = kiosk.page
    await page.wait_for_function(
        """() => {
          const text = document.getElementById("ticker-track").textContent;
          return text.startsWith("Fællesspisning i aften • Bestyrelsesmøde • ");
        }""",
        timeout=timeout_ms(10),
    )
    # Note when what the bar says changes, by the page's clock.
    await page.evaluate(
        """() => {
          const ticker = document.getElementById("ticker");
          const texts = () => ticker.hidden ? [] :
            Array.from(ticker.querySelectorAll(".entry"), (el) => el.textContent);
          window.__tickerTexts = [[Date.now(), texts()]];
          new MutationObserver(() => {
            window.__tickerTexts.push([Date.now(), texts()]);
          }).observe(ticker, { attributes: true, childList: true, subtree: true });
        }"""
    )
    kiosk.player.kill()  # the page is on its own from now on
    await expect(page.locator("#offline")).to_be_visible(timeout=timeout_ms(10))
    assert time.time() < first_end - 1, "setting up took too long; raise the timeout factor"

    async def ticker_gone() -> bool:
        return await page.locator("#ticker").is_hidden()

    await wait_until(ticker_gone, "the ticker to go when its last headline ended", within=30)
    changes: list[tuple[float, list[str]]] = await page.evaluate("() => window.__tickerTexts")

    def first_time(check: Any) -> float:
        return next(t for t, texts in changes if check(texts)) / 1000

    ended = first_time(lambda texts: "Fællesspisning i aften" not in texts)
    assert first_end <= ended <= first_end + 2 * TIMEOUT_FACTOR, (first_end, changes)
    assert first_time(lambda texts: texts == []) >= last_end, (last_end, changes)
    assert first_time(lambda texts: texts == []) <= last_end + 2 * TIMEOUT_FACTOR, changes
    between = [texts for t, texts in changes if ended <= t / 1000 < last_end]
    assert between and all(texts and set(texts) == {"Bestyrelsesmøde"} for texts in between)
    layout = await boxes(page)
    assert abs(box_of(layout, "main")[3] - 1080) < 1, layout


async def test_portrait_with_a_ticker(stand_in: StandIn, open_kiosk: OpenKiosk) -> None:
    slides = [
        Slide(f"{AREA}/01.jpg", picture(RED, (720, 1280))),
        Slide(f"{AREA}/nyhed-1", story("Ny bænk ved gadekæret")),
    ]
    await stand_in.publish(
        slides, ticker=[headline("Ny cykelsti mellem Mørkøv og Jyderup")], layout="portrait"
    )
    # A screen turned upright.
    kiosk = await open_kiosk(viewport={"width": 1080, "height": 1920})
    page = kiosk.page
    await expect(page.locator("#ticker")).to_be_visible(timeout=timeout_ms(10))
    for _ in range(2):  # a picture and a page
        layout = await boxes(page)
        assert layout["stageClasses"] == ["portrait"], layout
        ticker, main, slide = (box_of(layout, name) for name in ("ticker", "main", "slide"))
        assert abs(ticker[3] - 1920) < 1 and abs(ticker[2] - ticker[0] - 1080) < 1, layout
        assert abs(main[3] - ticker[1]) < 1, layout
        assert overlap(ticker, main) == 0 and overlap(ticker, slide) == 0, layout
        old = await page.evaluate("() => document.body.dataset.item")
        await page.wait_for_function(
            "(old) => document.body.dataset.item !== old", arg=old, timeout=timeout_ms(10)
        )
    assert await ticker_speed(page) > 50
    await kiosk.screenshot("portrait-ticker")

    # The same area on a screen the OS shows as landscape: the stage turns, the bar
    # with it (it runs along the left edge, from the top down to the bottom).
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await expect(page.locator("#stage")).to_have_class("portrait rotated", timeout=timeout_ms(5))
    layout = await boxes(page)
    ticker, main = box_of(layout, "ticker"), box_of(layout, "main")
    assert abs(ticker[0]) < 1 and abs(ticker[3] - ticker[1] - 1080) < 1, layout
    assert ticker[2] - ticker[0] < 200, layout
    assert abs(main[0] - ticker[2]) < 1 and overlap(ticker, main) == 0, layout
    assert overlap(ticker, box_of(layout, "slide")) == 0, layout
    assert await ticker_speed(page) > 50
    await kiosk.screenshot("portrait-ticker-rotated")
