from __future__ import annotations

from pathlib import Path

import pytest

from signage_server.feeds import definitions
from signage_server.feeds.definitions import FeedDefinitionError, Route
from signage_server.feeds.model import FeedItem

GOOD = """
[[feed]]
id = "kommunen"
url = "https://www.holbaek.dk/nyheder.rss"
kind = "news"
areas = "all"

[feed.route.morkov]
keywords = ["Mørkøv"]
places = ["Forsamlingshuset"]

[[feed]]
id = "bibliotek"
url = "http://bibliotek.example/ding-redia-rss/event"
kind = "events"
areas = ["morkov", "jyderup", "morkov"]
poll_minutes = 30
max_items = 12
duration = 15
format = "rss"
"""


def parse(text: str) -> list[definitions.Feed]:
    return definitions.parse(Path("playlists/feeds.toml"), text)


def error(text: str) -> FeedDefinitionError:
    with pytest.raises(FeedDefinitionError) as caught:
        parse(text)
    return caught.value


def test_a_good_file() -> None:
    news, events = parse(GOOD)
    assert news.id == "kommunen" and news.kind == "news" and news.areas == "all"
    assert news.poll_minutes == 15 and news.max_items == 20 and news.format == "auto"
    assert news.routes == {"morkov": Route(keywords=("Mørkøv",), places=("Forsamlingshuset",))}
    assert events.areas == ("morkov", "jyderup")
    assert (events.poll_minutes, events.max_items, events.duration) == (30, 12, 15)


def test_routing() -> None:
    news, events = parse(GOOD)
    about = FeedItem("kommunen", "1", "Vejarbejde i MØRKØV", "")
    elsewhere = FeedItem("kommunen", "2", "Nyt om Jyderup", "")
    hall = FeedItem("kommunen", "3", "Koncert", "", place="Mørkøv Forsamlingshuset")
    assert news.routed(about, "morkov") and not news.routed(elsewhere, "morkov")
    assert news.routed(hall, "morkov")
    assert news.routed(elsewhere, "jyderup")  # no route for Jyderup: everything goes
    assert events.routed(elsewhere, "jyderup") and not events.routed(elsewhere, "tollose")
    tagged = FeedItem("x", "4", "t", categories=("Mørkøv",))
    assert Route(categories=("mørkøv",)).matches(tagged)


def test_no_file_means_no_feeds(tmp_path: Path) -> None:
    assert definitions.load(tmp_path / "feeds.toml") == []


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("[[feed]]\nid = \n", 2, "TOML syntax error"),
        ("feeds = []\n", 1, "unknown setting 'feeds'"),
        ('[feed]\nid = "x"\n', 1, "[[feed]]"),
        ('[[feed]]\nid = "Kommunen!"\n', 2, "id: expected"),
        ('[[feed]]\nid = "k"\nurl = "javascript:alert(1)"\n', 3, "url: expected an http(s)"),
        ('[[feed]]\nid = "k"\nurl = "file:///etc/passwd"\n', 3, "url"),
        ('[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "blog"\n', 4, "kind"),
        ('[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = []\n', 5, "areas"),
        ('[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "alle"\n', 5, "areas"),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            "poll_minutes = 0\n",
            6,
            "poll_minutes",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            "max_items = 2.5\n",
            6,
            "whole number",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            'format = "json"\n',
            6,
            "format",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            'colour = "red"\n',
            6,
            "unknown feed setting",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            '[feed.route.morkov]\nwords = ["x"]\n',
            7,
            "unknown route rule",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = "all"\n'
            '[feed.route.morkov]\nkeywords = "Mørkøv"\n',
            7,
            "list of words",
        ),
        (
            '[[feed]]\nid = "k"\nurl = "https://x.dk/a"\nkind = "news"\nareas = ["jyderup"]\n'
            '[feed.route.morkov]\nkeywords = ["Mørkøv"]\n',
            7,
            "does not go to 'morkov'",
        ),
    ],
)
def test_errors_name_the_line(text: str, line: int, problem: str) -> None:
    caught = error(text)
    assert problem in caught.problem, caught
    assert caught.line == line, str(caught)


def test_errors_in_the_second_feed_name_its_lines() -> None:
    text = (
        GOOD + '\n[[feed]]\nid = "kommunen"\nurl = "https://x.dk"\nkind = "news"\nareas = "all"\n'
    )
    caught = error(text)
    assert "used twice" in caught.problem
    assert caught.line == text.splitlines().index('id = "kommunen"', 10) + 1
    bad = GOOD.replace("duration = 15", 'duration = "lang"')
    assert error(bad).line == bad.splitlines().index('duration = "lang"') + 1


def test_check_reports_feed_problems(tmp_path: Path) -> None:
    from signage_server import check
    from signage_server.settings import Settings

    playlists = tmp_path / "playlists"
    playlists.mkdir()
    (playlists / "morkov.toml").write_text('name = "Mørkøv"\n', encoding="utf-8")
    (playlists / "feeds.toml").write_text(GOOD, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", playlists=playlists, assets=tmp_path / "a")
    _, findings = check.check(settings)
    assert [f.problem for f in findings if "jyderup" in f.problem] == [
        "feed 'bibliotek' goes to 'jyderup', which has no recipe"
    ]
    assert not any(f.fatal for f in findings)
    (playlists / "feeds.toml").write_text(GOOD.replace('kind = "events"', 'kind = "x"'))
    _, findings = check.check(settings)
    (fatal,) = [f for f in findings if f.fatal]
    assert (
        fatal.path.name == "feeds.toml"
        and fatal.line == GOOD.splitlines().index('kind = "events"') + 1
        and "kind" in fatal.problem
    )
