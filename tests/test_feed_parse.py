from __future__ import annotations

import datetime as dt

import pytest

from signage_server.feeds.model import FeedError
from signage_server.feeds.parse import detect, parse_feed

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:jul-1\r\n"
    "DTSTAMP:20261101T000000Z\r\nDTSTART:20261206T090000Z\r\nDTEND:20261206T140000Z\r\n"
    "SUMMARY:Julemarked i Mørkøv\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Kommunen</title>'
    "<item><title>Vandet er lukket i Mørkøv</title><link>https://holbaek.dk/n/1</link>"
    "<description>&lt;p&gt;Fra kl. 10 til 14.&lt;/p&gt;</description><guid>n1</guid></item>"
    "</channel></rss>"
).encode()


@pytest.mark.parametrize(
    ("data", "content_type", "kind"),
    [
        (ICS, None, "ical"),
        (b"\xef\xbb\xbf\r\n" + ICS, None, "ical"),
        (ICS.lower(), "text/calendar", "ical"),
        (RSS, "text/calendar", "rss"),  # a wrong type does not beat the content
        (RSS, None, "rss"),
        (b"<html><body>Not found</body></html>", "text/html", "rss"),
    ],
)
def test_detect(data: bytes, content_type: str | None, kind: str) -> None:
    assert detect(data, content_type) == kind


def test_each_format_reaches_its_parser() -> None:
    events = parse_feed(ICS, feed_id="kalender", url="https://x.dk/k.ics", now=NOW)
    assert [item.title for item in events.items] == ["Julemarked i Mørkøv"]
    assert events.items[0].start == dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC)
    news = parse_feed(RSS, feed_id="kommunen", url="https://holbaek.dk/rss", now=NOW)
    (item,) = news.items
    assert item.title == "Vandet er lukket i Mørkøv"
    assert item.summary == "Fra kl. 10 til 14." and item.link == "https://holbaek.dk/n/1"


@pytest.mark.parametrize("body", [b"", b"   \r\n", b"<html><body>Fejl</body></html>"])
def test_nothing_usable_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError, match="not a"):
        parse_feed(body, feed_id="x", url="https://x.dk/f", now=NOW)
