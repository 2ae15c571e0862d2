"""iCalendar event calendars: expansion, time zones, text, and calendars that are broken."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signage_server.feeds.ical import parse_ical
from signage_server.feeds.model import FeedError, FeedItem, ParsedFeed

FIXTURES = Path(__file__).parent / "fixtures"
CPH = ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC
# Monday 1 December 2025, noon in Mørkøv.
NOW = dt.datetime(2025, 12, 1, 12, 0, tzinfo=CPH)


def parse(
    source: str | bytes,
    now: dt.datetime = NOW,
    *,
    horizon_days: int = 60,
    max_occurrences: int = 500,
    default_timezone: str = "Europe/Copenhagen",
) -> ParsedFeed:
    """Parse a fixture file by name, or a body given as bytes."""
    data = (FIXTURES / source).read_bytes() if isinstance(source, str) else source
    return parse_ical(
        data,
        feed_id="morkov-kalender",
        url="https://morkov.example/kalender.ics",
        now=now,
        horizon_days=horizon_days,
        max_occurrences=max_occurrences,
        default_timezone=default_timezone,
    )


def calendar(*events: str, header: str = "") -> bytes:
    """A calendar around the given VEVENT bodies (property lines, without BEGIN/END)."""
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{header}{body}END:VCALENDAR\n"
    return text.encode()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CPH)


def by_title(result: ParsedFeed, title: str) -> list[FeedItem]:
    return [item for item in result.items if item.title == title]


# Recurrence


def test_weekly_series_skips_exdate_and_shows_the_moved_instance_at_its_new_time() -> None:
    result = parse("ical-weekly-moved.ics")

    assert result.title == "Mørkøv Bibliotek"
    assert [(item.start, item.title, item.place) for item in result.items] == [
        (local(2025, 12, 2, 14), "Strikkecafé", "Mørkøv Bibliotek"),
        # 9 December is an EXDATE; 16 December moved to the 18th, with its own text.
        (local(2025, 12, 18, 17), "Strikkecafé med julehygge", "Forsamlingshuset"),
        (local(2025, 12, 23, 14), "Strikkecafé", "Mørkøv Bibliotek"),
        (local(2025, 12, 30, 14), "Strikkecafé", "Mørkøv Bibliotek"),
        (local(2026, 1, 6, 14), "Strikkecafé", "Mørkøv Bibliotek"),
    ]
    assert result.items[0].end == local(2025, 12, 2, 16)
    assert result.warnings == ()


def test_each_occurrence_is_its_own_item_with_the_uid_and_its_start() -> None:
    result = parse("ical-weekly-moved.ics")

    uids = [item.uid for item in result.items]
    assert uids[0] == "strikkecafe@morkov-bibliotek.example#2025-12-02T14:00:00+01:00"
    assert uids[1] == "strikkecafe@morkov-bibliotek.example#2025-12-18T17:00:00+01:00"
    assert len(set(uids)) == len(uids)
    assert all(item.feed == "morkov-kalender" for item in result.items)


def test_a_single_event_keeps_its_plain_uid() -> None:
    (item,) = by_title(parse("ical-utc-and-floating.ics"), "Fællesspisning")
    assert item.uid == "utc@morkov.example"


def test_cancelled_instances_and_cancelled_events_are_not_shown() -> None:
    result = parse("ical-cancelled.ics")

    assert [item.start for item in result.items] == [
        local(2025, 12, 2, 19),
        local(2025, 12, 3, 19),
        # 4 December is overridden with STATUS:CANCELLED.
        local(2025, 12, 5, 19),
        local(2025, 12, 6, 19),
    ]
    assert by_title(result, "Foredrag om Mørkøvs historie") == []


def test_private_events_are_not_shown_on_a_public_screen() -> None:
    assert by_title(parse("ical-cancelled.ics"), "Lægebesøg") == []


def test_instances_moved_onto_the_same_time_are_shown_once() -> None:
    # Thunderbird writes this when two instances of a series are dragged to the same slot.
    master = """UID:twice@morkov.example
DTSTART;TZID=Europe/Copenhagen:20251202T100000
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Kaffe"""
    moved = """UID:twice@morkov.example
