"""RSS and Atom documents as plain-text items, including the event RSS of Danish libraries.

feedparser reads the document leniently (HTML entities, undeclared windows-1252, broken
XML); this module turns what it found into :class:`FeedItem`\\ s and decides when a
document is not a feed at all. When an event happens is read by :mod:`.eventtime`. No
network I/O: the fetcher hands in the bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import xml.sax
from collections.abc import Iterator, Mapping
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]

from .clean import image_sources, plain_text, safe_url
from .eventtime import event_time
from .model import FeedError, FeedItem, ParsedFeed

__all__ = ["parse_rss"]

#: At most this many warnings are kept for one feed; the rest are counted.
MAX_WARNINGS = 20

# Event elements, by the local name feedparser gives them after the namespace prefix
# ("content-rss_arrangement-starttime", "ev_startdate", "xcal_dtstart").
_START_NAMES = ("arrangement-starttime", "ev_startdate", "xcal_dtstart")
_END_NAMES = ("arrangement-endtime", "ev_enddate", "xcal_dtend")
_PLACE_NAMES = ("arrangement-location", "ev_location", "xcal_location")
_TEASER_NAMES = ("subheadline",)


def parse_rss(
    data: bytes, *, feed_id: str, url: str, content_type: str | None = None
) -> ParsedFeed:
    """Read an RSS 0.9x/1.0/2.0 or Atom document into plain-text items.

    ``url`` is where the document came from (relative links are resolved against it) and
    ``content_type`` the Content-Type header it was served with, if any (its charset is
    honoured). A malformed document that still has entries is used, with a warning; an
    entry that cannot be read is skipped, with a warning.

    Raises FeedError ("not a feed: …") for an empty body, an HTML page, invalid XML with no
    entries, or an XML document that is neither RSS nor Atom.
    """
    if not data.strip():
        raise FeedError("not a feed: the response body is empty")
    data = _repair_char_refs(data)
    headers = {"content-location": url}
    declared = _charset_bearing(content_type)
    if declared is not None:
        headers["content-type"] = declared
    try:
        # No sanitising by feedparser: nothing here renders HTML, clean.plain_text keeps
        # only text, and feedparser's sanitiser turns some script elements into text.
        result: object = feedparser.parse(data, response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser promises not to raise; be ready if it does
        raise FeedError(f"not a feed: the document could not be read ({exc!r})") from exc
    parsed = _mapping(result)
    entries = [_mapping(entry) for entry in _list(parsed.get("entries"))]
    problem = _problem(parsed.get("bozo_exception") if parsed.get("bozo") else None)
    if not entries and (
        not _text(parsed.get("version"))
        or (problem is not None and not _is_complete(data, _text(parsed.get("encoding"))))
    ):
        raise FeedError(_not_a_feed(data, content_type, problem))
    warnings: list[str] = []
    if problem is not None:
        warnings.append(f"the document is not a clean feed ({problem}); it was read leniently")
    media_type = _media_type(content_type)
    if media_type and not media_type.endswith("xml"):
        warnings.append(f"served as {media_type}, not as XML")

    feed = _mapping(parsed.get("feed"))
    written_urls = _absolute_ids(data, _text(parsed.get("encoding")))
    items: list[FeedItem] = []
    seen: set[str] = set()
    empty = 0
    for number, entry in enumerate(entries, start=1):
        try:
            item = _item(
                entry, feed_id=feed_id, url=url, ids=written_urls, seen=seen, warnings=warnings
            )
        except _Skipped as exc:
            warnings.append(f"entry {number} skipped: {exc}")
            continue
        except Exception as exc:  # one bad entry must not cost the others
            warnings.append(f"entry {number} skipped: {type(exc).__name__}: {exc}")
            continue
        if item is None:
            empty += 1
            continue
        seen.add(item.uid)
        items.append(item)
    if not items and problem is not None and not _is_complete(data, _text(parsed.get("encoding"))):
        # A cut-off document whose entries were unreadable: an error, so that the feed's
        # last good items stay, rather than an empty feed that would replace them.
        raise FeedError(_not_a_feed(data, content_type, problem))
    if empty:
        warnings.append(f"{empty} entries without any text were skipped")
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS + 1
        warnings[MAX_WARNINGS - 1 :] = [f"… and {more} more warnings"]
    return ParsedFeed(
        items=tuple(items),
        title=plain_text(_text(feed.get("title")), single_line=True),
        warnings=tuple(warnings),
    )


# A numeric character reference, as bytes (ASCII-compatible encodings only).
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _code_point(ref: re.Match[bytes]) -> int:
    hexadecimal, decimal = ref.group(1), ref.group(2)
    digits = (hexadecimal or decimal).lstrip(b"0") or b"0"
    if len(digits) > 7:
        return -1
    return int(digits, 16) if hexadecimal else int(digits)


def _repair_char_refs(data: bytes) -> bytes:
    """Turn UTF-16 surrogate pairs written as two references into one; drop impossible ones.

    Some CMSes write an emoji as "&#55357;&#56832;". feedparser raises on a reference to a
    surrogate or to a code point beyond Unicode, and the whole feed would be lost.
    """
    if b"&#" not in data:
        return data
    refs = list(_CHAR_REF.finditer(data))
    pieces: list[bytes] = []
    done = 0
    index = 0
    while index < len(refs):
        ref = refs[index]
        point = _code_point(ref)
        index += 1
        if 0xD800 <= point <= 0xDBFF and index < len(refs) and refs[index].start() == ref.end():
            low = _code_point(refs[index])
            if 0xDC00 <= low <= 0xDFFF:
                combined = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00)
                pieces += [data[done : ref.start()], b"&#x%X;" % combined]
                done = refs[index].end()
                index += 1
                continue
        if point < 0 or 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
            pieces.append(data[done : ref.start()])
            done = ref.end()
    pieces.append(data[done:])
    return b"".join(pieces)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def _charset_bearing(content_type: str | None) -> str | None:
    """The Content-Type to show feedparser, or None when it says nothing about characters.

    feedparser follows RFC 3023: text/* without a charset is us-ascii, which turns a
    UTF-16 feed served as text/xml into "invalid XML" and every UTF-8 one into a warning.
    RFC 7303, which replaced it, lets the document's byte order mark and XML declaration
    decide instead; leaving the header out gives that.
    """
    if content_type is None:
        return None
    if _media_type(content_type).startswith("text/") and "charset" not in content_type.lower():
        return None
    return content_type


class _Skipped(Exception):
    """An entry that is left out on purpose; the message says why."""


def _problem(exc: object) -> str | None:
    """What feedparser's bozo exception means, in words for the admin (None: no problem)."""
    if exc is None or isinstance(exc, feedparser.NonXMLContentType):
        return None  # the media type is judged by parse_rss itself, header or no header
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            f"invalid XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"character set: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _not_a_feed(data: bytes, content_type: str | None, problem: str | None) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        head.startswith((b"<!doctype html", b"<html"))
        or b"<html" in head
        or (content_type or "").lower().startswith("text/html")
    ):
        served = f" (served as {content_type})" if content_type else ""
        return f"not a feed: the server sent an HTML page{served}, not RSS or Atom"
    if problem is None:
        return "not a feed: an XML document, but neither RSS nor Atom"
    return f"not a feed: no entries could be read ({problem})"


_ROOT_END = re.compile(r"</\s*(?:[\w.-]+:)?(?:rss|feed|rdf)\s*>\s*$", re.IGNORECASE)


# Bounded, so that a document full of unclosed <id> tags costs linear time.
_ID_ELEMENT = re.compile(
    r"<((?:[\w.-]+:)?(?:guid|id))\b[^<>]{0,1024}>\s*"
    r"(?:<!\[CDATA\[([^\]<]{0,2048})\]\]>|([^<]{0,2048}))\s*</\1\s*>",
    re.IGNORECASE,
)


def _absolute_ids(data: bytes, encoding: str) -> frozenset[str]:
    """The guids and ids that the document itself writes as absolute http(s) URLs."""
    found = set()
    for match in _ID_ELEMENT.finditer(_decode(data, encoding)):
        value = html.unescape(match.group(2) or match.group(3) or "").strip()
        if value.lower().startswith(("http://", "https://")):
            found.add(value)
    return frozenset(found)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _is_complete(data: bytes, encoding: str) -> bool:
    """Whether a malformed document with no entries still ends where a feed ends.

    Such a feed is empty (a library with no events coming up whose channel title has an
    ``&aring;``); a document cut off before its end tag may have lost all its entries.
    """
    return _ROOT_END.search(_decode(data, encoding)) is not None


def _item(
    entry: Mapping[str, object],
    *,
    feed_id: str,
    url: str,
    ids: frozenset[str],
    seen: set[str],
    warnings: list[str],
) -> FeedItem | None:
    base = _base(entry, url)
    title = plain_text(_text(entry.get("title")), single_line=True)
    raw_summary = _text(entry.get("summary"))
    contents = [_text(_mapping(part).get("value")) for part in _list(entry.get("content"))]
    summary = plain_text(raw_summary)
    for candidate in [*contents, _namespaced(entry, _TEASER_NAMES)]:
        if summary:
            break
        summary = plain_text(candidate)
    if not title:
        # RSS 2.0 allows an item with a description only: its first line heads the slide.
        title, _, summary = summary.partition("\n")
    if not title:
        return None

    link = safe_url(_text(entry.get("link")) or None, base)
    if entry.get("guidislink") and link is not None and link == entry.get("id") and link not in ids:
        # feedparser took the guid for the link and made "nyhed-17" a URL under the feed's
        # own address: a QR code to a page that does not exist.
        link = None
    published = _published(entry)
    uid = _uid(entry, link, title, published, seen)
    if uid is None:
        raise _Skipped(f"{title!r} repeats an earlier entry")
    place = plain_text(_namespaced(entry, _PLACE_NAMES), single_line=True) or None
    when = event_time(
        _namespaced(entry, _START_NAMES),
        _namespaced(entry, _END_NAMES),
        title=title,
        warnings=warnings,
    )
    return FeedItem(
        feed=feed_id,
        uid=uid,
        title=title,
        summary=summary,
        link=link,
        image_url=_image(entry, [*contents, raw_summary], base),
        published=published,
        start=when.start,
        end=when.end,
        all_day=when.all_day,
        place=place,
        categories=_categories(entry),
    )


def _base(entry: Mapping[str, object], url: str) -> str:
    """The URL the entry's relative links are relative to (its xml:base, else the feed's)."""
    details = [entry.get("title_detail"), entry.get("summary_detail"), *_list(entry.get("content"))]
    for detail in details:
        declared = _text(_mapping(detail).get("base"))
        resolved = safe_url(urljoin(url, declared)) if declared else None
        if resolved is not None:
            return resolved
    return url


def _uid(
    entry: Mapping[str, object],
    link: str | None,
    title: str,
    published: dt.datetime | None,
    seen: set[str],
) -> str | None:
    """The entry's id (guid), else its link, else a hash of its title and date.

    Some feeds give every entry the same guid: an id already taken falls back to the next
    candidate rather than lose the entry. None when every candidate is taken: the entry
    repeats an earlier one.
    """
    when = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title}\n{when}".encode()).hexdigest()
    for candidate in (_text(entry.get("id")).strip(), link or "", f"sha256:{digest}"):
        if candidate and candidate not in seen:
            return candidate
    return None


def _published(entry: Mapping[str, object]) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, tuple) and len(parsed) >= 6:
            year, month, day, hour, minute, second = (int(part) for part in parsed[:6])
            try:
                return dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.UTC)
            except ValueError:
                continue
    return None


def _categories(entry: Mapping[str, object]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for tag in _list(entry.get("tags")):
        tag_map = _mapping(tag)
        term = plain_text(
            _text(tag_map.get("term")) or _text(tag_map.get("label")), single_line=True
        )
        if term:
            found.setdefault(term)
    return tuple(found)


def _image(entry: Mapping[str, object], html_parts: list[str], base: str) -> str | None:
    """The entry's picture: Media RSS, then an image enclosure, then the first <img>."""
    for candidate in _image_candidates(entry, html_parts):
        image = safe_url(candidate, base)
        if image is not None:
            return image
    return None


def _image_candidates(entry: Mapping[str, object], html_parts: list[str]) -> Iterator[str]:
    for media in _list(entry.get("media_content")):
        media_map = _mapping(media)
        kind = _text(media_map.get("medium") or media_map.get("contentmedium")).lower()
        mime = _text(media_map.get("type")).lower()
        if (kind in {"", "image"}) and (mime == "" or mime.startswith("image/")):
            yield _text(media_map.get("url"))
    for thumbnail in _list(entry.get("media_thumbnail")):
        yield _text(_mapping(thumbnail).get("url"))
    for link in _list(entry.get("links")):
        link_map = _mapping(link)
        if _text(link_map.get("rel")) == "enclosure" and _text(link_map.get("type")).startswith(
            "image/"
        ):
            yield _text(link_map.get("href"))
    for part in html_parts:
        yield from image_sources(part)


def _namespaced(entry: Mapping[str, object], names: tuple[str, ...]) -> str:
    """The first value among keys named ``names``, with or without a namespace prefix."""
    for name in names:
        for key, value in entry.items():
            matches = key == name or key.endswith(f"_{name}")
            if matches and isinstance(value, str) and value.strip():
                return value
    return ""


# feedparser hands back FeedParserDicts, lists and struct_times. These read them without
# trusting their shape, and with plain dict access: FeedParserDict's own lookups warn.
def _mapping(value: object) -> Mapping[str, object]:
    return dict(value) if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
