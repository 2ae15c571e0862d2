"""Files that cannot become slides: each refused with a Danish message saying what it is
and what to do. Several cases are small copies of the kinds of file in Pillow's test
images that once got through or cost too much (see the comments)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image, PngImagePlugin

from signage_server import images
from signage_server.images import ImageRejected, render, render_many

from .test_images import decode, encode, near, pixel, png, png_chunk


def refusal(data: bytes) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        render_many(data, ["landscape", "portrait", "thumbnail"])
    return caught.value


def zipped(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def png_header(width: int, height: int, depth: int = 8, colour_type: int = 2) -> bytes:
    """Only a PNG's header and a scrap of data: what a decompression bomb looks like."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"\x78\x9c")


RED_PNG = encode(Image.new("RGB", (800, 600), "red"), "PNG")
RED_JPEG = encode(Image.new("RGB", (800, 600), "red"), "JPEG")


@pytest.mark.parametrize(
    ("data", "reason", "danish"),
    [
        (b"Hej, dette er ikke et billede", "not an image", "ikke et billede"),
        (b"", "not an image", "ikke et billede"),
        (RED_JPEG[:300], "damaged", "beskadiget"),
        (RED_PNG[:-30], "damaged", "beskadiget"),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "format BMP", "understøttes ikke"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), "format TIFF", "understøttes ikke"),
        # A header claiming 100,000 × 100,000 pixels: Pillow's DecompressionBombError.
        (png_header(100_000, 100_000), "pixels", "for mange pixels"),
        # Just past Pillow's limit (a warning only): the message names the limit that applied.
        (png_header(10_000, 9_000), "89478485 pixels", "højst 89 mill"),
        # Past the limit for formats decoded whole (all but JPEG), within Pillow's.
        (png_header(8_000, 7_000), "50000000 pixels", "højst 50 millioner"),
    ],
)
def test_bad_files_are_refused_with_a_danish_reason(data: bytes, reason: str, danish: str) -> None:
    refused = refusal(data)
    assert reason in refused.reason
    assert danish in refused.danish


def test_too_many_bytes_message_is_in_mb() -> None:
    refused = refusal(b"\0" * (images.MAX_BYTES + 1))
    assert "64 MB" in refused.danish and "mindre" in refused.danish


def test_too_many_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_BYTES", 100)
    with pytest.raises(ImageRejected, match="bytes"):
        render(encode(Image.new("RGB", (64, 64)), "PNG") + b"\0" * 200)


# --- damaged files --------------------------------------------------------------------


def test_a_png_with_a_corrupt_data_stream_is_damaged() -> None:
    # Like Pillow's broken_data_stream.png. Once reading the orientation (getexif loads a
    # PNG) swallowed the error, and the second load() passed with half-decoded pixels.
    stream = bytearray(zlib.compress(Image.new("RGB", (64, 64), "red").tobytes()))
    stream[2:12] = b"\xff" * 10
    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", bytes(stream))
        + png_chunk(b"IEND", b"")
    )
    assert "damaged" in refusal(data).reason


def test_a_png_cut_in_its_last_chunk_is_damaged() -> None:
    # Like Pillow's truncated_end_chunk.png: every pixel there, the chunk after them cut.
    rows = b"".join(b"\0" + b"\xff\0\0" * 16 for _ in range(16))
    whole = png((16, 16), 8, 2, rows)
    data = whole[: whole.index(b"IEND") - 4] + png_chunk(b"tEXt", b"Comment\0" + b"x" * 64)[:30]
    assert "damaged" in refusal(data).reason


def test_a_zip_bomb_in_a_png_text_chunk_is_refused() -> None:
    # Like Pillow's png_decompression_dos.png: a small chunk that inflates past Pillow's cap.
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a" * 2_000_000, zip=True)
    data = encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=info)
    assert len(data) < 20_000
    assert "damaged" in refusal(data).reason


def test_a_young_file_being_written_is_reported_as_damaged() -> None:
    # library.DAMAGED_REASONS waits a moment for these before it reports them.
    assert refusal(RED_JPEG[:2000]).reason.startswith("image data is damaged")