RECURRENCE-ID;TZID=Europe/Copenhagen:{}T100000
DTSTART;TZID=Europe/Copenhagen:20251202T100000
DURATION:PT1H
SEQUENCE:1
SUMMARY:Kaffe"""
    result = parse(calendar(master, moved.format("20251203"), moved.format("20251204")))

    assert [item.start for item in result.items] == [local(2025, 12, 2, 10)]


# Time zones


def test_weekly_event_keeps_its_local_time_across_the_start_of_summer_time() -> None:
    result = parse("ical-dst.ics", now=local(2026, 3, 10, 12))

    market = by_title(result, "Loppemarked på torvet")
    assert [item.start for item in market] == [
        local(2026, 3, 14, 10),
        local(2026, 3, 21, 10),
        local(2026, 3, 28, 10),
        local(2026, 4, 4, 10),
    ]
    assert [item.start.utcoffset() for item in market if item.start] == [
        dt.timedelta(hours=1),
        dt.timedelta(hours=1),
        dt.timedelta(hours=1),
        dt.timedelta(hours=2),
    ]
    assert [item.end - item.start for item in market if item.end and item.start] == [
        dt.timedelta(hours=3)
    ] * 4


def test_a_series_in_utc_keeps_its_utc_time_across_the_start_of_summer_time() -> None:
    # RFC 5545: a UTC DTSTART repeats at the same instant; only X-WR-TIMEZONE changes that.
    result = parse("ical-dst.ics", now=local(2026, 3, 10, 12))

    meeting = by_title(result, "Onlinemøde (fast UTC-tid)")
    assert [item.start for item in meeting] == [
        local(2026, 3, 16, 10),
        local(2026, 3, 23, 10),
        local(2026, 3, 30, 11),
    ]


def test_utc_times_are_returned_as_local_aware_datetimes() -> None:
    (item,) = by_title(parse("ical-utc-and-floating.ics"), "Fællesspisning")

    assert item.start == dt.datetime(2025, 12, 5, 17, tzinfo=UTC)
    assert item.end == dt.datetime(2025, 12, 5, 19, tzinfo=UTC)
    assert item.start is not None and item.start.tzinfo == CPH
    assert not item.all_day


def test_floating_times_are_read_in_x_wr_timezone() -> None:
    result = parse("ical-floating-x-wr-timezone.ics")

    (concert,) = by_title(result, "Koncert i venskabsbyen")
    new_york = ZoneInfo("America/New_York")
    assert concert.start == dt.datetime(2025, 12, 5, 19, tzinfo=new_york)
    assert concert.end == dt.datetime(2025, 12, 5, 21, tzinfo=new_york)
    assert concert.start == local(2025, 12, 6, 1)


def test_floating_times_without_x_wr_timezone_are_read_in_the_default_zone() -> None:
    (item,) = by_title(parse("ical-utc-and-floating.ics"), "Babysalmesang")
    assert item.start == local(2025, 12, 5, 10)
    assert item.end == local(2025, 12, 5, 11, 30)

    in_new_york = parse("ical-utc-and-floating.ics", default_timezone="America/New_York")
    (item,) = by_title(in_new_york, "Babysalmesang")
    assert item.start == dt.datetime(2025, 12, 5, 10, tzinfo=ZoneInfo("America/New_York"))


def test_an_unknown_x_wr_timezone_falls_back_to_the_default_zone_with_a_warning() -> None:
    data = calendar(
        "UID:x@morkov.example\nDTSTART:20251205T100000\nSUMMARY:Banko",
        header="X-WR-TIMEZONE:Europe/Mørkøv\n",
    )
    result = parse(data)

    assert [item.start for item in result.items] == [local(2025, 12, 5, 10)]
    assert any("X-WR-TIMEZONE" in warning for warning in result.warnings)


def test_an_unknown_tzid_is_read_as_local_time_with_a_warning() -> None:
    data = calendar("UID:x@morkov.example\nDTSTART;TZID=Mørkøv Time:20251205T100000\nSUMMARY:Banko")
    result = parse(data)

    assert [item.start for item in result.items] == [local(2025, 12, 5, 10)]
    assert any("Mørkøv Time" in warning for warning in result.warnings)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse("ical-dst.ics", now=dt.datetime(2025, 12, 1, 12))
    with pytest.raises(ValueError, match="'Europe/Mørkøv'"):
        parse("ical-dst.ics", default_timezone="Europe/Mørkøv")
    with pytest.raises(ValueError, match="got 60 and 0"):
        parse("ical-dst.ics", max_occurrences=0)


# All-day events, missing ends, ended events


def test_all_day_events_start_at_local_midnight_and_end_exclusive() -> None:
    result = parse("ical-all-day.ics")
    days = {item.title: (item.start, item.end) for item in result.items}

    assert all(item.all_day for item in result.items)
    assert days["Juleaften - biblioteket er lukket"] == (local(2025, 12, 24), local(2025, 12, 25))
    # No DTEND, and DTEND equal to DTSTART (Calendar Labs' holiday feeds): one day.
    assert days["Julemarked"] == (local(2025, 12, 6), local(2025, 12, 7))
    assert days["Nytårsaften"] == (local(2025, 12, 31), local(2026, 1, 1))
    # A DATE start with a UTC DATE-TIME end stays an all-day event.
    assert days["Skolernes juleprojekt"] == (local(2025, 12, 8), local(2025, 12, 11))


def test_an_ongoing_all_day_event_is_kept_and_one_that_ended_at_midnight_is_dropped() -> None:
    result = parse("ical-all-day.ics")

    assert [item.start for item in by_title(result, "Udstilling i hallen")] == [local(2025, 11, 30)]
    assert by_title(result, "Første søndag i advent") == []


def test_a_timed_event_without_dtend_lasts_zero_time_or_its_duration() -> None:
    result = parse("ical-utc-and-floating.ics")

    (stars,) = by_title(result, "Stjernekig")
    assert stars.start == stars.end == local(2025, 12, 5, 21)
    (singing,) = by_title(result, "Babysalmesang")
    assert singing.end == local(2025, 12, 5, 11, 30)


def test_events_that_have_ended_are_dropped_and_ongoing_ones_kept() -> None:
    result = parse("ical-weekly-moved.ics", now=local(2025, 12, 2, 15))
    assert result.items[0].start == local(2025, 12, 2, 14)

    result = parse("ical-weekly-moved.ics", now=local(2025, 12, 2, 16))
    assert result.items[0].start == local(2025, 12, 18, 17)


def test_occurrences_beyond_the_horizon_are_not_expanded() -> None:
    result = parse("ical-weekly-moved.ics", horizon_days=20)

    assert [item.start for item in result.items] == [
        local(2025, 12, 2, 14),
        local(2025, 12, 18, 17),
    ]


# Text


def test_text_is_plain_with_entities_decoded_and_whitespace_normalised() -> None:
    result = parse("ical-danish-text.ics")
    (market,) = by_title(result, "Julemarked i Forsamlingshuset & gården")

    assert result.title == "Det sker i Mørkøv"
    assert market.summary == (
        "Kom til julemarked med gløgg, æbleskiver og nisser i Mørkøv – børn får gratis "
        "æbleskiver. Alle er velkomne!"
    )
    assert market.place == "Forsamlingshuset Hovedgaden 1, 4440 Mørkøv"
    assert market.categories == ("Marked", "Jul, nisser")
    assert market.published == dt.datetime(2025, 11, 20, 8, 15, tzinfo=UTC)


def test_markup_and_scripts_never_reach_the_text() -> None:
    result = parse("ical-danish-text.ics")

    assert [item.title for item in result.items][1] == "Juletræstænding"
    for item in result.items:
        for text in (item.title, item.summary, item.place or ""):
            assert "<" not in text and "alert" not in text


def test_links_are_absolute_http_urls_and_anything_else_is_dropped() -> None:
    market, tree, school = parse("ical-danish-text.ics").items

    assert market.link == "https://morkov.example/arrangementer/julemarked"
    assert tree.link is None  # javascript:
    assert school.link == "https://morkov.example/arrangementer/skolegaard"  # relative


def test_image_urls_come_from_image_attachments_and_rfc_7986_image() -> None:
    market, tree, school = parse("ical-danish-text.ics").items

    assert market.image_url == "https://morkov.example/billeder/julemarked"  # by FMTTYPE
    assert tree.image_url == "https://morkov.example/billeder/juletrae.png"  # not the PDF
    assert school.image_url == "https://morkov.example/billeder/skole.webp"  # IMAGE, not data:


def test_windows_1252_calendar_is_read_without_mojibake() -> None:
    data = (FIXTURES / "ical-danish-text.ics").read_text("utf-8").encode("cp1252")
    result = parse(data)

    assert result.title == "Det sker i Mørkøv"
    assert [item.title for item in result.items][2] == "Åben skolegård"
    assert any("Windows-1252" in warning for warning in result.warnings)


def test_a_byte_order_mark_and_crlf_line_ends_are_fine() -> None:
    data = b"\xef\xbb\xbf" + (FIXTURES / "ical-weekly-moved.ics").read_bytes().replace(
        b"\n", b"\r\n"
    )
    assert parse(data) == parse("ical-weekly-moved.ics")


def test_an_event_without_title_is_skipped_with_a_warning() -> None:
    result = parse(calendar("UID:untitled@morkov.example\nDTSTART:20251205T100000"))

    assert result.items == ()
    assert result.warnings == (
        "skipped event with UID untitled@morkov.example: it has no title (SUMMARY)",
    )


def test_an_event_without_uid_gets_one_that_is_the_same_on_every_poll() -> None:
    event = "DTSTART:20251205T100000\nSUMMARY:Banko\nDTSTAMP:{}"
    first = parse(calendar(event.format("20251201T080000Z"))).items[0].uid
    second = parse(calendar(event.format("20251201T090000Z"))).items[0].uid

    assert first == second
    other = parse(calendar(event.format("20251201T080000Z").replace("Banko", "Bingo")))
    assert other.items[0].uid != first


def test_an_event_with_two_uids_uses_the_first() -> None:
    result = parse(
        calendar("UID:a@x.example\nUID:b@x.example\nDTSTART:20251205T100000\nSUMMARY:Banko")
    )
    assert [item.uid for item in result.items] == ["a@x.example"]


# Broken calendars


def test_one_broken_event_never_drops_the_rest_of_the_calendar() -> None:
    result = parse("ical-broken-event.ics")

    assert [item.title for item in result.items] == [
        "Legestue",
        "Læsekreds",  # garbage lines inside the event are ignored
        "Bogbus",  # an empty EXDATE (as Google writes it) excludes nothing
        "Morgengymnastik",  # "BYDAY=MO, WE": the spaces are forgiven
        "Morgengymnastik",
        "Bogbus",
    ]
    assert result.warnings == (
        "skipped event 'Forkert dato' (UID bad-date@morkov.example): "
        "unreadable DTSTART '20251299T250000'",
        "skipped event 'Uden starttid' (UID no-start@morkov.example): it has no start (DTSTART)",
        "skipped event 'Tom parameter' (UID empty-param@morkov.example): it has no start (DTSTART)",
        "skipped event 'Forkert regel' (UID bad-rule@morkov.example): "
        "unreadable RRULE 'FREQ=SOMETIMES'",
        "ignored unreadable lines in event 'Læsekreds' (UID garbage-line@morkov.example)",
        "ignored an empty EXDATE in event 'Bogbus' (UID empty-exdate@morkov.example)",
    )


def test_when_the_library_cannot_expand_the_calendar_each_event_is_tried_alone() -> None:
    result = parse("ical-unexpandable.ics")

    assert [(item.title, item.start) for item in result.items] == [
        ("Legestue", local(2025, 12, 3, 10)),
        ("Lørdagsbio", local(2025, 12, 6, 10)),
        ("Lørdagsbio", local(2025, 12, 13, 10)),
    ]
    assert result.warnings[0].startswith("the calendar could not be expanded")
    assert any("Stavefejl i reglen" in warning for warning in result.warnings[1:])
    assert any("Klokkeslæt uden dato" in warning for warning in result.warnings[1:])


def test_a_cut_off_calendar_keeps_its_complete_events() -> None:
    result = parse("ical-truncated.ics")

    assert [item.title for item in result.items] == ["Legestue"]
    assert "the calendar is cut off; skipped its last, incomplete event 'Halv begivenh'" in (
        result.warnings
    )


def test_an_event_without_end_vevent_is_skipped_and_the_next_one_kept() -> None:
    data = calendar(
        "UID:a@morkov.example\nDTSTART:20251205T100000\nSUMMARY:Banko",
        "UID:c@morkov.example\nDTSTART:20251207T100000\nSUMMARY:Bingo",
    ).replace(
        b"BEGIN:VEVENT\nUID:c",
        b"BEGIN:VEVENT\nUID:b@morkov.example\nDTSTART:20251206T100000\nSUMMARY:Halv\n"
        b"BEGIN:VEVENT\nUID:c",
    )
    result = parse(data)

    assert [item.title for item in result.items] == ["Banko", "Bingo"]
    assert "skipped an incomplete event 'Halv'" in result.warnings


def test_an_end_before_the_start_is_ignored_rather_than_swapped() -> None:
    result = parse(
        calendar(
            "UID:a@morkov.example\nDTSTART:20251205T100000\nDTEND:20251205T090000\nSUMMARY:Banko",
            "UID:b@morkov.example\nDTSTART:20251206T100000\nDURATION:-PT1H\nSUMMARY:Bingo",
        )
    )

    assert [(item.start, item.end) for item in result.items] == [
        (local(2025, 12, 5, 10), local(2025, 12, 5, 10)),
        (local(2025, 12, 6, 10), local(2025, 12, 6, 10)),
    ]
    assert "ignored an end before the start in event 'Banko' (UID a@morkov.example)" in (
        result.warnings
    )


def test_a_repeating_event_that_lasts_for_decades_is_skipped() -> None:
    # The library widens every query by the event's length: this one took seconds.
    result = parse(
        calendar(
            "UID:a@morkov.example\nDTSTART;VALUE=DATE:19000101\nDTEND;VALUE=DATE:20300101\n"
            "RRULE:FREQ=DAILY\nSUMMARY:Altid",
            "UID:b@morkov.example\nDTSTART;VALUE=DATE:19000101\nDTEND;VALUE=DATE:20300101\n"
            "SUMMARY:Udstilling om Mørkøvs historie",
        )
    )

    assert [item.title for item in result.items] == ["Udstilling om Mørkøvs historie"]
    assert result.warnings == (
        "skipped event 'Altid' (UID a@morkov.example): "
        "it repeats, and each time it lasts more than a year",
    )


def test_dates_at_the_end_of_time_skip_the_event_not_the_calendar() -> None:
    result = parse(
        calendar(
            "UID:a@morkov.example\nDTSTART;TZID=America/New_York:20251205T100000\n"
            "DTEND;TZID=America/New_York:99991231T235959\nSUMMARY:For evigt",
            "UID:b@morkov.example\nDTSTART:20251206T100000\nSUMMARY:Banko",
        )
    )

    assert [item.title for item in result.items] == ["Banko"]
    assert result.warnings[0].startswith("skipped event 'For evigt' (UID a@morkov.example): ")


def test_junk_between_the_events_does_not_drop_the_calendar() -> None:
    data = calendar(
        "UID:a@morkov.example\nDTSTART:20251205T100000\nSUMMARY:Banko",
        "UID:b@morkov.example\nDTSTART:20251206T100000\nSUMMARY:Bingo",
    ).replace(b"END:VEVENT\nBEGIN:VEVENT", b"END:VEVENT\nWarning: Undefined variable\nBEGIN:VEVENT")
    result = parse(b"<b>Notice</b>: PHP says hello\n" + data)

    assert [item.title for item in result.items] == ["Banko", "Bingo"]
    assert "ignored text before BEGIN:VCALENDAR" in result.warnings


def test_a_bare_vevent_and_concatenated_calendars_are_read() -> None:
    bare = b"BEGIN:VEVENT\nUID:bare@x.example\nDTSTART:20251205T100000\nSUMMARY:Banko\nEND:VEVENT\n"
    assert [item.title for item in parse(bare).items] == ["Banko"]

    two = calendar("UID:a@morkov.example\nDTSTART:20251205T100000\nSUMMARY:Banko") + calendar(
        "UID:b@morkov.example\nDTSTART:20251206T100000\nSUMMARY:Bingo"
    )
    assert [item.title for item in parse(two).items] == ["Banko", "Bingo"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"  \r\n\n ", "empty"),
        (b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>", "HTML"),
        (b'<?xml version="1.0"?><rss version="2.0"></rss>', "XML"),
        (b'{"events": []}', "no BEGIN:VCALENDAR"),
        (bytes(range(256)) * 4, "no BEGIN:VCALENDAR"),
        (b"BEGIN:VCARD\nVERSION:3.0\nFN:Mette\nEND:VCARD\n", "no BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\nthis is not a calendar\n", "could not read the calendar"),
    ],
)
def test_a_body_that_is_not_a_calendar_is_a_feed_error(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse(body)


def test_an_empty_calendar_has_no_items_and_no_warnings() -> None:
    assert parse(calendar()) == ParsedFeed(items=())


# Big calendars


def test_thousands_of_occurrences_are_cut_to_the_first_max_occurrences() -> None:
    start = dt.datetime(2025, 12, 1, 13, 0)
    events = [
        f"UID:event-{n}@morkov.example\n"
        f"DTSTART;TZID=Europe/Copenhagen:{start + dt.timedelta(minutes=17 * n):%Y%m%dT%H%M%S}\n"
        f"DURATION:PT1H\nSUMMARY:Arrangement {n}"
        for n in range(3000)
    ]
    result = parse(calendar(*events), max_occurrences=500)

    assert len(result.items) == 500
    assert [item.title for item in result.items] == [f"Arrangement {n}" for n in range(500)]
    assert result.warnings == ("more than 500 occurrences in the next 60 days; kept the first 500",)


def test_an_endless_dense_rule_is_bounded_by_max_occurrences() -> None:
    quarterly = """UID:quarter@morkov.example
