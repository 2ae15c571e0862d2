"""The picture pipeline: orientation, colour, transparency, frames, metadata, sizes."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from signage_server import images
from signage_server.images import render, render_many

Pixel = tuple[int, ...]
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
LAYOUTS = ("landscape", "portrait", "thumbnail")


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> Pixel:
    value = image.convert("RGB").getpixel(xy)
    assert isinstance(value, tuple)
    return value


def near(a: Pixel, b: Pixel, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(size: tuple[int, int], depth: int, colour_type: int, rows: bytes, *extra: bytes) -> bytes:
    """A PNG written by hand, for what Pillow will not write: 16-bit RGB, odd headers."""
    header = struct.pack(">IIBBBBB", *size, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + b"".join(extra)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def quadrants(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """A picture whose corners tell every turn and mirror apart."""
    width, height = size
    image = Image.new("RGB", size, WHITE)
    image.paste(RED, (0, 0, width // 2, height // 2))
    image.paste(GREEN, (width // 2, 0, width, height // 2))
    image.paste(BLUE, (0, height // 2, width // 2, height))
    return image


def corners(image: Image.Image) -> list[Pixel]:
    width, height = image.size
    spots = [(4, 4), (width - 5, 4), (4, height - 5), (width - 5, height - 5)]
    return [pixel(image, spot) for spot in spots]


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 4) -> Image.Image:
    grain = Image.frombytes(mode, (32, 24), random.Random(seed).randbytes(32 * 24 * len(mode)))
    return grain.resize(size, Image.Resampling.BICUBIC)


def orientation_6() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6
    return exif


#: How a camera stores a picture for each EXIF orientation: showing it must undo this.
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def as_stored(picture: Image.Image, orientation: int) -> Image.Image:
    turn = STORED[orientation]
    return picture if turn is None else picture.transpose(turn)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int, fmt: str) -> None:
    picture = quadrants()
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(as_stored(picture, orientation), fmt, exif=exif, quality=95)
    out = decode(render(data).data)
    assert out.size == picture.size
    for got, want in zip(corners(out), corners(picture), strict=True):
        assert near(got, want), (got, want)


XMP_FORMS = {
    "attribute": '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    'tiff:Orientation="6"/>',
    "element": '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/">'
    "<tiff:Orientation>6</tiff:Orientation></rdf:Description>",
    # Pillow's own pattern misses this spelling; images.py reads it.
    "single quotes": "<rdf:Description xmlns:tiff='http://ns.adobe.com/tiff/1.0/' "
    "tiff:Orientation = '6'/>",
}


def xmp(description: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{description}</rdf:RDF></x:xmpmeta>"
    )


@pytest.mark.parametrize("form", list(XMP_FORMS))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_orientation_only_in_xmp_is_applied(fmt: str, form: str) -> None:
    picture = quadrants()
    stored = as_stored(picture, 6)
    packet = xmp(XMP_FORMS[form])
    if fmt == "JPEG":
        data = encode(stored, "JPEG", xmp=packet.encode(), quality=95)
    else:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet)
        data = encode(stored, "PNG", pnginfo=info)
    assert not decode(data).info.get("exif")  # no EXIF at all: only XMP says how to turn
    out = decode(render(data).data)
    assert out.size == picture.size
    assert near(corners(out)[0], RED) and near(corners(out)[1], GREEN)


def test_exif_orientation_wins_over_xmp() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    packet = xmp(XMP_FORMS["attribute"]).encode()
    out = render(encode(quadrants(), "JPEG", exif=exif, xmp=packet))
    assert (out.width, out.height) == (80, 40)


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 35.0, 0.0), 3: "E", 4: (11.0, 43.0, 0.0)}  # GPS
    exif[0x010F] = "Telefon"
    exif[0x0112] = 1
    packet = xmp(
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="55,35.0N"/>'
    ).encode()
    source = Image.new("RGB", (64, 64), "white")
    data = encode(source, "JPEG", exif=exif, comment=b"hemmeligt", xmp=packet, icc_profile=b"")
    for layout in images.PROFILE_SIZES:
        out = render(data, layout)
        image = decode(out.data)
        assert not image.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
        for secret in (b"Exif\0", b"GPS", b"Telefon", b"hemmeligt", b"ns.adobe.com", b"xmp"):
            assert secret not in out.data


def test_png_text_and_exif_are_stripped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "hemmeligt")
    info.add_itxt("XML:com.adobe.xmp", xmp(XMP_FORMS["attribute"]))
    exif = Image.Exif()
    exif[0x010F] = "Telefon"
    out = render(encode(Image.new("RGB", (32, 32), "white"), "PNG", pnginfo=info, exif=exif))
    assert b"hemmeligt" not in out.data and b"Telefon" not in out.data
    assert not decode(out.data).getexif()


def test_big_photo_is_fitted_to_the_screen() -> None:
    photo = Image.new("RGB", (6000, 4000), (10, 100, 10))
    out = render(encode(photo, "JPEG", quality=70))
    assert (out.width, out.height) == (1620, 1080)
    portrait = render(encode(photo, "JPEG", quality=70), "portrait")
    assert (portrait.width, portrait.height) == (1080, 720)


def test_a_phone_photo_shot_upright_fits_each_box() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.new("RGB", (3000, 2000), (90, 60, 30)), "JPEG", exif=exif, quality=70)
    sizes = {layout: (r.width, r.height) for layout, r in render_many(data, LAYOUTS).items()}
    assert sizes == {"landscape": (720, 1080), "portrait": (1080, 1620), "thumbnail": (320, 480)}


def test_a_big_jpeg_is_shrunk_while_it_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    shrunk: list[tuple[int, int]] = []
    shrink = images._shrink

    def spy(image: Image.Image, size: tuple[int, int]) -> Image.Image:
        shrunk.append(image.size)
        return shrink(image, size)

    monkeypatch.setattr(images, "_shrink", spy)
    data = encode(Image.new("RGB", (4000, 3000), (90, 60, 30)), "JPEG", exif=orientation_6())
    render_many(data, LAYOUTS)
    # Decoded once at 1/2, the smallest JPEG scale that still covers the largest
    # rendition (1080×1440 shown, 1440×1080 stored); then each rendition from the master.
    assert shrunk == [(2000, 1500), (1440, 1080), (1440, 1080), (1440, 1080)]


def test_small_images_are_not_blown_up() -> None:
    out = render(encode(Image.new("RGB", (300, 200), "red"), "PNG"))
    assert (out.width, out.height) == (300, 200)
    assert (render(encode(Image.new("RGB", (300, 200)), "PNG"), "thumbnail").width) == 300


def test_thumbnails_fit_the_web_uis_box() -> None:
    data = encode(Image.new("RGB", (2400, 1600), (10, 100, 10)), "JPEG", quality=70)
    thumb = render(data, "thumbnail")
    assert (thumb.width, thumb.height) == (480, 320) and thumb.type == "image/jpeg"
    assert decode(thumb.data).format == "JPEG"
    assert images.profile_name("thumbnail") == f"480x480-v{images.PIPELINE_VERSION}"
    assert images.THUMBNAIL_SIZE == (480, 480)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(noise((3000, 2000)), "JPEG", exif=orientation_6()), id="jpeg-turned"),
        pytest.param(encode(noise((1200, 3000)), "JPEG"), id="jpeg-tall"),
        pytest.param(encode(noise((1300, 900), "RGBA"), "PNG"), id="png-alpha"),
        pytest.param(encode(noise((700, 500), "L"), "GIF"), id="gif"),
    ],
)
def test_render_many_gives_what_render_gives(data: bytes) -> None:
    every = render_many(data, LAYOUTS)
    assert list(every) == list(LAYOUTS)
    for layout in LAYOUTS:
        assert every[layout] == render(data, layout)


def test_an_unknown_layout_is_named() -> None:
    with pytest.raises(ValueError, match="'square'"):
        render_many(encode(Image.new("RGB", (8, 8)), "PNG"), ["landscape", "square"])
    with pytest.raises(ValueError, match="'square'"):
        images.profile_name("square")


@pytest.mark.parametrize(
    ("image", "fmt"),
    [
        (Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG"),
        (Image.new("I;16", (50, 50), 40000), "PNG"),
        (Image.new("L", (50, 50), 128), "PNG"),
        (Image.new("1", (50, 50), 1), "PNG"),
        (Image.new("P", (50, 50), 3), "GIF"),
        (Image.new("RGBA", (50, 50), (255, 0, 0, 128)), "WEBP"),
        (Image.new("LA", (50, 50), (255, 0)), "PNG"),
        (Image.new("RGB", (50, 50), "red"), "MPO"),
    ],
)
def test_every_mode_becomes_8_bit_rgb_jpeg(image: Image.Image, fmt: str) -> None:
    out = render(encode(image, fmt))
    assert out.type == "image/jpeg"
    result = decode(out.data)
    assert result.format == "JPEG" and result.mode == "RGB"


def test_cmyk_colours_survive() -> None:
    red = decode(render(encode(Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG")).data)
    assert near(pixel(red, (25, 25)), RED, 60)


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    out = decode(render(encode(Image.new("I;16", (40, 40), 40000), "PNG")).data)
    assert near(pixel(out, (20, 20)), (156, 156, 156), 4)  # 40000 / 256, not 255


def test_16_bit_grey_with_a_transparent_value() -> None:
    grey = Image.new("I;16", (40, 40), 30000)
    grey.paste(Image.new("I;16", (20, 40), 1000))  # (pasting a number into I;16 goes wrong)
    out = decode(render(encode(grey, "PNG", transparency=1000)).data)
    assert near(pixel(out, (5, 20)), images.BACKGROUND, 6)
    assert near(pixel(out, (35, 20)), (117, 117, 117), 6)


def test_16_bit_rgb_png() -> None:
    # Two pixels a row, 6 bytes each: 0xFF00 red, 0 green, 0x8000 blue.
    rows = (b"\0" + bytes.fromhex("ff00 0000 8000" * 2)) * 2
    out = decode(render(png((2, 2), 16, 2, rows)).data)
    assert near(pixel(out, (0, 0)), (255, 0, 128), 12)


def test_transparency_is_flattened_on_the_page_background() -> None:
    clear = Image.new("RGBA", (40, 40), (255, 255, 255, 0))
    out = decode(render(encode(clear, "PNG")).data)
    assert near(pixel(out, (20, 20)), images.BACKGROUND, 6)


def test_a_transparent_palette_entry_is_flattened() -> None:
    palette = Image.new("P", (40, 40), 1)
    palette.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
    palette.paste(0, (0, 0, 20, 40))  # entry 0, white in the palette, is transparent
    for fmt in ("PNG", "GIF"):
        out = decode(render(encode(palette, fmt, transparency=0)).data)
        assert near(pixel(out, (5, 20)), images.BACKGROUND, 8), fmt
        assert near(pixel(out, (35, 20)), RED, 30), fmt


def test_grey_with_alpha_is_flattened() -> None:
    la = Image.new("LA", (40, 40), (255, 255))
    la.paste((255, 0), (0, 0, 20, 40))
    out = decode(render(encode(la, "PNG")).data)
    assert near(pixel(out, (5, 20)), images.BACKGROUND, 6)
    assert near(pixel(out, (35, 20)), WHITE, 6)


def test_a_big_picture_with_alpha_is_reduced_in_bands_like_a_whole() -> None:
    # 2400×1700 RGBA: the master is reduced 2× before LANCZOS, a band of rows at a time.
    image = noise((2400, 1700), "RGBA")
    banded = images._shrink(image, (600, 425))
    whole = image.reduce(2).resize((600, 425), Image.Resampling.LANCZOS)
    assert banded.tobytes() == whole.tobytes()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_first_frame_of_an_animation(fmt: str) -> None:
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("red", "blue", "green")]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    assert near(pixel(decode(render(data).data), (15, 15)), RED, 60)


def test_a_png_is_known_by_content_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "plakat.jpg"  # a PNG, renamed
    path.write_bytes(encode(Image.new("RGBA", (30, 20), (0, 0, 255, 255)), "PNG"))
    out = render(path.read_bytes())
    assert (out.width, out.height) == (30, 20) and decode(out.data).format == "JPEG"


def test_corrupt_exif_does_not_stop_the_picture() -> None:
    good = encode(Image.new("RGB", (40, 30), "blue"), "JPEG")
    # An APP1 Exif segment that claims more than it holds.
    bad_exif = b"\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00"
    data = good[:2] + bad_exif + good[2:]
    out = render(data)
    assert (out.width, out.height) == (40, 30)


def test_a_broken_colour_profile_does_not_stop_the_picture() -> None:
    data = encode(Image.new("RGB", (40, 30), "blue"), "JPEG", icc_profile=b"not a profile")
    assert near(pixel(decode(render(data).data), (20, 15)), BLUE, 30)


def test_profile_names_follow_the_pipeline_version() -> None:
    assert images.profile_name("landscape") == f"1920x1080-v{images.PIPELINE_VERSION}"
    assert images.profile_name("portrait").startswith("1080x1920-")
