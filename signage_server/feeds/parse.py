"""One entry point for every feed format: look at the bytes, hand them to the right parser."""

from __future__ import annotations

import datetime as dt

from .model import FeedError, ParsedFeed

#: How far a calendar's recurring events are expanded.
EVENT_HORIZON_DAYS = 60


def detect(data: bytes, content_type: str | None = None) -> str:
    """Tell "ical" from "rss" (which covers RSS, RDF and Atom), by content first, then by type."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return "ical"
    if content_type and "calendar" in content_type.lower() and not head.startswith(b"<"):
        return "ical"
    return "rss"


def parse_feed(
    data: bytes,
    *,
    feed_id: str,
    url: str,
    now: dt.datetime,
    content_type: str | None = None,
    format: str = "auto",
) -> ParsedFeed:
    """Parse a fetched feed body. Raises FeedError when nothing usable is in it."""
    if not data.strip():
        raise FeedError("not a feed: the answer was empty")
    kind = detect(data, content_type) if format == "auto" else format
    if kind == "ical":
        from .ical import parse_ical

        return parse_ical(data, feed_id=feed_id, url=url, now=now, horizon_days=EVENT_HORIZON_DAYS)
    from .rss import parse_rss

    return parse_rss(data, feed_id=feed_id, url=url, content_type=content_type)
