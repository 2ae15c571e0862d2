from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from signage_server import store
from signage_server.blobs import Blobs
from signage_server.library import Library, is_candidate

from .support import jpeg, settle


def library(tmp_path: Path) -> Library:
    db = store.connect(tmp_path / "db.sqlite")
    return Library(tmp_path / "assets", Blobs(tmp_path / "blobs"), db)


def put(tmp_path: Path, name: str, data: bytes, aged: bool = True) -> Path:
    path = tmp_path / "assets" / "morkov" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if aged:
        settle(path)
    return path


async def test_scan_renders_each_layout_once(tmp_path: Path) -> None:
    lib = library(tmp_path)
    put(tmp_path, "a.jpg", jpeg())
    result = await lib.scan("morkov", ["landscape", "portrait"])
    assert result.changed and not result.unsettled
    (slide,) = lib.slides("morkov")
    assert set(slide.renditions) == {"landscape", "portrait"}
    for ref in slide.renditions.values():
        assert ref.sha256 in lib.blobs
    again = await lib.scan("morkov", ["landscape", "portrait"])
    assert not again.changed


async def test_renditions_are_reused_across_restarts_and_copies(tmp_path: Path) -> None:
    lib = library(tmp_path)
    put(tmp_path, "a.jpg", jpeg())
    await lib.scan("morkov", ["landscape"])
    rows = lib.db.execute("SELECT COUNT(*) FROM renditions").fetchone()[0]
    fresh = Library(lib.root, lib.blobs, lib.db)
    put(tmp_path, "copy-of-a.jpg", jpeg())
    await fresh.scan("morkov", ["landscape"])
    assert lib.db.execute("SELECT COUNT(*) FROM renditions").fetchone()[0] == rows
    assert len(fresh.slides("morkov")) == 2


async def test_temp_and_system_files_are_ignored(tmp_path: Path) -> None:
    lib = library(tmp_path)
    for name in (
        ".hidden.jpg",
        "x.jpg.part",
        "y.crdownload",
        "~$doc.jpg",
        "Thumbs.db",
        "z.tmp",
        "README.md",
    ):
        put(tmp_path, name, b"junk")
    (tmp_path / "assets" / "morkov" / "sub").mkdir()
    result = await lib.scan("morkov", ["landscape"])
    assert not result.changed and lib.slides("morkov") == [] and not lib.problems
    assert is_candidate(Path("Plakat.JPG")) and not is_candidate(Path("plakat.jpg.PART"))


async def test_a_fresh_file_waits_to_settle(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "a.jpg", jpeg(), aged=False)
    result = await lib.scan("morkov", ["landscape"])
    assert result.unsettled and not result.changed
    settle(path)
    assert (await lib.scan("morkov", ["landscape"])).changed


async def test_a_young_damaged_file_is_given_time_then_reported(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "a.jpg", jpeg()[:200], aged=False)
    young = time.time() - 1  # past the settle time, within the damaged grace
    os.utime(path, (young, young))
    result = await lib.scan("morkov", ["landscape"])
    assert result.unsettled and not lib.problems
    settle(path)
    result = await lib.scan("morkov", ["landscape"])
    assert not result.unsettled and path in lib.problems
    assert "beskadiget" in lib.problems[path].danish


async def test_replacing_and_removing_files(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "a.jpg", jpeg((255, 0, 0)))
    await lib.scan("morkov", ["landscape"])
    first = lib.slides("morkov")[0].renditions["landscape"].sha256
    put(tmp_path, "a.jpg", jpeg((0, 0, 255)))
    os.utime(path, (time.time() - 3, time.time() - 3))
    assert (await lib.scan("morkov", ["landscape"])).changed
    assert lib.slides("morkov")[0].renditions["landscape"].sha256 != first
    path.unlink()
    assert (await lib.scan("morkov", ["landscape"])).changed
    assert lib.slides("morkov") == []


