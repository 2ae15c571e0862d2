"""The demo's sample feeds: written with dates around today, served on loopback.

``playlists/feeds.toml`` in the repository points at http://127.0.0.1:8001/, where
``signage demo`` serves these files, so the demo shows news, events, the overview and the
ticker without internet. The feeds are like the real ones they stand for: the
municipality's news as RSS 2.0 with pictures, a local calendar as iCalendar (with a weekly
event and an all-day event), and the library's events as DPL CMS event RSS.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

FEEDS_PORT = 8001
ZONE = ZoneInfo("Europe/Copenhagen")


def write_feeds(directory: Path, today: dt.date | None = None) -> None:
    """Write the sample feeds (again) with dates around ``today``."""
    today = today or dt.datetime.now(ZONE).date()
    directory.mkdir(parents=True, exist_ok=True)
    for name, colour in PICTURES.items():
        path = directory / name
        if not path.exists():
            _picture(colour).save(path, "JPEG", quality=85)
    _replace(directory / "nyheder.xml", news_rss(today))
    _replace(directory / "kalender.ics", calendar(today))
    _replace(directory / "bibliotek.xml", library_rss(today))


PICTURES = {
    "cykelsti.jpg": (60, 120, 80),
    "vandvaerk.jpg": (40, 90, 150),
    "juletrae.jpg": (150, 40, 50),
}


def news_rss(today: dt.date) -> str:
    base = f"http://127.0.0.1:{FEEDS_PORT}"
    stories = [
        ("Ny cykelsti mellem Mørkøv og Jyderup", "cykelsti",
         "<p>Holbæk Kommune går i gang med at anlægge en ny cykelsti langs Jyderupvej. "
         "Arbejdet begynder i januar og ventes færdigt til sommer.</p>", "cykelsti.jpg", 0),
        ("Vandværket i Tølløse får nye filtre", "vandvaerk",
         "Vandet kan i en kort periode være let brunligt. Det er ufarligt. "
         "Kontakt vandværket på tlf. 59 18 00 00 med spørgsmål.", "vandvaerk.jpg", 1),
        ("Juletræet tændes på torvet i Holbæk", "juletrae",
         "Kom og vær med, når byens juletræ tændes &amp; julemanden kommer forbi med "
         "godter til børnene.", "juletrae.jpg", 2),
        ("Høring om ny lokalplan for Vipperød Centrum", "lokalplan",
         "Lokalplanen er i høring frem til 15. januar. Se forslaget og send dit "
         "høringssvar på kommunens hjemmeside.", None, 3),
    ]  # fmt: skip
    items = []
    for title, slug, text, picture, days_ago in stories:
        published = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9), ZONE)
        enclosure = (
            f'<enclosure url="{base}/{picture}" type="image/jpeg" length="0"/>' if picture else ""
        )
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://www.holbaek.dk/nyheder/{slug}</link>"
            f"<guid>https://www.holbaek.dk/nyheder/{slug}</guid>"
            f"<description>{escape(text)}</description>{enclosure}"
            f"<pubDate>{email.utils.format_datetime(published)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Holbæk Kommune</title><link>https://www.holbaek.dk/</link>"
        "<description>Nyheder fra Holbæk Kommune</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def calendar(today: dt.date) -> str:
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    events = [
        ("julemarked", "Julemarked i Forsamlingshuset", saturday, (10, 0), (15, 0),
         "Forsamlingshuset, Mørkøv", "Boder, gløgg og æbleskiver. Alle er velkomne."),
        ("fællesspisning", "Fællesspisning", today + dt.timedelta(days=5), (18, 0), (20, 30),
         "Forsamlingshuset, Mørkøv", "Tilmelding i Brugsen senest dagen før."),
        ("koncert", "Julekoncert i Jyderup Kirke", today + dt.timedelta(days=6), (19, 30),
         (21, 0), "Jyderup Kirke", "Jyderup Kammerkor synger julen ind. Gratis adgang."),
        ("i-dag", "Åbent hus i Mørkøv Hallen", today, (8, 0), (23, 0), "Mørkøv Hallen",
         "Prøv badminton, bordtennis og gymnastik."),
    ]  # fmt: skip
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Lokalskaerm//Demo//DA",
             "X-WR-CALNAME:Det sker lokalt", "X-WR-TIMEZONE:Europe/Copenhagen"]  # fmt: skip
    for uid, title, day, start, end, place, text in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@demo.lokalskaerm",
            f"DTSTAMP:{today:%Y%m%d}T000000Z",
            f"DTSTART;TZID=Europe/Copenhagen:{day:%Y%m%d}T{start[0]:02d}{start[1]:02d}00",
            f"DTEND;TZID=Europe/Copenhagen:{day:%Y%m%d}T{end[0]:02d}{end[1]:02d}00",
            f"SUMMARY:{title}",
            f"LOCATION:{_ical_text(place)}",
            f"DESCRIPTION:{_ical_text(text)}",
            "END:VEVENT",
        ]
    wednesday = today + dt.timedelta(days=(2 - today.weekday()) % 7)
    lines += [
        "BEGIN:VEVENT",
        "UID:strikkecafe@demo.lokalskaerm",
        f"DTSTAMP:{today:%Y%m%d}T000000Z",
        f"DTSTART;TZID=Europe/Copenhagen:{wednesday:%Y%m%d}T140000",
        f"DTEND;TZID=Europe/Copenhagen:{wednesday:%Y%m%d}T160000",
        "RRULE:FREQ=WEEKLY;COUNT=8",
        "SUMMARY:Strikkecafé på biblioteket",
        "LOCATION:Tølløse Bibliotek",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:juletraesfest@demo.lokalskaerm",
        f"DTSTAMP:{today:%Y%m%d}T000000Z",
        f"DTSTART;VALUE=DATE:{today + dt.timedelta(days=9):%Y%m%d}",
        f"DTEND;VALUE=DATE:{today + dt.timedelta(days=10):%Y%m%d}",
        "SUMMARY:Juletræsfest i Svinninge",
        "LOCATION:Svinninge Hallen",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def library_rss(today: dt.date) -> str:
    events = [
        ("Lego-værksted for børn", 2, (10, 0), (12, 0), "Holbæk Bibliotek"),
        ("Forfatteraften: Krimi fra Vestsjælland", 4, (19, 0), (21, 0), "Jyderup Bibliotek"),
        ("Bogcafé i Mørkøv", 7, (15, 0), (16, 30), "Mørkøv Bogbus"),
    ]
    items = []
    for number, (title, days, start, end, place) in enumerate(events):
        day = today + dt.timedelta(days=days)
        begins = dt.datetime.combine(day, dt.time(*start), ZONE)
        ends = dt.datetime.combine(day, dt.time(*end), ZONE)
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://holbaekbib.dk/arrangementer/{number}</link>"
            f"<guid>https://holbaekbib.dk/arrangementer/{number}</guid>"
            f"<description>{escape('Gratis. Ingen tilmelding.')}</description>"
            f"<pubDate>{email.utils.format_datetime(begins - dt.timedelta(days=20))}</pubDate>"
            f"<content-rss:arrangement-starttime>{int(begins.timestamp())}"
            "</content-rss:arrangement-starttime>"
            f"<content-rss:arrangement-endtime>{int(ends.timestamp())}"
            "</content-rss:arrangement-endtime>"
            f"<content-rss:arrangement-location>{escape(place)}"
            "</content-rss:arrangement-location></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content-rss="http://xml.redia.dk/rss">'
        "<channel><title>Holbæk Bibliotekerne</title><link>https://holbaekbib.dk/</link>"
        "<description>Arrangementer</description>" + "".join(items) + "</channel></rss>\n"
    )


@contextmanager
def serving(directory: Path, host: str = "127.0.0.1", port: int = FEEDS_PORT) -> Iterator[int]:
    """Serve ``directory`` over HTTP (with Last-Modified and 304) until the block ends."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _ical_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def _replace(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return  # unchanged: keep the file's time, so that the server can answer 304
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    temp.replace(path)


def _picture(colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (1200, 800), colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 60) for c in colour)
    for step in range(0, 1200, 80):
        draw.line([(step, 800), (step + 400, 0)], fill=light, width=18)
    return image
