"""Slides for news and events: cards in, self-contained HTML documents out.

A page is shown full-screen in a sandboxed frame on the player, which caches it by its
sha256: so the same card gives the same bytes, and the page needs nothing from outside
but its picture (``/assets/<sha256>``). No script, no web font, no external style sheet.
Text is shortened here, to limits that were measured in Chromium at the frame sizes
the screens use (tests/browser/test_pages.py), so that it never overflows the slide.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

import jinja2
import segno
from markupsafe import Markup

from ..feeds.clean import safe_url, shorten
from . import danish
from .cards import EventCard, NewsCard, OverviewCard

__all__ = ["HTML", "LAYOUTS", "Layout", "Pages"]

Layout = Literal["landscape", "portrait"]
LAYOUTS: Final[tuple[Layout, ...]] = ("landscape", "portrait")

TEMPLATES: Final = Path(__file__).parent / "templates"
#: The content type of every page this renders, as the snapshot's assets list it.
HTML: Final = "text/html; charset=utf-8"
_SHA256 = re.compile(r"[0-9a-f]{64}")

# A phone must read the code from a step or two away: a denser symbol than this has
# modules too small on screen, and the slide does better without a code.
_QR_MAX_VERSION = 10
_QR_DARK = "#0b1c2c"
_QR_LIGHT = "#ffffff"


class _Limits(NamedTuple):
    """The most characters each text gets on one kind of slide (ellipsis included)."""

    title: int
    summary: int
    place: int = 0
    source: int = 28


# (kind, layout, with a picture): measured in Chromium with worst-case Danish text (long
# compound words, capitals, long place names) at 1920×1008, 1920×1080, 1280×720,
# 1080×1848 and 1080×1920. A summary is also capped by what people read while a slide is
# up: about 300 characters.
_LIMITS: Final[dict[tuple[str, Layout, bool], _Limits]] = {
    ("news", "landscape", True): _Limits(title=56, summary=260),
    ("news", "landscape", False): _Limits(title=80, summary=300),
    ("news", "portrait", True): _Limits(title=56, summary=300),
    ("news", "portrait", False): _Limits(title=56, summary=300),
    ("event", "landscape", True): _Limits(title=56, summary=170, place=60),
    ("event", "landscape", False): _Limits(title=70, summary=260, place=70),
    ("event", "portrait", True): _Limits(title=56, summary=240, place=60),
    ("event", "portrait", False): _Limits(title=56, summary=300, place=70),
}

# A headline with a long word is set smaller, so that the word fits on one line
# (Chromium has no Danish hyphenation): the longest word's length, and the class.
_WORD_SIZES: Final = ((28, "longest-words"), (24, "very-long-words"), (19, "long-words"))


class _Rows(NamedTuple):
    """How many events the overview lists, and how long their texts may be."""

    shown: int
    title: int
    place: int


_ROWS: Final[dict[Layout, _Rows]] = {
    "landscape": _Rows(shown=7, title=50, place=56),
    "portrait": _Rows(shown=9, title=36, place=42),
}


# Capitals are about a third wider than lower-case letters: text in capitals gets fewer.
_CAPITAL_WIDTH = 0.3


def _text(value: str, limit: int) -> str:
    """``value`` on one line, shortened to ``limit`` characters of lower-case width."""
    text = " ".join(value.split())  # paragraphs do not fit on a slide
    letters = [char for char in text if char.isalpha()]
    capitals = sum(char.isupper() for char in letters) / len(letters) if letters else 0
    return shorten(text, max(1, int(limit / (1 + _CAPITAL_WIDTH * capitals))))


def _title_class(title: str, layout: Layout, image: str | None) -> str:
    if layout == "landscape" and image is None:
        return ""  # the whole width: even "Kulturarvsformidlingsarrangement" fits
    longest = max((len(word) for word in title.split()), default=0)
    return next((name for length, name in _WORD_SIZES if longest > length), "")


# Keep "5. december" and "kl. 18.00" whole, and a dash at the end of its line.
_NO_BREAK = re.compile(r"(?<=\d\.) (?=\w)|(?<=kl\.) | (?=– )")


def _unbroken(text: str) -> str:
    return _NO_BREAK.sub("\u00a0", text)


def _picture(sha: str | None) -> str | None:
    return sha if sha is not None and _SHA256.fullmatch(sha) else None


@functools.lru_cache(maxsize=4096)
def _qr_code(link: str | None) -> Markup | None:
    """The link as an inline SVG QR code, or None when it is not an http(s) URL.

    Remembered: making one costs milliseconds (choosing the mask), and the same item is
    shown in several areas and layouts."""
    url = safe_url(link)
    if url is None:
        return None
    code = segno.make_qr(url, error="m")
    if not isinstance(code.version, int) or code.version > _QR_MAX_VERSION:
        code = segno.make_qr(url, error="l")
        if not isinstance(code.version, int) or code.version > _QR_MAX_VERSION:
            return None
    # segno writes only numbers and our own colours and class into this markup.
    return Markup(
        code.svg_inline(
            dark=_QR_DARK,
            light=_QR_LIGHT,
            border=4,
            omitsize=True,
            svgclass="qr-code",
            lineclass=None,
        )
    )


def _more(hidden: int) -> str:
    if hidden == 0:
        return ""
    return "+ 1 arrangement mere" if hidden == 1 else f"+ {hidden} flere arrangementer"


def _check_layout(layout: str) -> Layout:
    for known in LAYOUTS:
        if layout == known:
            return known
    raise ValueError(f"layout must be 'landscape' or 'portrait', got {layout!r}")


class Pages:
    """Renders cards as slides; one instance holds the templates and can be shared."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _render(self, name: str, **context: Any) -> bytes:
        return self._env.get_template(name).render(**context).encode("utf-8")

    def news(self, card: NewsCard, layout: str, zone: dt.tzinfo) -> bytes:
        """A news story as a slide. Raises ValueError for an unknown layout or naive time."""
        shape = _check_layout(layout)
        image = _picture(card.image)
        limits = _LIMITS["news", shape, image is not None]
        title = _text(card.title, limits.title)
        meta = [_text(card.source, limits.source)] if card.source.strip() else []
        if card.published is not None:
            meta.append(_unbroken(danish.day_month(card.published, zone)))
        return self._render(
            "news.html",
            layout=shape,
            image=image,
            qr=_qr_code(card.link),
            title=title,
            title_class=_title_class(title, shape, image),
            summary=_text(card.summary, limits.summary),
            meta="\u00a0· ".join(meta),
        )

    def event(self, card: EventCard, layout: str, zone: dt.tzinfo) -> bytes:
        """An event as a slide. Raises ValueError for an unknown layout or naive times."""
        shape = _check_layout(layout)
        image = _picture(card.image)
        limits = _LIMITS["event", shape, image is not None]
        title = _text(card.title, limits.title)
        return self._render(
            "event.html",
            layout=shape,
            image=image,
            qr=_qr_code(card.link),
            title=title,
            title_class=_title_class(title, shape, image),
            when=_unbroken(danish.when(card.start, card.end, zone, all_day=card.all_day)),
            place=_text(card.place or "", limits.place),
            summary=_text(card.summary, limits.summary),
        )

    def overview(self, card: OverviewCard, layout: str, zone: dt.tzinfo) -> bytes:
        """The coming days' events as one slide.

        Raises ValueError for an unknown layout, naive times or fewer than one day.
        """
        shape = _check_layout(layout)
        if card.days < 1:
            raise ValueError(f"days must be at least 1, got {card.days}")
        rows = _ROWS[shape]
        area = _text(card.area_name, 24)
        coming = "i dag" if card.days == 1 else f"de næste {card.days} dage"
        # "de næste 14 dage" stays on one line: the area name may break, not this.
        heading = f"Det sker i {area} " + coming.replace(" ", "\u00a0")
        shown = card.events[: rows.shown]
        listed = []
        for event in shown:
            date, time = danish.short_when(event.start, event.end, zone, all_day=event.all_day)
            listed.append(
                {
                    "date": date,
                    "time": time,
                    "title": _text(event.title, rows.title),
                    "place": _text(event.place or "", rows.place),
                }
            )
        return self._render(
            "overview.html",
            layout=shape,
            image=None,
            heading=heading,
            rows=listed,
            more=_more(len(card.events) - len(shown)),
            empty=f"Ingen arrangementer {coming}",
        )
