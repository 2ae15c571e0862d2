from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signage_server import recipes
from signage_server.recipes import Recipe, RecipeError

CPH = ZoneInfo("Europe/Copenhagen")


def parse(text: str, area: str = "morkov") -> Recipe:
    return recipes.parse(Path(f"playlists/{area}.toml"), text)


def error(text: str) -> RecipeError:
    with pytest.raises(RecipeError) as caught:
        parse(text)
    return caught.value


def test_defaults() -> None:
    recipe = parse('name = "Mørkøv"\n')
    assert recipe == Recipe(area="morkov", name="Mørkøv", sources=("morkov", "all"))
    assert recipe.timezone == "Europe/Copenhagen" and recipe.layout == "landscape"
    assert recipe.default_duration == 10


def test_full_recipe() -> None:
    recipe = parse(
        """
name = "Tølløse"
timezone = "Europe/Copenhagen"
layout = "portrait"
default_duration = 6.5
sources = ["tollose", "all", "tollose"]

[slides."jul.jpg"]
duration = 20
from = 2026-12-01
until = 2026-12-06
weekdays = ["lør", "Søndag", "mon"]
hours = "08:00-22.30"
title = "Jul"

[slides."nat.png"]
hours = "22:00-02:00"
until = "2026-12-24T18:00"
"""
    )
    assert recipe.layout == "portrait" and recipe.default_duration == 6.5
    assert recipe.sources == ("tollose", "all")
    jul = recipe.slides["jul.jpg"]
    assert jul.duration == 20 and jul.title == "Jul"
    assert jul.start == dt.datetime(2026, 12, 1, tzinfo=CPH)
    assert jul.until == dt.datetime(2026, 12, 7, tzinfo=CPH)  # to and with the 6th
    assert jul.weekdays == frozenset({5, 6, 0})
    assert jul.hours == (dt.time(8), dt.time(22, 30))
    night = recipe.slides["nat.png"]
    assert night.hours == (dt.time(22), dt.time(2))
    assert night.until == dt.datetime(2026, 12, 24, 18, tzinfo=CPH)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('name = "Mørkøv"\nlayout = \n', 2, "TOML syntax error"),
        ('name = "x"\nname = "y"\n', 2, "TOML syntax error"),
        ('name = "Mørkøv"\n\nlayout = "diagonal"\n', 3, "layout: expected one of"),
        ('name = "Mørkøv"\ndurration = 5\n', 2, "unknown setting 'durration'"),
        ('name = ""\n', 1, "name"),
        ('timezone = "Europe/Mørkøv"\n', 1, "unknown time zone"),
        ("default_duration = 0\n", 1, "from 1 to 3600"),
        ("default_duration = true\n", 1, "from 1 to 3600"),
        ('sources = "morkov"\n', 1, "list of folder names"),
        ('sources = ["../etc"]\n', 1, "not a folder name"),
        ('name = "x"\nrotation = ["slides", "nyheder"]\n', 2, "rotation: expected a list of"),
        ('rotation = ["news", "news"]\n', 1, "each at most once"),
        ('rotation = "news"\n', 1, "rotation"),
        ('ticker = "yes"\n', 1, "ticker: expected one of"),
        ("overview_days = 0\n", 1, "overview_days"),
        ("overview_days = 14.5\n", 1, "overview_days"),
        ("overview_days = true\n", 1, "overview_days"),
        ("sources = []\n", 1, "list of folder names"),
        ('name = "M"\n[slides."a.jpg"]\nduration = -1\n', 3, "duration"),
        ('name = "M"\n[slides."a.jpg"]\nweekdays = ["fredag", "blursdag"]\n', 3, "blursdag"),
        ('name = "M"\n[slides."a.jpg"]\nhours = "8-22"\n', 3, "hours"),
        ('name = "M"\n[slides."a.jpg"]\nhours = "25:00-26:00"\n', 3, "hours"),
        ('name = "M"\n[slides."a.jpg"]\nhours = "08:00-99:00"\n', 3, "hours"),
        ('name = "M"\n[slides."a.jpg"]\nhours = "08:00-24:30"\n', 3, "hours"),
        ('name = "M"\n[slides."a.jpg"]\nfrom = "i morgen"\n', 3, "expected a date"),
        ('name = "M"\n[slides."a.jpg"]\nfrom = 10:00:00\n', 3, "expected a date"),
        ('name = "M"\n[slides."a.jpg"]\nfrom = 2026-12-06\nuntil = 2026-12-01\n', 4, "after from"),
        ('name = "M"\n[slides."a.jpg"]\ncolour = "red"\n', 3, "unknown slide setting"),
        ('name = "M"\n[slides]\n"a.jpg" = 5\n', 3, "expected a table"),
    ],
)
def test_errors_name_the_line_and_problem(text: str, line: int, problem: str) -> None:
    caught = error(text)
    assert caught.line == line, str(caught)
    assert problem in caught.problem
    assert str(caught).startswith(f"playlists/morkov.toml:{line}: ")


def test_bad_area_file_names(tmp_path: Path) -> None:
    path = tmp_path / "Mørkøv By.toml"
    path.write_text('name = "x"\n')
    with pytest.raises(RecipeError, match="not a usable area id"):
        recipes.load(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "morkov.toml"
    path.write_bytes('name = "Mørkøv"\n'.encode("latin-1"))
    with pytest.raises(RecipeError, match="not UTF-8"):
        recipes.load(path)


def test_area_files_skip_feeds_and_hidden(tmp_path: Path) -> None:
    for name in ("morkov.toml", "feeds.toml", ".morkov.toml.swp", "jyderup.toml", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in recipes.area_files(tmp_path)] == ["jyderup.toml", "morkov.toml"]
    assert recipes.area_files(tmp_path / "missing") == []


def test_the_shipped_recipes_are_valid() -> None:
    root = Path(__file__).parent.parent / "playlists"
    loaded = [recipes.load(path) for path in recipes.area_files(root)]
    assert {"morkov", "jyderup", "tollose"} <= {recipe.area for recipe in loaded}


def test_hours_until_midnight() -> None:
    rule = parse('name = "M"\n[slides."a.jpg"]\nhours = "18:00-24:00"\n').slides["a.jpg"]
    assert rule.hours == (dt.time(18), dt.time(0))


def test_the_suggested_date_format_parses() -> None:
    """The error message's example must itself be valid (TOML in 3.11 needs seconds)."""
    caught = error('name = "M"\n[slides."a.jpg"]\nfrom = "i morgen"\n')
    example = caught.problem.split("like ")[1].split(" or ")[1].split(",")[0]
    rule = parse(f'name = "M"\n[slides."a.jpg"]\nfrom = {example}\n').slides["a.jpg"]
    assert rule.start == dt.datetime(2026, 12, 6, 18, tzinfo=CPH)


def test_rotation_ticker_and_overview_days() -> None:
    default = recipes.parse(Path("morkov.toml"), 'name = "Mørkøv"\n')
    assert default.rotation == ("overview", "slides", "events", "news")
    assert (default.ticker, default.overview_days) == ("news", 14)
    chosen = recipes.parse(
        Path("morkov.toml"),
        'rotation = ["news", "slides"]\nticker = false\noverview_days = 7\n',
    )
    assert chosen.rotation == ("news", "slides")
    assert (chosen.ticker, chosen.overview_days) == ("none", 7)
