"""RSS and Atom documents, including Danish library event RSS, as plain-text items."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signage_server.feeds import rss
from signage_server.feeds.model import FeedError, FeedItem, ParsedFeed
from signage_server.feeds.rss import parse_rss

FIXTURES = Path(__file__).parent / "fixtures"
CPH = ZoneInfo("Europe/Copenhagen")
URL = "https://kommune.example.dk/nyheder/feed.xml"
MARKUP = re.compile(r"<(?:/?[A-Za-z][^<>]*>|!--|!\[CDATA\[|![A-Za-z])")
REDIA = ' xmlns:content-rss="http://xml.redia.dk/rss"'
# The folder is shared with the iCalendar tests: these are the feed documents.
DOCUMENTS = sorted(path.name for path in FIXTURES.iterdir() if path.suffix in {".xml", ".html"})


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(data: bytes, content_type: str | None = None, url: str = URL) -> ParsedFeed:
    return parse_rss(data, feed_id="nyheder", url=url, content_type=content_type)


def feed(*items: str, namespaces: str = "", channel: str = "<title>Test</title>") -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="2.0"{namespaces}><channel>{channel}{body}</channel></rss>'
    ).encode()


def only(parsed: ParsedFeed) -> FeedItem:
    assert len(parsed.items) == 1, parsed
    return parsed.items[0]


def all_text(parsed: ParsedFeed) -> list[str]:
    texts = [parsed.title]
    for item in parsed.items:
        texts += [item.title, item.summary, item.place or "", *item.categories]
    return texts


# Character sets and entities


def test_undeclared_windows_1252_comes_out_as_danish() -> None:
    parsed = parse(fixture("rss20_windows1252.xml"))
    item = only(parsed)
    assert item.title == "Vejarbejde på Søndergade – “omkørsel” i Mørkøv"
    assert item.summary == "Æbler, øl og ål: prisen er 25 €."
    assert item.categories == ("Trafik", "Mørkøv")
    assert parsed.title == "Nyheder fra Ringsted Kommune"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/xml", "application/rss+xml", "text/xml; charset=utf-8", "application/xml"],
)
def test_windows_1252_survives_any_content_type(content_type: str | None) -> None:
    item = only(parse(fixture("rss20_windows1252.xml"), content_type))
    assert item.title == "Vejarbejde på Søndergade – “omkørsel” i Mørkøv"


def test_a_wrong_charset_is_a_warning() -> None:
    parsed = parse(fixture("rss20_windows1252.xml"), "text/xml; charset=utf-8")
    assert any("parsed as windows-1252" in warning for warning in parsed.warnings)


def test_utf8_served_as_latin1_is_repaired() -> None:
    parsed = parse(fixture("atom_relative_links.xml"), "application/xml; charset=iso-8859-1")
    assert parsed.items[0].categories == ("Børn og unge", "Hallen")


def test_utf16_served_as_text_xml_without_charset() -> None:
    # RFC 3023 would make that us-ascii and the document unreadable; RFC 7303 does not.
    text = fixture("rss10_rdf.xml").decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    item = only(parse(text.encode("utf-16"), "text/xml"))
    assert item.summary == "Cykelstien til Dalby åbner."


def test_latin1_declared_in_the_document() -> None:
    item = only(parse(fixture("rss091.xml"), "text/xml"))
    assert item.title == "Vandværket holder åbent hus"


def test_html_entities_in_a_malformed_feed() -> None:
    parsed = parse(fixture("rss20_html_entities.xml"), "application/rss+xml")
    first, second = parsed.items
    assert parsed.title == "Nyheder fra Kommunen – Dalby"
    assert first.title == "Så er der æbleskiver på Torvet i Åby"
    assert first.summary == "Køb en pose Æbleskiver & gløgg til 20 €.\nØstergade er lukket."
    assert second.title == "Dobbelt kodet: Skøjtebanen åbner"
    assert second.summary == "Husk åbningstiderne: 10–16 – hver dag."
    assert len(parsed.warnings) == 1
    assert "undefined entity" in parsed.warnings[0]
    assert "read leniently" in parsed.warnings[0]


def test_text_that_was_mangled_upstream_is_repaired() -> None:
    parsed = parse(fixture("rss20_mojibake.xml"))
    item = only(parsed)
    assert parsed.title == "Nyheder fra København"
    assert item.title == "København og Århus får nye cykelstier"
    assert item.summary == "“Godt nyt”, siger borgmesteren – igen."


def test_character_references_to_surrogates_do_not_lose_the_feed() -> None:
    # feedparser raises on "&#xD800;"; an emoji written as a UTF-16 pair is one character.
    item = only(parse(fixture("rss20_char_refs.xml")))
    assert item.title == "Sommerfest \U0001f600 og is \U0001f366"
    assert item.summary == "Alle er velkomne åben skole."


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_fixture_gives_mojibake_or_markup(name: str) -> None:
    try:
        parsed = parse(fixture(name))
    except FeedError:
        return
    for text in all_text(parsed):
        assert not re.search(r"Ã|Â|â€|\ufffd", text), text
        assert not MARKUP.search(text), text


# Formats


def test_rss_1_0() -> None:
    item = only(parse(fixture("rss10_rdf.xml")))
    assert item.uid == "https://kommune.example.dk/a"
    assert item.link == "https://kommune.example.dk/a"
    assert item.published == dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
    assert item.categories == ("Trafik",)


def test_rss_0_91() -> None:
    item = only(parse(fixture("rss091.xml")))
    assert item.link == "https://kommune.example.dk/vand"
    assert item.published is None


def test_atom_with_relative_links() -> None:
    parsed = parse(fixture("atom_relative_links.xml"))
    playground, meeting, bad_base = parsed.items
    assert parsed.title == "Dalby Borgerforening"
    assert playground.uid == "tag:dalby.example.dk,2026:legeplads"
    assert playground.link == "https://dalby.example.dk/nyt/legeplads.html"
    assert playground.image_url == "https://dalby.example.dk/billeder/legeplads.jpg"
    assert playground.summary == "Se den nye legeplads."
    assert playground.categories == ("Børn og unge", "Hallen")
    assert meeting.link == "https://dalby.example.dk/arkiv/2026/gf"
    assert meeting.image_url == "https://dalby.example.dk/arkiv/2026/gf-plakat.jpg"
    # A javascript: xml:base is ignored; the link resolves against the document's base.
    assert bad_base.link == "https://dalby.example.dk/nyt/side.html"


def test_published_is_aware_utc() -> None:
    playground, meeting, _ = parse(fixture("atom_relative_links.xml")).items
    assert playground.published == dt.datetime(2026, 11, 20, 8, 15, tzinfo=dt.UTC)
    assert meeting.published == dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)
    assert playground.published is not None
    assert playground.published.utcoffset() == dt.timedelta(0)


def test_summary_falls_back_to_content() -> None:
    data = feed(
        "<title>A</title><content:encoded><![CDATA[<p>Fra <b>indhold</b></p>]]></content:encoded>",
        namespaces=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
    assert only(parse(data)).summary == "Fra indhold"


def test_summary_is_preferred_over_content() -> None:
    data = feed(
        "<title>A</title><description>Kort</description>"
        "<content:encoded><![CDATA[<p>Langt indhold</p>]]></content:encoded>",
        namespaces=' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
    assert only(parse(data)).summary == "Kort"


def test_an_item_with_only_a_description_gets_its_first_line_as_title() -> None:
    item = only(
        parse(feed("<description>&lt;p&gt;Første&lt;/p&gt;&lt;p&gt;Resten&lt;/p&gt;</description>"))
    )
    assert (item.title, item.summary) == ("Første", "Resten")


def test_items_without_text_are_dropped() -> None:
    parsed = parse(
        feed(
            "<title>Med tekst</title>",
            "<title>   </title><description>&lt;p&gt; &lt;/p&gt;</description>",
            "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>",
            "<link>https://kommune.example.dk/kun-link</link>",
        )
    )
    assert [item.title for item in parsed.items] == ["Med tekst"]
    assert parsed.warnings == ("3 entries without any text were skipped",)


# Identity


def test_uid_is_the_guid_else_the_link_else_a_hash() -> None:
    parsed = parse(
        feed(
            "<title>A</title><guid isPermaLink='false'>id-1</guid><link>https://k.example.dk/a</link>",
            "<title>B</title><link>https://k.example.dk/b</link>",
            "<title>C</title><pubDate>Tue, 01 Dec 2026 08:30:00 +0100</pubDate>",
        )
    )
    guid, link, neither = parsed.items
    assert guid.uid == "id-1"
    assert link.uid == "https://k.example.dk/b"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", neither.uid)
    assert (
        parse(feed("<title>C</title><pubDate>Tue, 01 Dec 2026 08:30:00 +0100</pubDate>"))
        .items[0]
        .uid
        == neither.uid
    )


def test_a_repeated_guid_does_not_cost_entries() -> None:
    parsed = parse(
        feed(
            "<title>A</title><guid isPermaLink='false'>samme</guid>",
            "<title>B</title><guid isPermaLink='false'>samme</guid>",
            "<title>B</title><guid isPermaLink='false'>samme</guid>",
        )
    )
    assert [item.title for item in parsed.items] == ["A", "B"]
    assert len({item.uid for item in parsed.items}) == 2
    assert parsed.warnings == ("entry 3 skipped: 'B' repeats an earlier entry",)


def test_a_guid_that_is_not_a_url_is_not_a_link() -> None:
    # isPermaLink defaults to true, so feedparser makes "nyhed-17" a link under the feed URL.
    item = only(parse(feed("<title>A</title><guid>nyhed-17</guid>")))
    assert item.link is None


def test_a_guid_that_is_a_url_is_the_link() -> None:
    item = only(parse(feed("<title>A</title><guid>https://andet.example.dk/nyhed-17</guid>")))
    assert item.link == "https://andet.example.dk/nyhed-17"


# Hostile content


def test_scripts_handlers_and_javascript_links_never_get_through() -> None:
    parsed = parse(fixture("hostile_content.xml"))
    by_uid = {item.uid: item for item in parsed.items}
    assert parsed.title == "Farlig feed"
    assert by_uid["h1"].title == "Fed overskrift"
    assert by_uid["h1"].summary == "Hej med dig\nSidste afsnit"
    assert by_uid["h1"].link is None  # javascript:
    # media:content is javascript:, the thumbnail data:; the <img> is what is left.
    assert by_uid["h1"].image_url == "https://kommune.example.dk/nyheder/x.jpg"
    assert by_uid["h2"].summary == "Synlig tekst\nstykke\nEfter objektet"
    assert by_uid["h2"].link is None  # vbscript:
    assert by_uid["h2"].image_url == "https://evil.example.com/ok.png"
    assert by_uid["h3"].summary == "Tekst"
    assert by_uid["h3"].link == "https://evil.example.com/side?a=1&b=2"
    assert "h4" not in by_uid  # its title was a script and nothing else


def test_hostile_content_leaves_no_code_anywhere() -> None:
    parsed = parse(fixture("hostile_content.xml"))
    for text in all_text(parsed):
        assert "alert" not in text and "executeMe" not in text, text
    for item in parsed.items:
        for url in (item.link, item.image_url):
            assert url is None or url.startswith("https://"), url


# Events


def test_dpl_cms_event_feed() -> None:
    parsed = parse(fixture("dpl_events.xml"), "application/rss+xml")
    market, midsummer, crafts, christmas, talk = parsed.items
    assert market.uid == "101"
    assert market.title == "Julemarked i Forsamlingshuset"
    assert market.summary == "Kom og vær med til julemarked med boder og gløgg."
    assert market.start == dt.datetime(2026, 12, 6, 14, 0, tzinfo=CPH)
    assert market.end == dt.datetime(2026, 12, 6, 16, 0, tzinfo=CPH)
    assert market.place == "Mørkøv Forsamlingshus"
    assert not market.all_day
    # pubDate is when the event was last edited, not when it happens.
    assert market.published == dt.datetime(2026, 11, 2, 8, 12, tzinfo=dt.UTC)
    # media:content is relative to the channel's xml:base.
    assert market.image_url == (
        "https://bibliotek.example.dk/sites/default/files/styles/redia_feed_large/julemarked.jpg"
    )
    # Summer time: 19:30 in Copenhagen is 17:30 UTC.
    assert midsummer.start == dt.datetime(2026, 6, 20, 17, 30, tzinfo=dt.UTC)
    assert midsummer.end == dt.datetime(2026, 6, 20, 22, 0, tzinfo=CPH)
    assert midsummer.image_url == "https://bibliotek.example.dk/sites/default/files/sankthans.jpg"
    assert crafts.start == dt.datetime(2026, 12, 5, 10, 0, tzinfo=CPH)
    assert crafts.end == dt.datetime(2026, 12, 5, 12, 30, tzinfo=CPH)
    assert crafts.place == "Dalby Bibliotek, børneafdelingen"
    assert christmas.all_day
    assert christmas.start == dt.datetime(2026, 12, 24, tzinfo=CPH)
    assert christmas.end == dt.datetime(2026, 12, 25, tzinfo=CPH)
    assert (talk.start, talk.end, talk.place) == (None, None, "Dalby Bibliotek")
    assert "entry 'Foredrag om bier': start time 'snart' not understood" in parsed.warnings


def test_dpl_cms_subheadline_stands_in_for_a_missing_description() -> None:
    data = feed(
        "<title>Strikkecafé</title><description></description>"
        "<content-rss:subheadline>Tag &lt;b&gt;pinde&lt;/b&gt; med</content-rss:subheadline>",
        namespaces=REDIA,
    )
    assert only(parse(data)).summary == "Tag pinde med"


def test_event_times_are_aware_and_in_copenhagen() -> None:
    for item in parse(fixture("dpl_events.xml")).items:
        for moment in (item.start, item.end):
            assert moment is None or moment.tzinfo == CPH


def test_ev_namespace_event_feed() -> None:
    fair, festival = parse(fixture("ev_events.xml")).items
    assert fair.start == dt.datetime(2026, 5, 9, 9, 0, tzinfo=CPH)
    assert fair.end == dt.datetime(2026, 5, 9, 14, 0, tzinfo=CPH)  # no offset: Copenhagen
    assert fair.place == "Skolegården"
    assert festival.all_day
    assert festival.start == dt.datetime(2026, 8, 14, tzinfo=CPH)
    assert festival.end == dt.datetime(2026, 8, 17, tzinfo=CPH)  # through the 16th


def event(start: str, end: str | None = None, prefix: str = "content-rss") -> FeedItem:
    elements = f"<{prefix}:arrangement-starttime>{start}</{prefix}:arrangement-starttime>"
    if end is not None:
        elements += f"<{prefix}:arrangement-endtime>{end}</{prefix}:arrangement-endtime>"
    namespace = f' xmlns:{prefix}="http://xml.redia.dk/rss"'
    return only(parse(feed(f"<title>Arrangement</title>{elements}", namespaces=namespace)))


@pytest.mark.parametrize(
    "written",
    [
        "1796562000",
        "1796562000000",
        " 1796562000 ",
        "2026-12-06T14:00:00+01:00",
        "2026-12-06T13:00:00Z",
        "2026-12-06T14:00",
        "2026-12-06 14:00:00",
        "20261206T140000",
        "Sun, 06 Dec 2026 14:00:00 +0100",
        "06.12.2026 - 14:00",
        "06.12.2026 kl. 14.00",
        "6/12-2026 14:00",
        "6.12.26 kl. 14",
        "06-12-2026, 14:00-16:00",
        "søndag 6. december 2026 kl. 14.00",
        "Søndag d. 6. December 2026 kl. 14:00",
        "6. dec. 2026 kl. 14:00",
        "6 december 2026, 14:00",
    ],
)
def test_event_start_formats(written: str) -> None:
    item = event(written)
    assert item.start == dt.datetime(2026, 12, 6, 14, 0, tzinfo=CPH)
    assert not item.all_day


def test_event_start_text_month_without_day_first_is_not_understood() -> None:
    assert event("December 6 2026").start is None


def test_event_elements_in_any_namespace_prefix() -> None:
    assert event("1796562000", prefix="redia-rss").start == dt.datetime(2026, 12, 6, 14, tzinfo=CPH)


def test_event_elements_without_a_namespace() -> None:
    data = feed(
        "<title>A</title><arrangement-starttime>1796562000</arrangement-starttime>"
        "<arrangement-location>Hallen</arrangement-location>"
    )
    item = only(parse(data))
    assert (item.start, item.place) == (dt.datetime(2026, 12, 6, 14, tzinfo=CPH), "Hallen")


def test_event_elements_with_an_undeclared_prefix() -> None:
    data = feed(
        "<title>A</title><content-rss:arrangement-starttime>1796562000</content-rss:arrangement-starttime>"
    )
    assert only(parse(data)).start == dt.datetime(2026, 12, 6, 14, tzinfo=CPH)


@pytest.mark.parametrize(
    ("start", "end", "all_day_end"),
    [
        ("24.12.2026", None, dt.datetime(2026, 12, 25, tzinfo=CPH)),
        ("24.12.2026 kl. 00:00", None, dt.datetime(2026, 12, 25, tzinfo=CPH)),
        ("24.12.2026 kl. 00:00", "24.12.2026 kl. 23:59", dt.datetime(2026, 12, 25, tzinfo=CPH)),
        ("24.12.2026 kl. 00:00", "26.12.2026 kl. 00:00", dt.datetime(2026, 12, 27, tzinfo=CPH)),
        ("2026-12-24", "2026-12-26", dt.datetime(2026, 12, 27, tzinfo=CPH)),
        (
            "2026-12-24T00:00:00+01:00",
            "2026-12-25T00:00:00+01:00",
            dt.datetime(2026, 12, 25, tzinfo=CPH),
        ),
    ],
)
def test_all_day_events(start: str, end: str | None, all_day_end: dt.datetime) -> None:
    item = event(start, end)
    assert item.all_day
    assert item.start == dt.datetime(2026, 12, 24, tzinfo=CPH)
    assert item.end == all_day_end


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("24.12.2026 kl. 00:00", "24.12.2026 kl. 02:00"),  # a night event
        ("2026-12-24T00:00:00+01:00", None),  # a timestamp at midnight is a time
        ("24.12.2026 kl. 10:00", "24.12.2026 kl. 23:59"),
    ],
)
def test_events_at_midnight_that_are_not_all_day(start: str, end: str | None) -> None:
    assert not event(start, end).all_day


def test_an_end_before_the_start_is_dropped_with_a_warning() -> None:
    data = feed(
        "<title>A</title>"
        "<content-rss:arrangement-starttime>06.12.2026 - 14:00</content-rss:arrangement-starttime>"
        "<content-rss:arrangement-endtime>06.12.2026 - 12:00</content-rss:arrangement-endtime>",
        namespaces=REDIA,
    )
    parsed = parse(data)
    assert only(parsed).start == dt.datetime(2026, 12, 6, 14, tzinfo=CPH)
    assert only(parsed).end is None
    assert parsed.warnings == (
        "entry 'A': end '06.12.2026 - 12:00' is before start '06.12.2026 - 14:00'",
    )


def test_an_unreadable_end_is_a_warning() -> None:
    data = feed(
        "<title>A</title><content-rss:arrangement-starttime>1796562000</content-rss:arrangement-starttime>"
        "<content-rss:arrangement-endtime>senere</content-rss:arrangement-endtime>",
        namespaces=REDIA,
    )
    parsed = parse(data)
    assert only(parsed).end is None
    assert parsed.warnings == ("entry 'A': end time 'senere' not understood",)


@pytest.mark.parametrize(
    "written",
    [
        "31.02.2026 kl. 14:00",
        "999999999999",
        "202612061400",
        "99999999999999",
        "2026-13-01",
        "kl. 14",
    ],
)
def test_impossible_event_times_are_not_understood(written: str) -> None:
    item = event(written)
    assert item.start is None


def test_news_items_have_no_event_times() -> None:
    item = only(parse(fixture("rss20_windows1252.xml")))
    assert (item.start, item.end, item.all_day, item.place) == (None, None, False, None)


# Not a feed


def test_an_empty_body_is_not_a_feed() -> None:
    for data in (fixture("empty.xml"), b"  \r\n\t "):
        with pytest.raises(FeedError, match=r"^not a feed: the response body is empty$"):
            parse(data)


@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8", "application/xml"])
def test_an_html_page_is_not_a_feed(content_type: str | None) -> None:
    with pytest.raises(FeedError, match=r"^not a feed: the server sent an HTML page"):
        parse(fixture("not_a_feed.html"), content_type)


def test_invalid_xml_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: no entries could be read \(invalid XML"):
        parse(fixture("invalid.xml"))


def test_xml_that_is_neither_rss_nor_atom_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: an XML document, but neither RSS nor Atom$"):
        parse(b'<?xml version="1.0"?><kommune><navn>Dalby</navn></kommune>')


def test_a_feed_cut_off_before_its_entries_is_not_a_feed() -> None:
    data = fixture("rss20_windows1252.xml")
    with pytest.raises(FeedError, match=r"^not a feed: "):
        parse(data[: data.index(b"<item>")])


def test_a_complete_feed_without_entries_is_empty() -> None:
    parsed = parse(fixture("empty_feed_entities.xml"))
    assert parsed.items == ()
    assert parsed.title == "Arrangementer på biblioteket"
    assert len(parsed.warnings) == 1
    clean = parse(feed())
    assert (clean.items, clean.warnings) == ((), ())


def test_a_feed_served_as_html_is_used_with_a_warning() -> None:
    parsed = parse(fixture("rss10_rdf.xml"), "text/html; charset=utf-8")
    assert len(parsed.items) == 1
    assert parsed.warnings == ("served as text/html, not as XML",)


# Robustness


def test_one_broken_entry_is_dropped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    read_categories = rss._categories

    def broken_for_b(entry: Mapping[str, object]) -> tuple[str, ...]:
        if entry.get("title") == "B":
            raise RuntimeError("kunne ikke læses")
        return read_categories(entry)

    monkeypatch.setattr(rss, "_categories", broken_for_b)
    parsed = parse(feed("<title>A</title>", "<title>B</title>", "<title>C</title>"))
    assert [item.title for item in parsed.items] == ["A", "C"]
    assert parsed.warnings == ("entry 2 skipped: RuntimeError: kunne ikke læses",)


def test_a_failing_feedparser_is_a_feed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> object:
        raise MemoryError("for stor")

    monkeypatch.setattr("signage_server.feeds.rss.feedparser.parse", explode)
    with pytest.raises(FeedError, match=r"^not a feed: the document could not be read"):
        parse(feed("<title>A</title>"))


def test_warnings_are_capped() -> None:
    items = [
        f"<title>T{n}</title><content-rss:arrangement-starttime>snart</content-rss:arrangement-starttime>"
        for n in range(30)
    ]
    warnings = parse(feed(*items, namespaces=REDIA)).warnings
    assert len(warnings) == rss.MAX_WARNINGS
    assert warnings[-1] == "… and 11 more warnings"


def damaged(data: bytes) -> list[bytes]:
    """Cut-off and scribbled-over copies of a document, the same on every run."""
    step = max(1, len(data) // 40)
    copies = [data[:cut] for cut in range(0, len(data), step)]
    for n in range(1, 40):
        spoiled = bytearray(data)
        for position in range(n, len(spoiled), 37 + n):
            spoiled[position] = (spoiled[position] * 7 + n) % 256
        copies.append(bytes(spoiled))
    return copies


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_damaged_document_crashes(name: str) -> None:
    for data in damaged(fixture(name)):
        try:
            parsed = parse(data, "text/xml")
        except FeedError as exc:
            assert str(exc).startswith("not a feed: ")
        else:
            assert isinstance(parsed, ParsedFeed)


def test_a_feed_cut_off_inside_its_only_entry_is_an_error_not_an_empty_feed() -> None:
    # Found wiring the poller: it yielded no items and a warning, so it replaced the
    # feed's last good items with nothing.
    with pytest.raises(FeedError, match=r"^not a feed"):
        parse(b"<rss><channel><item><title>a", "text/xml")
