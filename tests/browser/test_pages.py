"""The news, event and overview slides in Debian's Chromium, at every frame size a screen
shows them in, with the longest Danish text the renderer lets through.

Nothing may scroll, stick out of the frame, be cut off or lie on top of something else;
the QR code must be large enough to scan off the screen and the picture must load. A
slide that fails is saved as a screenshot in the test's tmp_path; with
LOKALSKAERM_SCREENSHOTS=1 every slide is, for a human to judge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import os
import threading
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, ViewportSize

from signage_server.pages.cards import EventCard, NewsCard, OverviewCard
from signage_server.pages.render import Pages

from .kiosk_harness import timeout_ms

pytestmark = pytest.mark.browser

ZONE = zoneinfo.ZoneInfo("Europe/Copenhagen")
SCREENSHOTS = os.environ.get("LOKALSKAERM_SCREENSHOTS") == "1"
#: The frames a slide is shown in: 1080p with and without the ticker bar, a 720p screen,
#: and portrait screens with and without the ticker.
VIEWPORTS: list[ViewportSize] = [
    {"width": 1920, "height": 1008},
    {"width": 1920, "height": 1080},
    {"width": 1280, "height": 720},
    {"width": 1080, "height": 1848},
    {"width": 1080, "height": 1920},
]

# Long compound words, a title with words just short enough for the full headline size,
# one in capitals, and text far longer than any slide takes.
LONG_WORDS = (
    "Kulturarvsformidlingsarrangement om Mørkøvs jernbanehistorie og "
    "forsamlingshusbevægelsens betydning for landsbysamfundet"
)
LONG_TITLE = (
    "Stort julemarked med boder, musik, gløgg og æbleskiver i Forsamlingshuset "
    "og på Torvet hele weekenden"
)
CAPITALS = "JULEKONCERT MED MØRKØV KIRKEKOR OG HOLBÆK UNGDOMSORKESTER I MØRKØV KIRKE"
SUMMARY = 3 * (
    "Kommunalbestyrelsen har vedtaget en ny handleplan for trafiksikkerhedsforanstaltninger "
    "omkring skolevejene i lokalområdet, og borgerinddragelsesprocessen begynder med et "
    "informationsmøde i Forsamlingshuset, hvor repræsentanter fra vejafdelingen fortæller om "
    "anlægsarbejdet, tidsplanen og de midlertidige omkørselsmuligheder. Alle er velkomne. "
)
PLACE = (
    "Mørkøv Forsamlingshus, Store Sal (indgang fra parkeringspladsen bag Brugsen), "
    "Skamstrupvej 1, 4440 Mørkøv"
)
SOURCE = "Holbæk Kommune, Center for Teknik, Miljø og Klimatilpasning"
LINK = "https://www.holbaek.dk/nyheder/2025/ny-handleplan-for-trafiksikkerhed-omkring-skolevejene"
START = dt.datetime(2025, 12, 5, 18, tzinfo=ZONE)
# The longest "when" line: an event over several days with clock times.
END = dt.datetime(2025, 12, 7, 14, tzinfo=ZONE)


def pattern_jpeg() -> bytes:
    """A picture with a pattern, so a screenshot shows how it is cropped."""
    picture = Image.new("RGB", (1600, 1000), (70, 110, 70))
    draw = ImageDraw.Draw(picture)
    for x in range(0, 1600, 100):
        draw.rectangle((x, 0, x + 50, 1000), fill=(110, 150, 100))
    draw.ellipse((600, 250, 1000, 650), fill=(220, 180, 60))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Slides:
    """Rendered pages and one picture, served over HTTP on loopback."""

    url: str
    documents: dict[str, bytes]
    picture: str


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def do_GET(self) -> None:
        found = self.files.get(self.path)
        if found is None:
            self.send_error(404)
            return
        body, kind = found
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slides() -> Iterator[Slides]:
    jpeg = pattern_jpeg()
    sha = hashlib.sha256(jpeg).hexdigest()
    documents = _documents(sha)
    files = {f"/{name}": (body, "text/html; charset=utf-8") for name, body in documents.items()}
    files[f"/assets/{sha}"] = (jpeg, "image/jpeg")
    handler = type("Handler", (_Handler,), {"files": files})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Slides(f"http://127.0.0.1:{server.server_port}", documents, sha)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _documents(sha: str) -> dict[str, bytes]:
    """Every kind of slide, in both layouts, with the longest texts."""
    pages = Pages()
    documents: dict[str, bytes] = {}
    events = tuple(
        EventCard(
            title=(LONG_WORDS, LONG_TITLE, CAPITALS)[number % 3],
            summary="",
            link=None,
            image=None,
            start=START + dt.timedelta(days=number),
            end=END + dt.timedelta(days=number) if number % 2 else None,
            all_day=number % 5 == 4,
            place=PLACE,
        )
        for number in range(30)
    )
    for layout in ("landscape", "portrait"):
        for name, title in (("words", LONG_WORDS), ("title", LONG_TITLE), ("caps", CAPITALS)):
            for image in (sha, None):
                variant = f"{layout}-{name}-{'image' if image else 'text'}"
                news = NewsCard(title, SUMMARY, LINK, image, START, SOURCE)
                event = EventCard(title, SUMMARY, LINK, image, START, END, place=PLACE)
                documents[f"news-{variant}"] = pages.news(news, layout, ZONE)
                documents[f"event-{variant}"] = pages.event(event, layout, ZONE)
        for count in (0, 3, 30):
            card = OverviewCard("Undløse-Sønder Jernløse", 14, events[:count])
            documents[f"overview-{layout}-{count}"] = pages.overview(card, layout, ZONE)
    return documents


# Every element with text of its own and the QR code: inside the frame, inside every box
# that clips it, not cut off, not on top of each other.
CHECK_JS = """
() => {
  const problems = [];
  const width = window.innerWidth, height = window.innerHeight;
  const root = document.documentElement;
  if (root.scrollWidth > width || root.scrollHeight > height) {
    problems.push(`document is ${root.scrollWidth}x${root.scrollHeight}`);
  }
  const name = (el) => el.tagName.toLowerCase() + "." + [...el.classList].join(".");
  const texts = [...document.body.querySelectorAll("*")].filter((el) =>
    [...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim()));
  const qr = document.querySelector("svg.qr-code");
  const parts = qr ? [...texts, qr] : texts;
  const boxes = parts.map((el) => [el, el.getBoundingClientRect()]);
  for (const [el, box] of boxes) {
    if (box.width === 0 || box.height === 0) problems.push(`${name(el)} is not shown`);
    if (box.left < -0.5 || box.top < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
      problems.push(`${name(el)} sticks out of the frame: ${JSON.stringify(box)}`);
    }
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} is cut off: ${el.scrollWidth}x${el.scrollHeight} in ` +
        `${el.clientWidth}x${el.clientHeight}: ${el.textContent}`);
    }
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflow === "visible") continue;
      const clip = up.getBoundingClientRect();
      if (box.top < clip.top - 1 || box.bottom > clip.bottom + 1 ||
          box.left < clip.left - 1 || box.right > clip.right + 1) {
        problems.push(`${name(el)} is cut off by ${name(up)}`);
      }
    }
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, boxA] = boxes[i], [b, boxB] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const across = Math.min(boxA.right, boxB.right) - Math.max(boxA.left, boxB.left);
      const down = Math.min(boxA.bottom, boxB.bottom) - Math.max(boxA.top, boxB.top);
      if (across > 0.5 && down > 0.5) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }
  const image = document.querySelector("img");
  return {
    problems,
    qr: qr ? qr.getBoundingClientRect().width : null,
    image: image ? image.complete && image.naturalWidth > 0 : null,
    texts: texts.length,
  };
}
"""


async def _check_slides(browser: Browser, slides: Slides, kind: str, shots: Path) -> None:
    problems: list[str] = []
    requested: list[str] = []
    for viewport in VIEWPORTS:
        layout = "landscape" if viewport["width"] > viewport["height"] else "portrait"
        context = await browser.new_context(viewport=viewport)
        context.set_default_timeout(timeout_ms(15))
        try:
            page = await context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            for name, body in slides.documents.items():
                if not name.startswith(f"{kind}-{layout}-"):
                    continue
                where = f"{name} at {viewport['width']}x{viewport['height']}"
                requested.clear()
                await page.goto(f"{slides.url}/{name}", wait_until="load")
                found = await page.evaluate(CHECK_JS)
                if found["problems"] or SCREENSHOTS:
                    await page.screenshot(
                        path=shots / f"{name}-{viewport['width']}x{viewport['height']}.png"
                    )
                problems += [f"{where}: {problem}" for problem in found["problems"]]
                assert found["texts"] > 0, where
                shorter = min(viewport["width"], viewport["height"])
                if kind != "overview":
                    assert found["qr"] is not None, f"{where}: no QR code"
                    assert found["qr"] >= 0.12 * shorter, f"{where}: QR code {found['qr']} px"
                if b"/assets/" in body:
                    assert found["image"] is True, f"{where}: the picture did not load"
                # Self-contained: the page itself and its picture, nothing else (Chromium
                # asks for a favicon by itself; a frame on the player does not).
                allowed = {f"{slides.url}/{name}", f"{slides.url}/assets/{slides.picture}"}
                others = [url for url in requested if url not in allowed]
                assert not [url for url in others if not url.endswith("/favicon.ico")], others
        finally:
            await context.close()
    assert not problems, "\n".join(problems)


async def test_news_slides_fit_every_frame(
    browser: Browser, slides: Slides, tmp_path: Path
) -> None:
    await _check_slides(browser, slides, "news", tmp_path)


async def test_event_slides_fit_every_frame(
    browser: Browser, slides: Slides, tmp_path: Path
) -> None:
    await _check_slides(browser, slides, "event", tmp_path)


async def test_overview_slides_fit_every_frame(
    browser: Browser, slides: Slides, tmp_path: Path
) -> None:
    await _check_slides(browser, slides, "overview", tmp_path)
