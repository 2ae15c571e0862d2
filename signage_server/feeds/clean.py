"""Feed text and links made safe for a screen: plain text, shortened text, http(s) links.

Feeds send HTML where text belongs, entities that XML does not know, text that was
decoded with the wrong character set, and links with any scheme at all. Everything a
template receives goes through here first.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = ["image_sources", "plain_text", "repair_mojibake", "safe_url", "shorten"]

# Elements whose content is never text for a reader: code, styling, embedded documents,
# fallback text for plug-ins and media players.
_HIDDEN = frozenset(
    {
        "applet",
        "audio",
        "canvas",
        "head",
        "iframe",
        "math",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "script",
        "select",
        "style",
        "svg",
        "template",
        "textarea",
        "title",
        "video",
        "xml",
    }
)

# Elements that start a new line of text where they open and where they close.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)

# Table cells and images sit next to their neighbours: a space keeps words apart.
_SPACERS = frozenset({"td", "th", "img"})

_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
# A complete tag, comment opener, CDATA section or declaration, as left behind by escaped
# HTML ("&lt;p&gt;").
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*>|!--|![A-Za-z\[][^<>]*>)")
_MAX_PASSES = 3


# No slide shows more than this much of a description; reading on would only cost time
# (html5ever, like a browser, is slow on pathologically deep nesting).
_MAX_MARKUP = 64_000
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")
_SURROGATES = re.compile("[\ud800-\udfff]")
# html5ever writes back the elements it keeps in one canonical form.
_KEPT_TAG = re.compile(r'<(/?)([a-z0-9]+)(?: src="([^"]*)")?\s*/?>')


@functools.lru_cache(maxsize=32)
def _cleaner(hidden: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_BLOCKS | _SPACERS),
        clean_content_tags=set(hidden),
        attributes={"img": {"src"}},
        url_schemes={"http", "https"},
        strip_comments=True,
        link_rel=None,
    )


def _parse(markup: str) -> tuple[str, list[str]]:
    """The text of ``markup`` as a browser would show it, and its images' ``src``."""
    markup = _CDATA.sub("", markup[:_MAX_MARKUP])  # a CDATA section's content is text
    markup = _SURROGATES.sub("", markup)  # nh3 cannot take them; they are no text anyway
    # An element that is never closed would hide the rest of the text: a stray <object>
    # or <iframe> in a description costs the tag, not the description.
    lowered = markup.lower()
    hidden = frozenset(tag for tag in _HIDDEN if f"</{tag}" in lowered) | {"script", "style"}
    # html5ever parses as a browser does and leaves only the kept elements, in canonical
    # form, with the text escaped: what remains is simple to read.
    cleaned = _cleaner(hidden).clean(markup)
    images: list[str] = []

    def separate(tag: re.Match[str]) -> str:
        if tag.group(3) is not None:
            images.append(html.unescape(tag.group(3)))
        return " " if tag.group(2) in _SPACERS else "\n"

    text = html.unescape(_KEPT_TAG.sub(separate, cleaned))
    return text, images


def _is_dropped(char: str) -> bool:
    if char in "\n\t":
        return False
    if char == "\u200d":  # zero-width joiner: holds emoji sequences together
        return False
    # Control characters, format characters (soft hyphens, zero-width spaces, byte order
    # marks, direction overrides), lone surrogates and the two non-characters.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"} or char in "\ufffe\uffff"


def _tidy(text: str) -> str:
    # Repair first: the C1 characters of latin-1 mojibake look like line breaks.
    text = unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", repair_mojibake(text)))
    text = "".join(char for char in text if not _is_dropped(char))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def plain_text(html_or_text: str, *, single_line: bool = False) -> str:
    """Return the text a reader would see in ``html_or_text``, with no markup left.

    Script, style, iframe and similar elements are dropped with their content; block
    elements and ``<br>`` become line breaks, table cells a space. All entities are
    decoded (also ``&aring;`` without its semicolon, and text that was escaped twice),
    UTF-8 that was read as windows-1252 is repaired, control and invisible format
    characters are removed, each line's whitespace is collapsed and empty lines are
    dropped. With ``single_line`` the lines are joined with spaces (for titles). Only the
    first 64,000 characters of markup are read.
    """
    text = html_or_text
    for _ in range(_MAX_PASSES):
        text = _parse(text)[0]
        # Escaped HTML ("&lt;p&gt;") or doubly escaped entities ("&amp;oslash;") only
        # show their meaning after one more pass.
        if not _TAG.search(text) and html.unescape(text) == text:
            break
    text = _TAG.sub(" ", text)
    text = _tidy(text)
    return " ".join(text.split("\n")) if single_line else text


