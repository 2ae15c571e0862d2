"""Text slides: what an editor types, checked; the TOML file written and read back; and a
file in a drop folder becoming a page with its picture."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from signage_server import textslides, uploads
from signage_server.textslides import TextSlide, TextSlideError

from .support import RunningServer, Site, eventually, jpeg


@pytest.mark.parametrize(
    "slide",
    [
        TextSlide("Julemarked", "Lørdag kl. 10–15.\nGløgg & æbleskiver", "https://morkov.dk/j"),
        TextSlide('Citat "med" \\ og \\n', "tab\there", None, "billeder/jul.jpg"),
        TextSlide("<script>alert(1)</script>", "</textarea><b>fed</b>"),
        TextSlide("Emoji 🎄 og ü", "linje\n\nlinje"),
    ],
)
def test_a_slide_survives_the_file(slide: TextSlide) -> None:
    data = textslides.dumps(slide)
    tomllib.loads(data.decode())  # valid TOML
    again = textslides.parse(data)
    assert again == textslides.make(slide.title, slide.text, slide.link or "", slide.picture)


def test_control_characters_and_line_ends_are_cleaned() -> None:
    slide = textslides.make("  Over\x00skrift\x7f ", "a\r\nb\rc\n\n\n\nd\u2028")
    assert slide.title == "Overskrift"
    assert slide.text == "a\nb\nc\n\nd"
    assert tomllib.loads(textslides.dumps(TextSlide("x\x7fy")).decode())["title"] == "x\x7fy"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("",), "title"),
        (("   \n ",), "title"),
        (("x" * 121,), "title"),
        (("Ok", "y" * 601), "text"),
        (("Ok", "", "javascript:alert(1)"), "link"),
        (("Ok", "", "ftp://example.com/"), "link"),
        (("Ok", "", "https://" + "a" * 600 + ".dk"), "link"),
    ],
)
def test_bad_input_is_refused_with_the_field(args: tuple[str, ...], field: str) -> None:
    with pytest.raises(TextSlideError) as caught:
        textslides.make(*args)
    assert caught.value.field == field and caught.value.danish


@pytest.mark.parametrize(
    "data",
    [
        b"not toml at all = = =",
        b'title = "ok"\nextra = 1\n',
        b"title = 5\n",
        b'title = "ok"\npicture = "../../etc/passwd"\n',
        b'title = "ok"\npicture = "/etc/passwd"\n',
        b'title = "ok"\npicture = "jul.jpg"\n',
        b"\xff\xfe",
        b"x" * 20_000,
    ],
)
def test_bad_files_are_refused(data: bytes) -> None:
    with pytest.raises(TextSlideError) as caught:
        textslides.parse(data)
    assert caught.value.danish


def test_safe_names_for_the_drop_folder(tmp_path: Path) -> None:
    assert uploads.safe_name("C:\\Users\\Anna\\Plakat jul.JPG", ".jpg") == "Plakat jul.jpg"
    assert uploads.safe_name("../../etc/passwd", ".png") == "passwd.png"
    assert uploads.safe_name(".hidden", ".jpg") == "hidden.jpg"
    assert uploads.safe_name('a<b>c:"d|e?*.pdf', ".pdf") == "a b c d e.pdf"
    assert uploads.safe_name("", ".jpg") == "plakat.jpg"
    assert uploads.safe_name("...", ".jpg") == "plakat.jpg"
    assert uploads.safe_name("x" * 300 + ".jpg", ".jpg") == "x" * 80 + ".jpg"
    assert uploads.safe_name("virus.exe", ".png") == "virus.png"
    assert uploads.safe_name("ÆØÅ plakat.jpeg", ".jpg") == "ÆØÅ plakat.jpg"
    first = uploads.write_new(tmp_path, "jul.jpg", b"1")
    second = uploads.write_new(tmp_path, "JUL.jpg", b"2")
    assert (first.name, second.name) == ("jul.jpg", "JUL (2).jpg")
    assert first.read_bytes() == b"1" and not list(tmp_path.glob(".tmp-*"))


def test_suffix_by_content() -> None:
    assert uploads.suffix_of(jpeg()) == ".jpg"
    assert uploads.suffix_of(b"%PDF-1.7\n...") == ".pdf"
    assert uploads.suffix_of(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ".webp"
    assert uploads.suffix_of(b"\x00\x00\x00\x18ftypheic") == ".heic"
    assert uploads.suffix_of(b"MZ\x90") == ".bin"


async def test_a_text_slide_in_a_drop_folder_is_a_page_with_its_picture(
    site: Site, server: RunningServer
) -> None:
    (site.assets / "morkov" / "billeder").mkdir()
    site.drop("morkov", "billeder/jul.jpg", jpeg((0, 90, 0)))
    site.drop("morkov", "jul.toml", b'title = "Julemarked"\npicture = "billeder/jul.jpg"\n')
    hub = server.app_state.hub

    def item():  # type: ignore[no-untyped-def]
        snapshot = hub.current("morkov").snapshot
        return next((i for i in snapshot.items if i.id == "morkov/jul.toml"), None)

    page = await eventually(item)
    assert page.kind == "page"
    snapshot = hub.current("morkov").snapshot
    # The picture is an asset of the snapshot, but not a slide of its own.
    assert len(snapshot.assets) == 4
    assert not any("billeder" in i.id for i in snapshot.items)


def test_a_title_is_all_name() -> None:
    assert uploads.name_from_title("Koncert 7.12", ".toml") == "Koncert 7.12.toml"
    assert uploads.name_from_title("U10/U12 stævne", ".jpg") == "U10 U12 stævne.jpg"
    assert uploads.name_from_title("...", ".toml", "tekst") == "tekst.toml"
