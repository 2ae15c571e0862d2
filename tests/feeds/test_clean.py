"""Feed text and links made safe for a screen."""

from __future__ import annotations

import re

import pytest

from signage_server.feeds.clean import (
    image_sources,
    plain_text,
    repair_mojibake,
    safe_url,
    shorten,
)

# What a browser would take for markup: a tag, a comment, a CDATA section, a declaration.
MARKUP = re.compile(r"<(?:/?[A-Za-z][^<>]*>|!--|!\[CDATA\[|![A-Za-z])")


# plain_text: entities


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("S&aring; er der &aelig;bler og &oslash;l", "Så er der æbler og øl"),
        ("&Aring;by &AElig;rø &Oslash;sterbro", "Åby Ærø Østerbro"),
        ("&#229;&#xE5;&#XE5;&#0229;", "åååå"),
        ("Sk&aring ned", "Skå ned"),  # HTML's legacy entities need no semicolon
        ("Gl&amp;oslash;gg &amp;amp; &amp;#229;l", "Gløgg & ål"),  # escaped twice
        ("10&#150;16 og 20&nbsp;&euro;", "10–16 og 20 €"),  # windows-1252 numeric reference
        ("Fisk &amp; chips", "Fisk & chips"),
        ("R&D; og &doesnotexist;", "R&D; og &doesnotexist;"),
    ],
)
def test_plain_text_decodes_every_entity(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


# plain_text: markup


def test_plain_text_drops_script_style_and_iframe_with_their_content() -> None:
    raw = (
        "<p>Hej<script>document.write('<p>skjult</p>')</script> med"
        "<style>p { display: none }</style> dig"
        "<iframe src='https://x.example/'>ramme</iframe>"
        "<noscript><img src='pixel.gif'>Slå JavaScript til</noscript></p>"
    )
    assert plain_text(raw) == "Hej med dig"


def test_plain_text_drops_an_unclosed_script_to_the_end() -> None:
    assert plain_text("Synlig<script>alert(1); <p>ikke synlig</p>") == "Synlig"


def test_an_unclosed_iframe_or_object_costs_the_tag_not_the_text() -> None:
    assert plain_text("safe<iframe src='x'> description") == "safe description"
    assert plain_text("safe<object classid='clsid:1'> description") == "safe description"


def test_a_self_closing_iframe_hides_nothing() -> None:
    assert plain_text("<iframe src='https://x.example/'/>synlig") == "synlig"


def test_plain_text_turns_blocks_into_lines() -> None:
    raw = "<h2>Overskrift</h2><p>Første<br>linje</p><ul><li>et</li><li>to</li></ul>Slut"
    assert plain_text(raw) == "Overskrift\nFørste\nlinje\net\nto\nSlut"


def test_plain_text_keeps_table_cells_and_images_apart() -> None:
    raw = "<table><tr><td>Mandag</td><td>10-16</td></tr></table>Se<img src=a.jpg>her"
    assert plain_text(raw) == "Mandag 10-16\nSe her"


def test_plain_text_single_line_joins_lines() -> None:
    assert plain_text("<p>Et</p>\n<p>To</p>", single_line=True) == "Et To"


def test_plain_text_removes_escaped_markup() -> None:
    raw = "&lt;p&gt;Escaped &lt;b onclick=&quot;x()&quot;&gt;fed&lt;/b&gt;&lt;/p&gt;"
    assert plain_text(raw) == "Escaped fed"


def test_plain_text_treats_an_unterminated_comment_as_comment() -> None:
    assert plain_text("Tekst <!-- resten <script>alert(1)</script>") == "Tekst"


def test_plain_text_keeps_the_text_of_a_cdata_section() -> None:
    assert plain_text("<![CDATA[<b>fed</b>]]> tekst") == "fed tekst"
    assert plain_text("&lt;![CDATA[]]&gt;") == ""


def test_plain_text_keeps_a_lone_less_than_sign() -> None:
    assert plain_text("Børn < 10 år og 3<4") == "Børn < 10 år og 3<4"


@pytest.mark.parametrize(
    "raw",
    [
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)//>",
        "<svg><script>alert(1)</script></svg>",
        "&lt;&lt;script&gt;script&gt;alert(1)&lt;/script&gt;",
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
        "<a href='javascript:alert(1)'>klik</a>",
        "<<b>b>fed<</b>/b>",
        "<!DOCTYPE html><html><head><title>t</title></head><body>krop</body></html>",
        "<![CDATA[<![CDATA[<script></script>]]&gt;]]>",
        "<div\nonmouseover='x()'\n>tekst</div\n>",
    ],
)
def test_plain_text_never_returns_markup(raw: str) -> None:
    text = plain_text(raw)
    assert not MARKUP.search(text), text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<![" * 2000 + "tekst", ""),  # html.parser raises AssertionError on this
        ("<a" * 20000 + " tekst", ""),  # html.parser takes quadratic time on this
        ("<div>" * 5000 + "dybt", "dybt"),
        ("&" * 5000, "&" * 5000),
        ("<p" + ">" * 5000, ">" * 4999),
    ],
)
def test_plain_text_copes_with_pathological_markup(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


def test_plain_text_reads_only_the_start_of_huge_markup() -> None:
    text = plain_text("<p>ord og ord</p>" * 20_000)
    assert 0 < len(text) <= 64_000
    assert text.startswith("ord og ord\nord og ord")


# plain_text: characters and whitespace


def test_plain_text_normalises_whitespace() -> None:
    raw = "  Mange \t mellemrum\xa0og\u2003luft \r\n\r\n\n  næste\u2028linje  "
    assert plain_text(raw) == "Mange mellemrum og luft\nnæste\nlinje"


def test_plain_text_strips_control_and_invisible_characters() -> None:
    raw = "Øster\xadgade\x00 med\u200b nul\x07bredde\ufeff og\x1b[31m farve"
    assert plain_text(raw) == "Østergade med nulbredde og[31m farve"


def test_plain_text_drops_lone_surrogates() -> None:
    assert plain_text("Sommer\ud83dfest") == "Sommerfest"


def test_plain_text_keeps_emoji_joined() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert plain_text(f"Familiedag {family}") == f"Familiedag {family}"


def test_plain_text_composes_decomposed_letters() -> None:
    assert plain_text("A\u030arhus") == "Århus"


def test_plain_text_repairs_mojibake() -> None:
    assert plain_text("<p>KÃ¸benhavn &amp; Ã…rhus</p>") == "København & Århus"


def test_plain_text_of_nothing_is_nothing() -> None:
    assert plain_text("") == ""
    assert plain_text(" <p> </p> <br> ") == ""


# repair_mojibake


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ("KÃ¸benhavn", "København"),
        ("Ã†blegrÃ¸d pÃ¥ Ã…rhus Ã˜", "Æblegrød på Århus Ø"),
        ("â€œGodt nytâ€\x9d â€“ sagt", "“Godt nyt” – sagt"),
        ("25 â‚¬", "25 €"),
        ("ÃƒÂ¸l", "øl"),  # mangled twice
        ("Ã\x85rhus", "Århus"),  # read as latin-1, not windows-1252
        ("Familiedag ðŸ˜€", "Familiedag 😀"),
        ("KÃ¸ge og Køge", "Køge og Køge"),  # only the broken part is touched
    ],
)
def test_repair_mojibake(broken: str, repaired: str) -> None:
    assert repair_mojibake(broken) == repaired