# --- bombs and formats that are never parsed -----------------------------------------


def test_a_bomb_in_a_later_gif_frame_does_not_matter() -> None:
    # Like Pillow's decompression_bomb_extents.gif: only the first frame is ever read.
    frames = [Image.new("P", (10, 10), index) for index in (1, 2)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], optimize=False)
    descriptor = b",\0\0\0\0\n\0\n\0"
    second = data.rindex(descriptor)
    assert second > data.index(descriptor)
    data = data[:second] + b",\0\0\0\0\xff\xff\xff\xff" + data[second + len(descriptor) :]
    assert near(pixel(decode(render(data).data), (5, 5)), (255, 0, 0), 40)


def test_formats_we_do_not_take_are_not_parsed() -> None:
    # Like Pillow's l2rgb_read.bmp, reallybig.bmp: hostile headers in formats we refuse are
    # named from their magic bytes; Pillow's BMP, TIFF and ICO parsers never see them.
    bmp = b"BM" + b"\0" * 12 + struct.pack("<IiiHH", 40, 3_158_064, 48, 1, 24) + b"\0" * 40
    assert refusal(bmp).reason == "format BMP is not accepted"
    assert refusal(b"II*\0" + b"\xff" * 12).reason == "format TIFF is not accepted"
    # An AVIF (Pillow could read it here, but not in every build): named, not opened.
    avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + b"\0" * 64
    assert refusal(avif).reason == "format AVIF is not accepted"


# --- files that are not pictures -----------------------------------------------------

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
)
NOT_PICTURES = {
    "empty": (b"", "empty", "tom"),
    "text": ("Ændringer til loppemarkedet\nHusk kaffe!\n".encode(), "text", "tekst"),
    "text starting BM": (b"BMW-klubben m\xc3\xb8des kl. 19\n", "text", "tekst"),
    "svg": (SVG, "SVG", "SVG-tegning"),
    "html": (b"\n<!DOCTYPE html><html><body><svg/></body></html>", "web page", "webside"),
    "word": (zipped("word/document.xml"), "Word", "Word-dokument"),
    "powerpoint": (zipped("ppt/presentation.xml"), "PowerPoint", "PowerPoint"),
    "excel": (zipped("xl/workbook.xml"), "Excel", "Excel-regneark"),
    "odt": (zipped("mimetypeapplication/vnd.oasis.opendocument.text"), "OpenDocument", "Libre"),
    "zip": (zipped("plakat.jpg"), "zip", "zip-fil"),
    "old office": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "Office", "Office-dok"),
    "mp4": (b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2" + b"\0" * 64, "video", "video"),
    "mov": (b"\0\0\0\x14ftypqt  \0\0\x02\0qt  " + b"\0" * 64, "video", "video"),
    "old mov": (b"\0\0\0\x08wide\0\0\x10\0mdat" + b"\x01" * 64, "video", "video"),
    "webm": (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\0" * 64, "video", "video"),
    "avi": (b"RIFF\0\x10\0\0AVI LIST" + b"\0" * 64, "video", "video"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF", "PDF"),
    "random": (bytes(range(256)) * 4, "not an image", "ikke et billede"),
}


@pytest.mark.parametrize(("data", "reason", "danish"), NOT_PICTURES.values(), ids=NOT_PICTURES)
def test_what_a_file_is_when_it_is_not_a_picture(data: bytes, reason: str, danish: str) -> None:
    refused = refusal(data)
    assert reason in refused.reason and refused.reason.startswith("not an image")
    assert danish in refused.danish


@pytest.mark.parametrize(
    "data",
    [
        *(case[0] for case in NOT_PICTURES.values()),
        RED_JPEG[:300],
        png_header(100_000, 100_000),
        encode(Image.new("RGB", (8, 8)), "TIFF"),
        b"\0" * (images.MAX_BYTES + 1),
    ],
)
def test_every_refusal_says_what_to_do(data: bytes) -> None:
    danish = refusal(data).danish
    assert any(verb in danish for verb in ("Gem", "Send", "send", "Eksportér", "Pak", "Lav"))
    assert danish.endswith(".")
