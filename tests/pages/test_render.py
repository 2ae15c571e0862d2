"""Cards rendered as slides: complete, self-contained, safe and the same every time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import re
import zoneinfo

import pytest

from signage_server.pages.cards import EventCard, NewsCard, OverviewCard
from signage_server.pages.render import TEMPLATES, Pages

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
SHA = "0123456789abcdef" * 4
LINK = "https://www.holbaek.dk/nyheder/vejarbejde-i-morkov"
ATTACK = "<script>alert(1)</script><img src=x onerror=alert(1)>"

NEWS = NewsCard(
    title="Vejarbejde på Skamstrupvej",
    summary="Skamstrupvej er lukket for gennemkørsel i uge 49.",
    link=LINK,
    image=SHA,
    published=dt.datetime(2025, 11, 26, 9, 30, tzinfo=CPH),
    source="Holbæk Kommune",
)
EVENT = EventCard(
    title="Julemarked",
    summary="Boder, gløgg og æbleskiver.",
    link=LINK,
    image=SHA,
    start=dt.datetime(2025, 12, 6, 10, tzinfo=CPH),
    end=dt.datetime(2025, 12, 6, 15, tzinfo=CPH),
    place="Forsamlingshuset",
    source="Mørkøv Borgerforening",
)


@pytest.fixture(scope="module")
def pages() -> Pages:
    return Pages()


class _Text(html.parser.HTMLParser):
    """The text a reader sees: no style sheet, no SVG, spaces for no-break spaces."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "svg", "title"}:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "svg", "title"}:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def text(document: bytes) -> str:
    parser = _Text()
    parser.feed(document.decode("utf-8"))
    return " | ".join(parser.parts)


def every_slide(pages: Pages, layout: str = "landscape") -> list[bytes]:
    events = tuple(dataclasses.replace(EVENT, title=f"Arrangement {n}") for n in range(3))
    return [
        pages.news(NEWS, layout, CPH),
        pages.event(EVENT, layout, CPH),
        pages.overview(OverviewCard("Mørkøv", 14, events), layout, CPH),
    ]


# The document


@pytest.mark.parametrize("layout", ["landscape", "portrait"])
def test_a_complete_html5_document_in_danish(pages: Pages, layout: str) -> None:
    for document in every_slide(pages, layout):
        source = document.decode("utf-8")
        assert source.startswith('<!DOCTYPE html>\n<html lang="da">')
        assert '<meta charset="utf-8">' in source
        assert re.search(r"<title>[^<]+</title>", source)
        assert source.count("<style>") == 1
        assert source.rstrip().endswith("</html>")
        assert f'<body class="{layout} ' in source


def test_self_contained_and_without_scripts(pages: Pages) -> None:
    for layout in ("landscape", "portrait"):
        for document in every_slide(pages, layout):
            source = document.decode("utf-8").lower()
            assert "<script" not in source
            assert "@import" not in source and "url(" not in source and "<link" not in source
            # The only thing fetched is the card's picture.
            references = re.findall(
                r"""\b(?:src|href|srcset|action|data)\s*=\s*["']?([^"'\s>]*)""", source
            )
            assert set(references) <= {f"/assets/{SHA}"}, references


def test_the_same_card_gives_the_same_bytes(pages: Pages) -> None:
    again = Pages()
    for layout in ("landscape", "portrait"):
        assert every_slide(pages, layout) == every_slide(pages, layout)
        assert every_slide(pages, layout) == every_slide(again, layout)


def test_an_unknown_layout_is_refused(pages: Pages) -> None:
    overview = OverviewCard("Mørkøv", 14, ())
    for layout in ("square", "Landscape", ""):
        with pytest.raises(ValueError, match="layout must be 'landscape' or 'portrait'"):
            pages.news(NEWS, layout, CPH)
        with pytest.raises(ValueError, match="layout must be 'landscape' or 'portrait'"):
            pages.event(EVENT, layout, CPH)
        with pytest.raises(ValueError, match="layout must be 'landscape' or 'portrait'"):
            pages.overview(overview, layout, CPH)


# Feed text is text


