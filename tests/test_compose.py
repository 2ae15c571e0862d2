from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from signage_server import recipes
from signage_server.compose import compose, natural_key
from signage_server.library import RenditionRef, SlideFile

CPH = ZoneInfo("Europe/Copenhagen")
# Wednesday 2 December 2026, 12:00 in Copenhagen.
NOON = dt.datetime(2026, 12, 2, 12, 0, tzinfo=CPH).timestamp()


def at(day: int, hour: int = 0, minute: int = 0) -> float:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CPH).timestamp()


def slide(folder: str, name: str, source: str | None = None) -> SlideFile:
    sha = (source or f"{folder}/{name}").encode().hex().ljust(64, "0")[:64]
    ref = RenditionRef(sha[::-1], 1000, "image/jpeg", 1920, 1080)
    return SlideFile(folder, name, 0.0, sha, {"landscape": ref, "portrait": ref})


def recipe(text: str = "") -> recipes.Recipe:
    return recipes.parse(Path("morkov.toml"), 'name = "Mørkøv"\n' + text)


FILES = {
    "morkov": [slide("morkov", "10-b.jpg"), slide("morkov", "2-a.jpg"), slide("morkov", "C.png")],
    "all": [slide("all", "kommune.jpg")],
}


def ids(text: str = "", now: float = NOON, files: dict[str, list[SlideFile]] = FILES) -> list[str]:
    return [item.id for item in compose(recipe(text), files, now).snapshot.items]


def test_order_follows_sources_then_natural_names() -> None:
    assert ids() == ["morkov/2-a.jpg", "morkov/10-b.jpg", "morkov/C.png", "all/kommune.jpg"]
    assert ids('sources = ["all", "morkov"]\n')[0] == "all/kommune.jpg"
    assert ids('sources = ["morkov"]\n')[-1] == "morkov/C.png"


def test_snapshot_fields() -> None:
    snapshot = compose(
        recipe('default_duration = 7\n[slides."C.png"]\nduration = 3\ntitle = "Cee"\n'), FILES, NOON
    ).snapshot
    assert snapshot.area.name == "Mørkøv" and snapshot.area.layout == "landscape"
    assert [item.duration for item in snapshot.items] == [7, 7, 3, 7]
    assert snapshot.items[0].title == "2 a" and snapshot.items[2].title == "Cee"
    assert snapshot.asset_hashes() == {item.asset for item in snapshot.items}
    assert snapshot.zones["header"] == {"title": "Mørkøv", "clock": True}


def test_same_picture_in_two_folders_shows_once() -> None:
    files = {
        "morkov": [slide("morkov", "a.jpg", source="same")],
        "all": [slide("all", "a-copy.jpg", source="same")],
    }
    assert ids(files=files) == ["morkov/a.jpg"]


def test_a_slide_not_rendered_for_the_layout_is_left_out() -> None:
    half = SlideFile("morkov", "x.jpg", 0, "f" * 64, {})
    assert ids(files={"morkov": [half]}) == []


def test_version_is_stable_through_the_day_and_follows_content() -> None:
    text = '[slides."C.png"]\nhours = "10:00-14:00"\n'
    morning = compose(recipe(text), FILES, at(2, 0, 1)).snapshot.version
    evening = compose(recipe(text), FILES, at(2, 23, 59)).snapshot.version
    assert morning == evening
    assert compose(recipe(text), FILES, at(3, 9)).snapshot.version != morning
    fewer = {"morkov": FILES["morkov"][:2], "all": FILES["all"]}
    assert compose(recipe(text), fewer, at(2, 9)).snapshot.version != morning


def test_until_in_the_past_drops_the_slide_and_from_in_the_future_keeps_it() -> None:
    text = '[slides."C.png"]\nuntil = 2026-12-01\n[slides."2-a.jpg"]\nfrom = 2026-12-24\n'
    snapshot = compose(recipe(text), FILES, NOON).snapshot
    assert "morkov/C.png" not in [item.id for item in snapshot.items]
    future = next(item for item in snapshot.items if item.id == "morkov/2-a.jpg")
    assert future.windows == ((at(24), None),)
    assert not future.visible_at(NOON) and future.visible_at(at(24, 1))


def test_hours_and_weekdays_become_windows() -> None:
    text = '[slides."C.png"]\nweekdays = ["ons", "tor"]\nhours = "10:00-14:00"\n'
    item = compose(recipe(text), FILES, NOON).snapshot.items[2]
    assert item.windows[:2] == ((at(2, 10), at(2, 14)), (at(3, 10), at(3, 14)))
    assert item.visible_at(at(2, 13, 59)) and not item.visible_at(at(2, 14))
    assert not item.visible_at(at(4, 12))  # Friday


def test_hours_past_midnight() -> None:
    text = '[slides."C.png"]\nhours = "22:00-02:00"\n'
    item = compose(recipe(text), FILES, NOON).snapshot.items[2]
    assert item.visible_at(at(2, 1)) and item.visible_at(at(2, 23))
    assert not item.visible_at(at(2, 12))


def test_whole_days_in_a_row_are_one_window() -> None:
    text = '[slides."C.png"]\nweekdays = ["lør", "søn"]\n'
    item = compose(recipe(text), FILES, NOON).snapshot.items[2]
    assert item.windows[0] == (at(5), at(7))


def test_a_weekday_outside_the_horizon_is_not_in_the_snapshot_yet() -> None:
    text = '[slides."C.png"]\nweekdays = ["lør"]\nfrom = 2027-01-01\n'
    assert "morkov/C.png" not in ids(text)