async def test_a_fixed_file_leaves_the_problems(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "a.jpg", b"not an image")
    await lib.scan("morkov", ["landscape"])
    assert path in lib.problems
    put(tmp_path, "a.jpg", jpeg())
    os.utime(path, (time.time() - 4, time.time() - 4))
    assert (await lib.scan("morkov", ["landscape"])).changed
    assert not lib.problems
    path.unlink()
    await lib.scan("morkov", ["landscape"])
    assert not lib.problems


async def test_a_missing_folder_is_empty(tmp_path: Path) -> None:
    lib = library(tmp_path)
    assert not (await lib.scan("nowhere", ["landscape"])).changed
    assert lib.folder_names() == []


async def test_a_lost_blob_is_rendered_again(tmp_path: Path) -> None:
    lib = library(tmp_path)
    put(tmp_path, "a.jpg", jpeg())
    await lib.scan("morkov", ["landscape"])
    sha = lib.slides("morkov")[0].renditions["landscape"].sha256
    lib.blobs.path(sha).unlink()
    fresh = Library(lib.root, lib.blobs, lib.db)
    await fresh.scan("morkov", ["landscape"])
    assert sha in fresh.blobs


async def test_a_file_from_the_future_is_shown_once_it_stops_changing(tmp_path: Path) -> None:
    """Copied with timestamps from a machine whose clock is ahead: its mtime never ages."""
    lib = library(tmp_path)
    path = put(tmp_path, "a.jpg", jpeg(), aged=False)
    future = time.time() + 3600
    os.utime(path, (future, future))
    assert (await lib.scan("morkov", ["landscape"])).unsettled
    deadline = time.monotonic() + 10
    while not lib.slides("morkov"):
        assert time.monotonic() < deadline, "never settled"
        await asyncio.sleep(0.1)
        await lib.scan("morkov", ["landscape"])


def pdf_bytes(*colours: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    pages = [Image.new("RGB", (595, 842), colour) for colour in colours]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:])
    return out.getvalue()


async def test_a_pdf_in_a_drop_folder_is_one_slide_a_page(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "Julemarked.pdf", pdf_bytes((200, 30, 30), (30, 160, 60)))
    put(tmp_path, "b.jpg", jpeg())
    result = await lib.scan("morkov", ["landscape", "portrait"])
    assert result.changed
    slides = {slide.name: slide for slide in lib.slides("morkov")}
    assert set(slides) == {"Julemarked.pdf#1", "Julemarked.pdf#2", "b.jpg"}
    first, second = slides["Julemarked.pdf#1"], slides["Julemarked.pdf#2"]
    assert first.file == second.file == "Julemarked.pdf"
    assert first.source_sha256 != second.source_sha256
    assert set(first.renditions) == {"landscape", "portrait"}
    assert first.renditions["landscape"].sha256 != second.renditions["landscape"].sha256
    assert not (await lib.scan("morkov", ["landscape", "portrait"])).changed
    # A restart finds the pages' renditions: nothing is rendered again.
    rows = lib.db.execute("SELECT COUNT(*) FROM renditions").fetchone()[0]
    fresh = Library(lib.root, lib.blobs, lib.db)
    await fresh.scan("morkov", ["landscape", "portrait"])
    assert lib.db.execute("SELECT COUNT(*) FROM renditions").fetchone()[0] == rows
    # One page fewer, then the file gone: its slides go with it.
    path.write_bytes(pdf_bytes((200, 30, 30)))
    settle(path)
    assert (await lib.scan("morkov", ["landscape"])).changed
    assert {s.name for s in lib.slides("morkov")} == {"Julemarked.pdf#1", "b.jpg"}
    path.unlink()
    assert (await lib.scan("morkov", ["landscape"])).changed
    assert {s.name for s in lib.slides("morkov")} == {"b.jpg"}


async def test_a_pdf_that_cannot_be_used_is_a_problem_in_danish(tmp_path: Path) -> None:
    lib = library(tmp_path)
    path = put(tmp_path, "plakat.pdf", b"%PDF-1.7\nnot really a PDF")
    os.utime(path, (time.time() - 60, time.time() - 60))
    await lib.scan("morkov", ["landscape"])
    assert lib.slides("morkov") == []
    assert "PDF-filen kan ikke læses" in lib.problems[path].danish