def test_markup_in_feed_text_is_shown_as_text(pages: Pages) -> None:
    news = dataclasses.replace(NEWS, title=ATTACK, summary=ATTACK, source=ATTACK)
    event = dataclasses.replace(EVENT, title=ATTACK, summary=ATTACK, place=ATTACK)
    overview = OverviewCard(ATTACK, 14, (event,))
    for layout in ("landscape", "portrait"):
        for document in (
            pages.news(news, layout, CPH),
            pages.event(event, layout, CPH),
            pages.overview(overview, layout, CPH),
        ):
            source = document.decode("utf-8")
            assert "<script" not in source
            assert "<img src=x" not in source
            assert "&lt;script&gt;" in source
            assert "<script>alert(1)" in text(document)


def test_line_breaks_in_feed_text_become_spaces(pages: Pages) -> None:
    news = dataclasses.replace(NEWS, summary="Første afsnit.\n\nAndet   afsnit.")
    assert "Første afsnit. Andet afsnit." in text(pages.news(news, "landscape", CPH))


# Shortening


@pytest.mark.parametrize("layout", ["landscape", "portrait"])
def test_long_text_is_shortened_at_a_word_with_an_ellipsis(pages: Pages, layout: str) -> None:
    words = " ".join(f"ord{n}" for n in range(400))
    news = pages.news(dataclasses.replace(NEWS, title=words, summary=words), layout, CPH)
    event = pages.event(
        dataclasses.replace(EVENT, title=words, summary=words, place=words), layout, CPH
    )
    for document in (news, event):
        shown = text(document)
        assert words not in shown
        for part in shown.split(" | "):
            if part.startswith("ord"):
                assert part.endswith("…"), part
                assert re.fullmatch(r"(ord\d+ )*ord\d+…", part), part


def test_short_text_is_left_alone(pages: Pages) -> None:
    shown = text(pages.news(NEWS, "landscape", CPH))
    assert NEWS.title in shown and NEWS.summary in shown and "…" not in shown


def test_capitals_get_fewer_characters(pages: Pages) -> None:
    lower = "julekoncert med kirkekoret " * 5
    shown_lower = text(pages.news(dataclasses.replace(NEWS, title=lower), "portrait", CPH))
    shown_upper = text(pages.news(dataclasses.replace(NEWS, title=lower.upper()), "portrait", CPH))
    title_lower = next(part for part in shown_lower.split(" | ") if part.startswith("julekoncert"))
    title_upper = next(part for part in shown_upper.split(" | ") if part.startswith("JULEKONCERT"))
    assert len(title_upper) < len(title_lower)


def test_a_headline_with_a_long_word_is_set_smaller(pages: Pages) -> None:
    def title_class(title: str, image: str | None, layout: str = "portrait") -> str:
        card = dataclasses.replace(NEWS, title=title, image=image)
        found = re.search(r'<h1 class="([^"]*)"', pages.news(card, layout, CPH).decode())
        assert found is not None
        return found.group(1).split()[-1]

    assert title_class("Vejarbejde på Skamstrupvej", SHA) == "clamp"
    assert title_class("Trafiksikkerhedsplanen vedtaget", SHA) == "long-words"
    assert title_class("Kulturarvsformidlingsarrangement", SHA) == "longest-words"
    # Without a picture a landscape slide has room for it.
    assert title_class("Kulturarvsformidlingsarrangement", None, "landscape") == "clamp"


# Picture and QR code


@pytest.mark.parametrize(
    "image",
    [
        None,
        "",
        SHA.upper(),
        SHA[:-1],
        SHA + "0",
        "../../etc/passwd",
        "https://example.org/x.jpg",
        "0123456789abcdeg" * 4,
        SHA + "\n",
    ],
)
def test_a_picture_needs_a_sha256(pages: Pages, image: str | None) -> None:
    news = pages.news(dataclasses.replace(NEWS, image=image), "landscape", CPH)
    event = pages.event(dataclasses.replace(EVENT, image=image), "portrait", CPH)
    for document in (news, event):
        assert b"<img" not in document
        assert b'class="landscape no-image"' in document or b'class="portrait no-image"' in document


def test_a_picture_is_served_from_the_assets(pages: Pages) -> None:
    for document in (pages.news(NEWS, "landscape", CPH), pages.event(EVENT, "portrait", CPH)):
        assert f'<img src="/assets/{SHA}" alt="">'.encode() in document


