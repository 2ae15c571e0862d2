"""HEIC (iPhone photos): read through pillow-heif, registered on first use; without it,
refused with a message that says how to get JPEG."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from signage_server import images
from signage_server.images import ImageRejected, render, render_many

from .test_images import GREEN, RED, corners, decode, near, quadrants

pillow_heif = pytest.importorskip("pillow_heif")


def heic(image: Image.Image, exif: Image.Exif | None = None, xmp: bytes | None = None) -> bytes:
    out = io.BytesIO()
    extra: dict[str, bytes] = {}
    if exif is not None:
        extra["exif"] = exif.tobytes()
    if xmp is not None:
        extra["xmp"] = xmp
    pillow_heif.from_pillow(image).save(out, quality=90, **extra)
    return out.getvalue()


def test_an_iphone_photo_is_turned_and_loses_its_metadata() -> None:
    picture = quadrants()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side, as a phone held upright stores it
    exif[0x8825] = {1: "N", 2: (55.0, 35.0, 0.0), 3: "E", 4: (11.0, 43.0, 0.0)}
    exif[0x010F] = "Apple"
    data = heic(
        picture.transpose(Image.Transpose.ROTATE_90),
        exif,
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">hemmeligt</x:xmpmeta>',
    )
    assert data[4:12] == b"ftypheic"
    every = render_many(data, ["landscape", "portrait", "thumbnail"])
    out = decode(every["landscape"].data)
    assert out.format == "JPEG" and out.size == picture.size
    assert near(corners(out)[0], RED) and near(corners(out)[1], GREEN)
    for rendition in every.values():
        assert not decode(rendition.data).getexif()
        assert b"Apple" not in rendition.data and b"hemmeligt" not in rendition.data
        assert b"Exif\0" not in rendition.data


def test_a_heic_fits_each_box_and_render_agrees() -> None:
    data = heic(Image.new("RGB", (1200, 800), (20, 90, 160)))
    every = render_many(data, ["landscape", "portrait", "thumbnail"])
    assert [(r.width, r.height) for r in every.values()] == [(1200, 800), (1080, 720), (480, 320)]
    assert every["thumbnail"] == render(data, "thumbnail")


def test_a_heic_known_by_a_compatible_brand() -> None:
    # Some phones write the general "mif1" as the major brand and "heic" after it.
    data = heic(Image.new("RGB", (40, 30), (20, 90, 160)))
    assert data[8:12] == b"heic" and b"heic" in data[16:32]
    out = render(data[:8] + b"mif1" + data[12:])
    assert (out.width, out.height) == (40, 30)


def test_a_damaged_heic_is_damaged() -> None:
    data = heic(Image.new("RGB", (64, 64), "red"))
    with pytest.raises(ImageRejected, match="damaged"):
        render(data[: len(data) // 2])


def test_without_pillow_heif_a_heic_is_refused_with_the_iphone_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(images, "_heif_opener", lambda: False)
    with pytest.raises(ImageRejected) as refused:
        render(heic(Image.new("RGB", (16, 16))))
    assert "HEIC" in refused.value.reason
    assert "JPEG" in refused.value.danish and '"Mest kompatibel"' in refused.value.danish


def test_pillow_heif_is_not_imported_with_the_server() -> None:
    # No work at import time: the opener is registered when the first HEIC file arrives.
    code = (
        "import sys, signage_server.images, signage_server.pdfs, signage_server.library\n"
        "assert 'pillow_heif' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
