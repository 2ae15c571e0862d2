"""Generated feeds in Danish, and the HTTP server that serves them (a child process).

Four in five are RSS news (HTML descriptions, escaped or in CDATA, with entities and
links), one in five iCalendar events (one in five weekly, ten times; one in ten all-day).
Each has an ETag and is answered 304 when asked with it. Some feeds go to all six
areas, some to one; some are routed by town name (news) or place (events). The same
feed number gives the same content, so runs can be compared.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from .processes import _parent_death_signal

ZONE = ZoneInfo("Europe/Copenhagen")
AREAS = {
    "morkov": "Mørkøv",
    "jyderup": "Jyderup",
    "tollose": "Tølløse",
    "svinninge": "Svinninge",
    "vipperod": "Vipperød",
    "holbaek": "Holbæk",
}
#: Areas whose screens stand upright, and whose ticker shows events too.
PORTRAIT = ("holbaek",)
TICKER_ALL = ("morkov", "tollose")


# --- the feeds ----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One generated feed: what it holds and where feeds.toml sends it."""

    id: str
    kind: Literal["news", "events"]
    #: "all", or the one area it belongs to.
    area: str
    #: Routed to each area by town name (news) or place (events).
    routed: bool = False
    max_items: int = 20

    @property
    def path(self) -> str:
        return f"/{self.id}.{'rss' if self.kind == 'news' else 'ics'}"


def plan(feeds: int) -> list[Source]:
    """News and calendars, four to one: the municipality's to every area, the local
    paper's routed by town, the associations' and libraries' to their own area."""
    towns = list(AREAS)
    events = feeds // 5
    sources = []
    for n in range(feeds - events):
        if n % 10 == 0:
            sources.append(Source(f"kommunen-{n:02}", "news", "all", max_items=10))
        elif n % 10 in (1, 2):
            sources.append(Source(f"avisen-{n:02}", "news", "all", routed=True))
        else:
            sources.append(Source(f"forening-{n:02}", "news", towns[n % len(towns)]))
    for n in range(events):
        if n % 5 == 0:
            sources.append(Source(f"kulturkalender-{n:02}", "events", "all", routed=True))
        elif n % 5 == 1:
            sources.append(Source(f"kommunekalender-{n:02}", "events", "all", max_items=10))
        else:
            sources.append(Source(f"bibliotek-{n:02}", "events", towns[n % len(towns)]))
    return sources


def feeds_toml(sources: Sequence[Source], base_url: str) -> str:
    lines = []
    for source in sources:
        areas = '"all"' if source.area == "all" else f'["{source.area}"]'
        lines += [
            "[[feed]]",
            f'id = "{source.id}"',
            f'url = "{base_url}{source.path}"',
            f'kind = "{source.kind}"',
            f"areas = {areas}",
            f"max_items = {source.max_items}",
        ]
        if source.routed:
            rule = "keywords" if source.kind == "news" else "places"
            for area, town in AREAS.items():
                lines += [f"[feed.route.{area}]", f'{rule} = ["{town}"]']
        lines.append("")
    return "\n".join(lines)


def recipe_text(area: str) -> str:
    lines = [f'name = "{AREAS[area]}"']
    if area in PORTRAIT:
        lines.append('layout = "portrait"')
    if area in TICKER_ALL:
        lines.append('ticker = "all"')
    return "\n".join(lines) + "\n"


_SUBJECTS = (
    "Ny cykelsti langs landevejen", "Vejarbejde på Hovedgaden", "Borgermøde om skolens fremtid",
    "Julebelysningen tændes", "Vandværket skyller ledninger", "Ny læge åbner praksis",
    "Hallen får nyt tag", "Kaffe & kage til de frivillige", "Genbrugspladsen ændrer åbningstider",
    "Frivillige søges til byfesten", "Ældrecentret holder åbent hus", "Stien ved åen genåbner",
    "Kommunen planter 500 træer", "Busruten lægges om", "Idrætsforeningen fylder 100 år",
)  # fmt: skip
_SENTENCES = (
    "Arbejdet begynder mandag og varer cirka tre uger.",
    "Der er gratis adgang, og alle er velkomne.",
    "Kommunen beklager de gener, det m&aring;tte give.",
    "M&oslash;d op og sig din mening &ndash; der er kaffe og kage.",
    "Projektet er st&oslash;ttet af Lokale- og Anl&aelig;gsfonden.",
    "L&aelig;s mere i referatet fra udvalgets m&oslash;de.",
)
_CATEGORIES = ("Trafik", "Kultur", "Skole", "Sundhed", "Natur", "Erhverv", "Politik", "Idræt")
_EVENTS = (
    "Koncert med Spillemændene", "Loppemarked", "Foredrag: Egnens historie", "Fællesspisning",
    "Strikkecafé", "Børneteater: Klods-Hans", "Banko", "Julemarked", "Gåtur i skoven",
    "Generalforsamling", "Yoga for begyndere", "Filmaften", "Lektiecafé", "Babysalmesang",
)  # fmt: skip
_PLACES = ("Forsamlingshuset", "Biblioteket", "Kirken", "Hallen", "Skolen", "Medborgerhuset")


def _town(source: Source, rng: random.Random) -> str | None:
    if source.area != "all":
        return AREAS[source.area]
    # A routed feed also has items about no town in particular, which go nowhere.
    towns = list(AREAS.values())
    return rng.choice([*towns, None]) if source.routed else rng.choice(towns)