DTSTART;TZID=Europe/Copenhagen:20251201T000000
RRULE:FREQ=HOURLY;BYMINUTE=0,15,30,45
SUMMARY:Hvert kvarter"""
    hourly = """UID:hourly@morkov.example
DTSTART;TZID=Europe/Copenhagen:20251201T003000
RRULE:FREQ=HOURLY
SUMMARY:Hver time"""
    result = parse(calendar(quarterly, hourly), max_occurrences=100)

    assert len(result.items) == 100
    starts = [item.start for item in result.items if item.start]
    assert starts == sorted(starts)
    assert starts[0] == NOW  # a zero-length event at this very moment is still on
    # Five an hour (four quarters and a half past): the first 20 hours, 12:00 to 07:45.
    assert starts[-1] == local(2025, 12, 2, 7, 45)
    assert len(by_title(result, "Hver time")) == 20
    assert result.warnings == ("more than 100 occurrences in the next 60 days; kept the first 100",)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("FREQ=SECONDLY", "it repeats too often to show ('FREQ=SECONDLY')"),
        ("FREQ=MINUTELY;INTERVAL=5", "it repeats too often to show ('FREQ=MINUTELY;INTERVAL=5')"),
        ("FREQ=DAILY;BYSECOND=0,30", "it repeats too often to show ('FREQ=DAILY;BYSECOND=0,30')"),
        # dateutil would loop for ever on this one.
        ("FREQ=DAILY;INTERVAL=0", "its RRULE has an INTERVAL below 1 ('FREQ=DAILY;INTERVAL=0')"),
    ],
)
def test_rules_that_cannot_be_expanded_in_bounded_time_are_skipped(rule: str, problem: str) -> None:
    result = parse(
        calendar(
            f"UID:s@morkov.example\nDTSTART:20251201T000000\nRRULE:{rule}\nSUMMARY:Tik",
            "UID:b@morkov.example\nDTSTART:20251205T100000\nSUMMARY:Banko",
        )
    )

    assert [item.title for item in result.items] == ["Banko"]
    assert result.warnings == (f"skipped event 'Tik' (UID s@morkov.example): {problem}",)


def test_many_broken_events_give_a_readable_number_of_warnings() -> None:
    broken = [f"UID:bad-{n}@morkov.example\nSUMMARY:Uden tid {n}" for n in range(80)]
    result = parse(calendar(*broken))

    assert len(result.warnings) == 51
    assert result.warnings[-1] == "… and 30 more warnings"