@pytest.mark.parametrize(
    "text",
    [
        "København, Ærø, Århus, Øster Åby",
        "PÅ\xa0VEJEN",  # Å is a UTF-8 lead byte, but here it is a Danish letter
        "SØ\xa0OG Æ«",
        "naïve café – “citat” 25 €",
        "Ã",
        "Ã og Â",
    ],
)
def test_repair_mojibake_leaves_correct_text_alone(text: str) -> None:
    assert repair_mojibake(text) == text


# shorten


def test_shorten_leaves_text_that_fits() -> None:
    assert shorten("Julemarked", 10) == "Julemarked"


def test_shorten_cuts_at_a_word_boundary() -> None:
    text = "Julemarked i Forsamlingshuset med boder"
    short = shorten(text, 25)
    assert short == "Julemarked i…"
    assert len(short) <= 25


def test_shorten_drops_punctuation_before_the_ellipsis() -> None:
    assert shorten("Hej, med dig og dig", 6) == "Hej…"
    assert shorten("Vejarbejde – omkørsel", 14) == "Vejarbejde…"


def test_shorten_cuts_inside_a_word_that_is_too_long() -> None:
    assert shorten("Speciallægepraksisplanlægningsudvalget", 10) == "Speciallæ…"


def test_shorten_never_exceeds_the_limit() -> None:
    text = "Så er der æbleskiver på Torvet i Åby hele december"
    for limit in range(1, len(text) + 2):
        assert len(shorten(text, limit)) <= limit


def test_shorten_rejects_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        shorten("tekst", 0)


# safe_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://kommune.example.dk/a", "https://kommune.example.dk/a"),
        ("  http://kommune.example.dk/a?b=1&c=2#d \n", "http://kommune.example.dk/a?b=1&c=2#d"),
        ("https://kommune.example.dk/a b.jpg", "https://kommune.example.dk/a%20b.jpg"),
        ("https://æbler.example.dk/søg", "https://æbler.example.dk/søg"),
        ("https://kommune.example.dk:8443/", "https://kommune.example.dk:8443/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        (" \njavascript:alert(1)", None),
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("mailto:borger@kommune.example.dk", None),
        ("ftp://kommune.example.dk/", None),
        ("http://bruger:kode@kommune.example.dk/", None),
        ("http://kommune.example.dk:port/", None),
        ("http:///uden-vært", None),
        ("https:\\\\evil.example.com", None),
        ("https://kommune.example.dk/\x00", None),
        ("https://kommune.example.dk/\ud800", None),
        ("https://kommune.example.dk/" + "a" * 3000, None),
        ("", None),
        ("   ", None),
        (None, None),
        ("/relativ", None),  # nothing to resolve it against
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/billeder/a.jpg", "https://kommune.example.dk/billeder/a.jpg"),
        ("b.jpg", "https://kommune.example.dk/nyheder/b.jpg"),
        ("//cdn.example.dk/c.jpg", "https://cdn.example.dk/c.jpg"),
        ("?side=2", "https://kommune.example.dk/nyheder/feed.xml?side=2"),
        ("http://andet.example.dk/", "http://andet.example.dk/"),
        ("javascript:alert(1)", None),
    ],
)
def test_safe_url_resolves_against_a_base(url: str, expected: str | None) -> None:
    assert safe_url(url, "https://kommune.example.dk/nyheder/feed.xml") == expected


def test_safe_url_ignores_a_base_that_is_not_http() -> None:
    assert safe_url("side.html", "javascript:alert(1)//") is None
    assert safe_url("side.html", "relative/base/") is None


# image_sources


def test_image_sources_in_order_without_hidden_ones() -> None:
    raw = (
        "<noscript><img src='pixel.gif'></noscript><p><img alt='uden'>"
        "<img src='/a.jpg'><img src='https://x.example/b.png'></p>"
    )
    assert image_sources(raw) == ["/a.jpg", "https://x.example/b.png"]