def test_windows_across_daylight_saving() -> None:
    spring = dt.datetime(2027, 3, 27, 12, tzinfo=CPH).timestamp()  # Saturday before DST
    text = '[slides."C.png"]\nhours = "01:00-04:00"\n'
    item = compose(recipe(text), FILES, spring).snapshot.items[2]
    sunday: tuple[float, float] = next(  # type: ignore[assignment]
        w for w in item.windows if w[0] == dt.datetime(2027, 3, 28, 1, tzinfo=CPH).timestamp()
    )
    assert sunday[1] - sunday[0] == 2 * 3600  # 02:00-03:00 does not exist that night


def test_next_change_is_the_next_end_or_midnight() -> None:
    text = '[slides."C.png"]\nuntil = "2026-12-02T15:00"\n'
    assert compose(recipe(text), FILES, NOON).next_change == at(2, 15)
    assert compose(recipe(), FILES, NOON).next_change == at(3)


def test_natural_key() -> None:
    names = ["b10.jpg", "B2.jpg", "a.jpg", "b1.jpg"]
    assert sorted(names, key=natural_key) == ["a.jpg", "b1.jpg", "B2.jpg", "b10.jpg"]


def test_empty_area() -> None:
    composition = compose(recipe(), {}, NOON)
    assert composition.snapshot.items == () and composition.snapshot.version


def test_a_rule_for_a_pdf_holds_for_each_of_its_pages() -> None:
    pages = [
        dataclasses.replace(slide("morkov", f"plakat.pdf#{n}", f"p{n}"), file="plakat.pdf")
        for n in (1, 2, 10)
    ]
    text = '[slides."plakat.pdf"]\nduration = 20\ntitle = "Julemarked"\n'
    snapshot = compose(recipe(text), {"morkov": pages}, NOON).snapshot
    assert [item.id for item in snapshot.items] == [
        "morkov/plakat.pdf#1",
        "morkov/plakat.pdf#2",
        "morkov/plakat.pdf#10",
    ]
    assert {(item.duration, item.title) for item in snapshot.items} == {(20.0, "Julemarked")}
    # A rule for one page wins over the file's.
    one = text + '[slides."plakat.pdf#2"]\nduration = 5\n'
    durations = [
        item.duration for item in compose(recipe(one), {"morkov": pages}, NOON).snapshot.items
    ]
    assert durations == [20.0, 5.0, 20.0]


def test_the_webs_arrangement_pauses_orders_and_overrides_the_recipe() -> None:
    from signage_server.arrangement import Arrangement
    from signage_server.recipes import SlideRule

    arrangement = Arrangement(
        rules={"morkov/C.png": SlideRule(duration=4, title="Fra nettet")},
        paused=frozenset({"morkov/2-a.jpg"}),
        order={"morkov": {"all/kommune.jpg": 0, "morkov/C.png": 1}},
    )
    snapshot = compose(
        recipe('[slides."C.png"]\nduration = 3\ntitle = "Cee"\n'), FILES, NOON, None, arrangement
    ).snapshot
    # Placed slides first in their places, the rest after them in the recipe's order.
    assert [item.id for item in snapshot.items] == [
        "all/kommune.jpg",
        "morkov/C.png",
        "morkov/10-b.jpg",
    ]
    assert (snapshot.items[1].duration, snapshot.items[1].title) == (4, "Fra nettet")
    # Another area's order does not matter here.
    other = Arrangement(order={"jyderup": {"morkov/C.png": 0}})
    assert ids() == [item.id for item in compose(recipe(), FILES, NOON, None, other).snapshot.items]


def test_a_pdfs_pages_follow_the_settings_and_place_of_their_file() -> None:
    from signage_server.arrangement import Arrangement
    from signage_server.recipes import SlideRule

    pages = [
        dataclasses.replace(slide("morkov", f"jul.pdf#{page}"), file="jul.pdf")
        for page in (1, 2, 10)
    ]
    files = {"morkov": [*FILES["morkov"], *pages]}
    arrangement = Arrangement(
        rules={"morkov/jul.pdf": SlideRule(until=dt.datetime.fromtimestamp(at(1), CPH))},
        order={"morkov": {"morkov/jul.pdf": 0}},
    )
    assert ids(files=files)[3:] == ["morkov/jul.pdf#1", "morkov/jul.pdf#2", "morkov/jul.pdf#10"]
    placed = Arrangement(order={"morkov": {"morkov/jul.pdf": 0}})
    shown = compose(recipe(), files, NOON, None, placed).snapshot.items
    assert [item.id for item in shown][:3] == [
        "morkov/jul.pdf#1",
        "morkov/jul.pdf#2",
        "morkov/jul.pdf#10",
    ]
    ended = compose(recipe(), files, NOON, None, arrangement).snapshot.items
    assert not any("jul.pdf" in item.id for item in ended)
    paused = Arrangement(paused=frozenset({"morkov/jul.pdf"}))
    assert not any(
        "jul.pdf" in i.id for i in compose(recipe(), files, NOON, None, paused).snapshot.items
    )


def test_a_text_slide_is_a_page_and_brings_its_picture() -> None:
    picture = RenditionRef("b" * 64, 500, "image/jpeg", 1920, 1080)
    page = RenditionRef("a" * 64, 900, "text/html; charset=utf-8", 1920, 1080, needs=(picture,))
    text = SlideFile("morkov", "jul.toml", 0.0, "c" * 64, {"landscape": page}, "jul.toml")
    snapshot = compose(recipe(), {"morkov": [text]}, NOON).snapshot
    assert [(item.kind, item.asset) for item in snapshot.items] == [("page", "a" * 64)]
    assert snapshot.asset_hashes() == {"a" * 64, "b" * 64}
    hidden = compose(recipe('rotation = ["news"]\n'), {"morkov": [text]}, NOON).snapshot
    assert hidden.asset_hashes() == set()