@pytest.mark.parametrize(
    "link",
    [
        LINK,
        "http://mørkøv.dk/arrangementer?id=7&uge=49",
        "HTTPS://WWW.HOLBAEK.DK/",
    ],
)
def test_an_http_link_becomes_a_qr_code(pages: Pages, link: str) -> None:
    for document in (
        pages.news(dataclasses.replace(NEWS, link=link), "landscape", CPH),
        pages.event(dataclasses.replace(EVENT, link=link, image=None), "portrait", CPH),
    ):
        source = document.decode("utf-8")
        svg = re.search(r'<svg viewBox="0 0 (\d+) \1" class="qr-code">.*?</svg>', source)
        assert svg is not None
        # Dark modules on a light quiet zone.
        assert 'fill="#fff"' in svg.group(0) and 'stroke="#0b1c2c"' in svg.group(0)
        assert "<figcaption>Læs mere</figcaption>" in source
        # The link is in the code, not in the markup.
        assert link not in source


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "mailto:borgerservice@holbaek.dk",
        "ftp://holbaek.dk/",
        "/nyheder/vejarbejde",
        "https://",
        "https://user:secret@holbaek.dk/",
        "https://holbaek.dk/" + "x" * 1500,  # too dense to scan off a screen
    ],
)
def test_no_qr_code_without_a_usable_http_link(pages: Pages, link: str | None) -> None:
    for document in (
        pages.news(dataclasses.replace(NEWS, link=link), "landscape", CPH),
        pages.event(dataclasses.replace(EVENT, link=link), "portrait", CPH),
        pages.event(dataclasses.replace(EVENT, link=link, image=None), "landscape", CPH),
    ):
        assert b"qr-code" not in document and "Læs mere".encode() not in document


# What each slide says


def test_news_slide(pages: Pages) -> None:
    shown = text(pages.news(NEWS, "landscape", CPH))
    assert shown == (
        "Holbæk Kommune · 26. november | Vejarbejde på Skamstrupvej | "
        "Skamstrupvej er lukket for gennemkørsel i uge 49. | Læs mere"
    )
    no_date = dataclasses.replace(NEWS, published=None)
    assert text(pages.news(no_date, "landscape", CPH)).startswith("Holbæk Kommune | Vejarbejde")
    no_source = dataclasses.replace(NEWS, source="")
    assert text(pages.news(no_source, "landscape", CPH)).startswith("26. november | Vejarbejde")
    neither = dataclasses.replace(NEWS, source=" ", published=None)
    assert text(pages.news(neither, "landscape", CPH)).startswith("Vejarbejde")
    assert b'class="kicker' not in pages.news(neither, "landscape", CPH)


def test_news_date_in_the_areas_zone(pages: Pages) -> None:
    late = dataclasses.replace(NEWS, published=dt.datetime(2025, 11, 26, 23, 30, tzinfo=dt.UTC))
    assert "27. november" in text(pages.news(late, "landscape", CPH))


def test_event_slide(pages: Pages) -> None:
    shown = text(pages.event(EVENT, "portrait", CPH))
    assert shown == (
        "Julemarked | lørdag 6. december kl. 10.00–15.00 | Forsamlingshuset | "
        "Boder, gløgg og æbleskiver. | Læs mere"
    )
    nowhere = pages.event(dataclasses.replace(EVENT, place=None), "portrait", CPH)
    assert b"fact place" not in nowhere
    blank = pages.event(dataclasses.replace(EVENT, place="  "), "portrait", CPH)
    assert b"fact place" not in blank


def test_event_when_line_in_the_areas_zone_and_kept_whole(pages: Pages) -> None:
    utc = dataclasses.replace(
        EVENT,
        start=dt.datetime(2025, 12, 5, 17, tzinfo=dt.UTC),
        end=dt.datetime(2025, 12, 7, 13, tzinfo=dt.UTC),
    )
    source = pages.event(utc, "landscape", CPH).decode("utf-8")
    nbsp = "\u00a0"
    assert (
        f"fredag 5.{nbsp}december kl.{nbsp}18.00{nbsp}– søndag 7.{nbsp}december kl.{nbsp}14.00"
        in source
    )


def test_all_day_event_slide(pages: Pages) -> None:
    event = dataclasses.replace(
        EVENT,
        start=dt.datetime(2025, 12, 5, tzinfo=CPH),
        end=dt.datetime(2025, 12, 8, tzinfo=CPH),
        all_day=True,
    )
    assert "5.–7. december" in text(pages.event(event, "landscape", CPH))