def rss_body(source: Source, items: int, now: dt.datetime) -> bytes:
    rng = random.Random(source.id)
    entries = []
    for n in range(items):
        town = _town(source, rng)
        subject = rng.choice(_SUBJECTS)
        title = f"{subject} i {town}" if town else f"{subject} – gælder hele kommunen"
        link = f"https://www.{source.id}.dk/nyheder/{n}-{subject.split()[0].lower()}"
        markup = (
            f"<p>{rng.choice(_SENTENCES)} <strong>{town or 'Holbæk Kommune'}</strong> "
            f'&ndash; se <a href="{link}">mere her</a>.</p>'
            f"<p>{rng.choice(_SENTENCES)}&nbsp;{rng.choice(_SENTENCES)}<br/>"
            f"Kontakt: Jens &amp; Søs, tlf.&nbsp;59 43 {n % 100:02}&nbsp;00</p>"
        )
        description = f"<![CDATA[{markup}]]>" if n % 2 else escape(markup)
        published = now - dt.timedelta(hours=3 * n + 3 * rng.random())
        entries.append(
            f"<item><title>{escape(title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{source.id}-{n}</guid>'
            f"<pubDate>{email.utils.format_datetime(published.astimezone(ZONE))}</pubDate>"
            f"<category>{rng.choice(_CATEGORIES)}</category>"
            f"<description>{description}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Nyheder fra {source.id}</title><link>https://www.{source.id}.dk/</link>"
        f"<language>da</language>{''.join(entries)}</channel></rss>"
    ).encode()


_VTIMEZONE = (
    "BEGIN:VTIMEZONE", "TZID:Europe/Copenhagen",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
)  # fmt: skip


def ics_body(source: Source, items: int, now: dt.datetime) -> bytes:
    rng = random.Random(source.id)
    today = now.astimezone(ZONE).date()
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Holbæk Kommune//Kalender//DA"]
    lines += [f"X-WR-CALNAME:Kalender {source.id}", "X-WR-TIMEZONE:Europe/Copenhagen"]
    lines += _VTIMEZONE
    for n in range(items):
        town = _town(source, rng) or "Holbæk"
        day = today + dt.timedelta(days=rng.randint(-3, 50))
        start = dt.datetime.combine(day, dt.time(rng.choice((10, 14, 16, 19, 19, 20))))
        lines += ["BEGIN:VEVENT", f"UID:{source.id}-{n}@holbaek.dk", f"DTSTAMP:{stamp}"]
        if n % 10 == 0:
            lines.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}")
            lines.append(f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}")
        else:
            end = start + dt.timedelta(hours=2)
            lines.append(f"DTSTART;TZID=Europe/Copenhagen:{start:%Y%m%dT%H%M%S}")
            lines.append(f"DTEND;TZID=Europe/Copenhagen:{end:%Y%m%dT%H%M%S}")
        if n % 5 == 1:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=10")
        text = f"{rng.choice(_SENTENCES)}\n{rng.choice(_SENTENCES)} Billetter: 50 kr."
        if n % 3 == 0:
            text = f"<p>{text}</p><p><b>Tilmelding</b> senest dagen før.</p>"
        lines += [
            f"SUMMARY:{_ics_text(f'{rng.choice(_EVENTS)} i {town}')}",
            f"LOCATION:{_ics_text(f'{rng.choice(_PLACES)}, {town}')}",
            f"DESCRIPTION:{_ics_text(text)}",
            f"URL:https://www.{source.id}.dk/arrangementer/{n}",
            f"CATEGORIES:{rng.choice(_CATEGORIES)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines).encode()


def _ics_text(value: str) -> str:
    for char, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(char, escaped)
    return value


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space, as RFC 5545 asks."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    return "\r\n ".join([*parts, current])


# --- the feed server (a child process) ---------------------------------------------


def serve_feeds(conn: Connection, feeds: int, items: int, now: float) -> None:
    """Serve ``plan(feeds)`` with ``items`` each on a free loopback port until told to stop.

    Sends the port and the bytes of all feeds over ``conn``, then waits for "stop" (or EOF,
    when the benchmark is gone). ``/counts`` answers how many 200s and 304s it has sent, and
    over how many connections.
    """
    hook = _parent_death_signal()
    if hook is not None:
        hook()
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    routes: dict[str, tuple[bytes, str, str]] = {}
    for source in plan(feeds):
        if source.kind == "news":
            body, kind = rss_body(source, items, moment), "application/rss+xml"
        else:
            body, kind = ics_body(source, items, moment), "text/calendar"
        routes[source.path] = (body, f"{kind}; charset=utf-8", f'"{source.id}-1"')
    counts = {"200": 0, "304": 0, "body_bytes": 0, "connections": 0}
    counting = threading.Lock()  # one thread per connection

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def setup(self) -> None:  # once per connection, which may carry many requests
            super().setup()
            with counting:
                counts["connections"] += 1

        def do_GET(self) -> None:
            if self.path == "/counts":
                with counting:
                    text = json.dumps(counts)
                self._answer(200, text.encode(), "application/json", None)
            elif self.path not in routes:
                self._answer(404, b"not found", "text/plain", None)
            else:
                body, kind, etag = routes[self.path]
                fresh = self.headers.get("If-None-Match") != etag
                with counting:
                    counts["200" if fresh else "304"] += 1
                    counts["body_bytes"] += len(body) if fresh else 0
                if fresh:
                    self._answer(200, body, kind, etag)
                else:
                    self._answer(304, b"", None, etag)

        def _answer(self, status: int, body: bytes, kind: str | None, etag: str | None) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send((server.server_address[1], sum(len(route[0]) for route in routes.values())))
    with contextlib.suppress(EOFError, KeyboardInterrupt, SystemExit):
        conn.recv()  # "stop", or EOF when the benchmark is gone
    server.shutdown()
    server.server_close()
