"""Dates and times in Danish, as a slide shows them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from signage_server.pages import danish

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CPH)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# Names and single moments


def test_every_weekday_and_month_in_lower_case() -> None:
    monday = local(2025, 12, 1, 12)
    days = [danish.long_date(monday + dt.timedelta(days=n), CPH) for n in range(7)]
    assert days == [
        "mandag 1. december",
        "tirsdag 2. december",
        "onsdag 3. december",
        "torsdag 4. december",
        "fredag 5. december",
        "lørdag 6. december",
        "søndag 7. december",
    ]
    months = [danish.day_month(local(2025, month, 15, 12), CPH) for month in range(1, 13)]
    assert months == [
        "15. januar",
        "15. februar",
        "15. marts",
        "15. april",
        "15. maj",
        "15. juni",
        "15. juli",
        "15. august",
        "15. september",
        "15. oktober",
        "15. november",
        "15. december",
    ]


def test_short_forms_for_the_overview() -> None:
    assert danish.short_date(local(2025, 12, 6, 10), CPH) == "lør. 6. dec."
    assert danish.short_date(local(2025, 12, 2, 10), CPH) == "tirs. 2. dec."
    assert danish.short_date(local(2025, 12, 4, 10), CPH) == "tors. 4. dec."
    # maj, juni and juli are short already.
    assert danish.short_date(local(2026, 5, 1, 10), CPH) == "fre. 1. maj"
    assert danish.short_date(local(2026, 6, 1, 10), CPH) == "man. 1. juni"
    assert danish.short_date(local(2026, 7, 1, 10), CPH) == "ons. 1. juli"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2025, 12, 6, 14, 0), "14.00"),
        (local(2025, 12, 6, 9, 30), "9.30"),
        (local(2025, 12, 6, 0, 15), "0.15"),
        (local(2025, 12, 6, 23, 59), "23.59"),
    ],
)
def test_clock_uses_a_dot(moment: dt.datetime, expected: str) -> None:
    assert danish.clock(moment, CPH) == expected
    assert danish.at(moment, CPH) == f"kl. {expected}"


def test_a_utc_time_is_shown_in_the_areas_zone() -> None:
    assert danish.at(utc(2025, 12, 6, 13), CPH) == "kl. 14.00"  # winter: UTC+1
    assert danish.at(utc(2025, 6, 21, 12), CPH) == "kl. 14.00"  # summer: UTC+2
    # Half past eleven in the evening in UTC is already tomorrow in Denmark.
    late = utc(2025, 12, 6, 23, 30)
    assert danish.when(late, None, CPH) == "søndag 7. december kl. 0.30"
    # ...and still today further west.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert danish.when(late, None, new_york) == "lørdag 6. december kl. 18.30"


def test_naive_times_are_refused() -> None:
    naive = dt.datetime(2025, 12, 6, 14)
    with pytest.raises(ValueError, match="naive"):
        danish.long_date(naive, CPH)
    with pytest.raises(ValueError, match="naive"):
        danish.when(local(2025, 12, 6, 14), naive, CPH)
    with pytest.raises(ValueError, match="naive"):
        danish.when(naive, None, CPH, all_day=True)


# Events with clock times


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(2025, 12, 6, 10), local(2025, 12, 6, 15), "lørdag 6. december kl. 10.00–15.00"),
        (local(2025, 12, 6, 14), None, "lørdag 6. december kl. 14.00"),
        (
            local(2025, 12, 6, 9, 30),
            local(2025, 12, 6, 11, 45),
            "lørdag 6. december kl. 9.30–11.45",
        ),
        # An end that is not after the start says nothing.
        (local(2025, 12, 6, 14), local(2025, 12, 6, 14), "lørdag 6. december kl. 14.00"),
        (local(2025, 12, 6, 14), local(2025, 12, 6, 12), "lørdag 6. december kl. 14.00"),
        # A party past midnight belongs to its evening; midnight itself is 24.00.
        (local(2025, 12, 6, 20), local(2025, 12, 7, 2), "lørdag 6. december kl. 20.00–2.00"),
        (local(2025, 12, 6, 20), local(2025, 12, 7, 0), "lørdag 6. december kl. 20.00–24.00"),
        (local(2025, 12, 6, 22), local(2025, 12, 7, 6), "lørdag 6. december kl. 22.00–6.00"),
        # Past the early morning it is an event over two days.
        (
            local(2025, 12, 6, 20),
            local(2025, 12, 7, 10),
            "lørdag 6. december kl. 20.00 – søndag 7. december kl. 10.00",
        ),
        (
            local(2025, 12, 5, 18),
            local(2025, 12, 7, 14),
            "fredag 5. december kl. 18.00 – søndag 7. december kl. 14.00",
        ),
        (
            local(2025, 12, 5, 18),
            local(2025, 12, 8, 0),
            "fredag 5. december kl. 18.00 – søndag 7. december kl. 24.00",
        ),
        (
            local(2025, 11, 29, 10),
            local(2025, 12, 2, 16),
            "lørdag 29. november kl. 10.00 – tirsdag 2. december kl. 16.00",
        ),
    ],
)
def test_when_with_clock_times(start: dt.datetime, end: dt.datetime | None, expected: str) -> None:
    assert danish.when(start, end, CPH) == expected


def test_when_never_shows_the_year() -> None:
    text = danish.when(local(2025, 12, 30, 20), local(2026, 1, 2, 12), CPH)
    assert text == "tirsdag 30. december kl. 20.00 – fredag 2. januar kl. 12.00"
    assert "2025" not in text and "2026" not in text


def test_when_on_the_days_the_clocks_change() -> None:
    # 30 March 2025: 2.00 becomes 3.00. The hour from 1.30 to 3.30 lasts one hour.
    assert danish.when(utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1, 30), CPH) == (
        "søndag 30. marts kl. 1.30–3.30"
    )
    assert danish.when(local(2025, 3, 29, 22), local(2025, 3, 30, 4), CPH) == (
        "lørdag 29. marts kl. 22.00–4.00"
    )
    # 26 October 2025: 3.00 becomes 2.00 again; 2.30 comes twice.
    first = utc(2025, 10, 26, 0, 30)  # 2.30 summer time
    second = utc(2025, 10, 26, 1, 30)  # 2.30 winter time
    assert danish.when(first, second, CPH) == "søndag 26. oktober kl. 2.30–2.30"
    assert danish.when(local(2025, 10, 25, 20), local(2025, 10, 26, 3), CPH) == (
        "lørdag 25. oktober kl. 20.00–3.00"
    )
    # The days on either side keep their own offsets.
    assert danish.at(utc(2025, 3, 29, 12), CPH) == "kl. 13.00"
    assert danish.at(utc(2025, 3, 31, 12), CPH) == "kl. 14.00"
    assert danish.at(utc(2025, 10, 25, 12), CPH) == "kl. 14.00"
    assert danish.at(utc(2025, 10, 27, 12), CPH) == "kl. 13.00"


# All-day events: the end is the exclusive midnight after the last day


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(2025, 12, 6), local(2025, 12, 7), "lørdag 6. december"),
        (local(2025, 12, 6), None, "lørdag 6. december"),
        (local(2025, 12, 5), local(2025, 12, 8), "5.–7. december"),
        (local(2025, 12, 6), local(2025, 12, 8), "6.–7. december"),
        (local(2025, 11, 28), local(2025, 12, 3), "28. november – 2. december"),
        (local(2025, 12, 30), local(2026, 1, 2), "30. december – 1. januar"),
        # An end that is not after the start is one day.
        (local(2025, 12, 6), local(2025, 12, 6), "lørdag 6. december"),
        # Days on which the clocks change are 23 and 25 hours long.
        (local(2025, 3, 30), local(2025, 3, 31), "søndag 30. marts"),
        (local(2025, 10, 25), local(2025, 10, 27), "25.–26. oktober"),
        (local(2025, 3, 29), local(2025, 3, 31), "29.–30. marts"),
    ],
)
def test_when_all_day(start: dt.datetime, end: dt.datetime | None, expected: str) -> None:
    assert danish.when(start, end, CPH, all_day=True) == expected


def test_all_day_dates_are_dates_whatever_the_zone() -> None:
    # Midnight in Copenhagen, written in UTC: the moment is converted.
    assert danish.when(utc(2025, 12, 5, 23), utc(2025, 12, 7, 23), CPH, all_day=True) == (
        "6.–7. december"
    )
    # A calendar in UTC: its midnight is the date itself, not 1.00 in Copenhagen.
    assert danish.when(utc(2025, 12, 6), utc(2025, 12, 8), CPH, all_day=True) == "6.–7. december"
    # Summer: midnight in Copenhagen is 22.00 UTC the day before.
    assert danish.when(utc(2025, 6, 20, 22), utc(2025, 6, 21, 22), CPH, all_day=True) == (
        "lørdag 21. juni"
    )


# The overview's short date and time


@pytest.mark.parametrize(
    ("start", "end", "all_day", "expected"),
    [
        (
            local(2025, 12, 6, 10),
            local(2025, 12, 6, 15),
            False,
            ("lør. 6. dec.", "kl. 10.00–15.00"),
        ),
        (local(2025, 12, 6, 14), None, False, ("lør. 6. dec.", "kl. 14.00")),
        (local(2025, 12, 6, 20), local(2025, 12, 7, 1), False, ("lør. 6. dec.", "kl. 20.00–1.00")),
        (local(2025, 12, 6), local(2025, 12, 7), True, ("lør. 6. dec.", "hele dagen")),
        (local(2025, 12, 5), local(2025, 12, 8), True, ("fre. 5. dec.", "til søn. 7. dec.")),
        (
            local(2025, 12, 5, 18),
            local(2025, 12, 7, 14),
            False,
            ("fre. 5. dec.", "til søn. 7. dec."),
        ),
        (utc(2025, 12, 6, 13), None, False, ("lør. 6. dec.", "kl. 14.00")),
    ],
)
def test_short_when(
    start: dt.datetime, end: dt.datetime | None, all_day: bool, expected: tuple[str, str]
) -> None:
    assert danish.short_when(start, end, CPH, all_day=all_day) == expected