def test_naive_times_are_refused(pages: Pages) -> None:
    with pytest.raises(ValueError, match="naive"):
        pages.event(dataclasses.replace(EVENT, start=dt.datetime(2025, 12, 6, 10)), "portrait", CPH)
    with pytest.raises(ValueError, match="naive"):
        pages.news(dataclasses.replace(NEWS, published=dt.datetime(2025, 12, 6)), "portrait", CPH)


# The overview


def events(count: int) -> tuple[EventCard, ...]:
    start = dt.datetime(2025, 12, 1, 19, tzinfo=CPH)
    return tuple(
        dataclasses.replace(
            EVENT,
            title=f"Arrangement {n}",
            start=start + dt.timedelta(days=n),
            end=start + dt.timedelta(days=n, hours=2),
            place=f"Sted {n}",
        )
        for n in range(count)
    )


def rows(document: bytes) -> int:
    return document.count(b'<li class="row">')


@pytest.mark.parametrize("layout", ["landscape", "portrait"])
def test_overview_without_events(pages: Pages, layout: str) -> None:
    document = pages.overview(OverviewCard("Mørkøv", 14, ()), layout, CPH)
    assert text(document) == (
        "Det sker i Mørkøv de næste 14 dage | Ingen arrangementer de næste 14 dage"
    )
    assert rows(document) == 0


@pytest.mark.parametrize("layout", ["landscape", "portrait"])
def test_overview_with_a_few_events(pages: Pages, layout: str) -> None:
    document = pages.overview(OverviewCard("Mørkøv", 14, events(3)), layout, CPH)
    assert rows(document) == 3
    shown = text(document)
    assert shown.startswith(
        "Det sker i Mørkøv de næste 14 dage | "
        "man. 1. dec. | kl. 19.00–21.00 | Arrangement 0 | Sted 0 | "
        "tirs. 2. dec. | kl. 19.00–21.00 | Arrangement 1 | Sted 1"
    )
    assert "flere" not in shown and "Ingen" not in shown


@pytest.mark.parametrize(("layout", "shown"), [("landscape", 7), ("portrait", 9)])
def test_overview_with_more_events_than_fit(pages: Pages, layout: str, shown: int) -> None:
    document = pages.overview(OverviewCard("Mørkøv", 14, events(30)), layout, CPH)
    assert rows(document) == shown
    assert text(document).endswith(f"+ {30 - shown} flere arrangementer")
    assert f"Arrangement {shown - 1} |" in text(document)
    assert f"Arrangement {shown} |" not in text(document)
    one_more = pages.overview(OverviewCard("Mørkøv", 14, events(shown + 1)), layout, CPH)
    assert text(one_more).endswith("+ 1 arrangement mere")
    exactly = pages.overview(OverviewCard("Mørkøv", 14, events(shown)), layout, CPH)
    assert rows(exactly) == shown and "flere" not in text(exactly)


def test_overview_row_without_a_place_and_all_day(pages: Pages) -> None:
    event = dataclasses.replace(
        EVENT,
        start=dt.datetime(2025, 12, 6, tzinfo=CPH),
        end=dt.datetime(2025, 12, 7, tzinfo=CPH),
        all_day=True,
        place=None,
    )
    document = pages.overview(OverviewCard("Mørkøv", 7, (event,)), "landscape", CPH)
    assert text(document) == (
        "Det sker i Mørkøv de næste 7 dage | lør. 6. dec. | hele dagen | Julemarked"
    )


def test_overview_for_one_day(pages: Pages) -> None:
    document = pages.overview(OverviewCard("Mørkøv", 1, ()), "landscape", CPH)
    assert text(document) == "Det sker i Mørkøv i dag | Ingen arrangementer i dag"
    with pytest.raises(ValueError, match="days must be at least 1, got 0"):
        pages.overview(OverviewCard("Mørkøv", 0, ()), "landscape", CPH)


# Colours: every text colour against every background it is shown on, WCAG AAA


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_of_every_text_colour_is_at_least_7_to_1() -> None:
    css = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", css))
    pairs = [
        (text, background)
        for text in ("text", "muted", "accent")
        for background in ("background", "panel")
    ] + [("tile-text", "tile")]
    for text_colour, background in pairs:
        ratio = contrast(colours[text_colour], colours[background])
        assert ratio >= 7, f"--{text_colour} on --{background}: {ratio:.2f}"
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