def image_sources(markup: str) -> list[str]:
    """Return the ``src`` of each visible ``<img>`` in ``markup`` (http(s) or relative)."""
    return _parse(markup)[1]


_ELLIPSIS = "…"
# Punctuation that looks wrong just before an ellipsis.
_TRAILING = " \t\n,;:-–—([{/\"'“‘«"


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut at a word boundary to at most ``limit`` characters, ending in "…".

    Text that fits is returned unchanged. A single word longer than the room left is cut
    inside the word. Raises ValueError if ``limit`` is less than 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if len(text) <= limit:
        return text
    room = limit - len(_ELLIPSIS)
    cut = text[: room + 1]  # a space just after the room is a boundary too
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    head = cut[:boundary].rstrip(_TRAILING) if boundary > 0 else ""
    if not head:
        head = text[:room].rstrip(_TRAILING)
    return head + _ELLIPSIS


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_JUNK = re.compile(r"[\t\n\r]")
_MAX_URL = 2048  # longer than any link a QR code on a screen can carry


def _absolute_http(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return url


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """Return ``url`` as an absolute http(s) URL, or None when it is not a safe one.

    Surrounding whitespace and embedded tabs and line breaks are removed (as browsers do);
    a relative URL is resolved against ``base`` when ``base`` is itself an absolute http(s)
    URL. Other schemes (``javascript:``, ``data:``, ``vbscript:``, ``file:``, ``mailto:``),
    URLs with user names, control characters or bad ports, and absurdly long URLs give None.
    """
    if url is None:
        return None
    url = _URL_JUNK.sub("", url.strip())
    if not url or len(url) > _MAX_URL:
        return None
    if any(unicodedata.category(char) in {"Cc", "Cs"} or char == "\\" for char in url):
        return None
    url = url.replace(" ", "%20")
    scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in {"http", "https"}:
        if scheme is not None or base is None:
            return None
        safe_base = safe_url(base)
        if safe_base is None:
            return None
        url = urljoin(safe_base, url)
    return _absolute_http(url)


# Windows-1252 (with latin-1 for its five holes), byte by byte, and latin-1 itself (C1
# control characters for 0x80-0x9F): the tables that turn mojibake back into the UTF-8
# bytes it came from.
_CP1252 = {
    byte: bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in range(256)
}
_TO_BYTE = {chr(byte): byte for byte in range(256)} | {char: byte for byte, char in _CP1252.items()}


def _chars(low: int, high: int) -> str:
    found = {_CP1252[byte] for byte in range(low, high + 1)} | {
        chr(b) for b in range(low, high + 1)
    }
    return "".join(re.escape(char) for char in sorted(found))


_CONT = f"[{_chars(0x80, 0xBF)}]"
# Only lead bytes that do not start a Danish word: "Ã" and "Â" (two-byte sequences for
# Latin-1 letters and symbols), "â" + "€"/"‚" (punctuation, €), "ï»¿" (a byte order mark)
# and "ðŸ" (emoji). "Å", "Æ" and "Ø" are lead bytes too, but they are real Danish text.
_MOJIBAKE = re.compile(
    f"(?:[{_chars(0xC2, 0xC3)}]{_CONT}"
    f"|{re.escape(_CP1252[0xE2])}[{_chars(0x80, 0x82)}]{_CONT}"
    f"|{re.escape(_CP1252[0xEF] + _CP1252[0xBB] + _CP1252[0xBF])}"
    f"|{re.escape(_CP1252[0xF0])}[{_chars(0x9F, 0x9F)}]{_CONT}{_CONT})+"
)


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return bytes(_TO_BYTE[char] for char in run).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return run


def repair_mojibake(text: str) -> str:
    """Return ``text`` with UTF-8 that was read as windows-1252 or latin-1 decoded again.

    "KÃ¸benhavn" becomes "København" and "â€“" becomes "–"; text that was mangled twice
    is repaired twice. Only runs of characters that form valid UTF-8 and that cannot be
    ordinary Danish text are touched, so correct text is returned as it is.
    """
    for _ in range(_MAX_PASSES):
        repaired = _MOJIBAKE.sub(_repair_run, text)
        if repaired == text:
            break
        text = repaired
    return text
