from __future__ import annotations

import io

import pytest
from PIL import Image

from signage_server import images
from signage_server.images import ImageRejected, render


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_exif_orientation_is_applied() -> None:
    wide = Image.new("RGB", (400, 200), (255, 0, 0))
    wide.paste((0, 0, 255), (0, 0, 40, 200))  # a blue stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to show
    out = decode(render(encode(wide, "JPEG", exif=exif)).data)
    assert out.size == (200, 400)
    assert out.getpixel((100, 10))[2] > 200  # type: ignore[index]  # the stripe is now on top


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 35.0, 0.0)}  # GPS
    exif[0x010F] = "Telefon"
    data = encode(Image.new("RGB", (64, 64), "white"), "JPEG", exif=exif, comment=b"hemmeligt")
    out = render(data)
    image = decode(out.data)
    assert not image.getexif() and "comment" not in image.info
    assert b"Telefon" not in out.data and b"hemmeligt" not in out.data


def test_big_photo_is_fitted_to_the_screen() -> None:
    photo = Image.new("RGB", (6000, 4000), (10, 100, 10))
    out = render(encode(photo, "JPEG", quality=70))
    assert (out.width, out.height) == (1620, 1080)
    portrait = render(encode(photo, "JPEG", quality=70), "portrait")
    assert (portrait.width, portrait.height) == (1080, 720)


def test_small_images_are_not_blown_up() -> None:
    out = render(encode(Image.new("RGB", (300, 200), "red"), "PNG"))
    assert (out.width, out.height) == (300, 200)


@pytest.mark.parametrize(
    ("image", "fmt"),
    [
        (Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG"),
        (Image.new("I;16", (50, 50), 40000), "PNG"),
        (Image.new("L", (50, 50), 128), "PNG"),
        (Image.new("P", (50, 50), 3), "GIF"),
        (Image.new("RGBA", (50, 50), (255, 0, 0, 128)), "WEBP"),
        (Image.new("LA", (50, 50), (255, 0)), "PNG"),
    ],
)
def test_every_mode_becomes_8_bit_rgb_jpeg(image: Image.Image, fmt: str) -> None:
    out = render(encode(image, fmt))
    assert out.type == "image/jpeg"
    result = decode(out.data)
    assert result.format == "JPEG" and result.mode == "RGB"


def test_cmyk_colours_survive() -> None:
    red = decode(render(encode(Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG")).data)
    r, g, b = red.getpixel((25, 25))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_transparency_is_flattened_on_the_page_background() -> None:
    clear = Image.new("RGBA", (40, 40), (255, 255, 255, 0))
    out = decode(render(encode(clear, "PNG")).data)
    pixel = out.getpixel((20, 20))
    assert all(abs(a - b) < 6 for a, b in zip(pixel, images.BACKGROUND, strict=True))  # type: ignore[arg-type]


def test_too_many_bytes_message_is_in_mb() -> None:
    message = ImageRejected("x", "y")
    try:
        render(b"\0" * (images.MAX_BYTES + 1))
    except ImageRejected as caught:
        message = caught
    assert "64 MB" in message.danish


def test_first_frame_of_an_animation() -> None:
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("red", "blue", "green")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    r, _g, b = decode(render(data).data).getpixel((15, 15))  # type: ignore[misc]
    assert r > 200 and b < 60


@pytest.mark.parametrize(
    ("data", "reason", "danish"),
    [
        (b"Hej, dette er ikke et billede", "not an image", "ikke et billede"),
        (b"", "not an image", "ikke et billede"),
        (encode(Image.new("RGB", (800, 600), "red"), "JPEG")[:300], "damaged", "beskadiget"),
        (encode(Image.new("RGB", (800, 600), "red"), "PNG")[:-30], "damaged", "beskadiget"),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "format BMP", "understøttes ikke"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), "format TIFF", "understøttes ikke"),
        # 12,000 × 12,000 one-bit pixels: a few kB that would decode to 430 MB.
        (encode(Image.new("1", (12_000, 12_000)), "PNG"), "pixels", "for mange pixels"),
        # Just past the limit: the message must name the limit that applied.
        (encode(Image.new("1", (9_500, 9_500)), "PNG"), "89478485 pixels", "højst 89 mill"),
    ],
)
def test_bad_files_are_refused_with_a_danish_reason(data: bytes, reason: str, danish: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        render(data)
    assert reason in caught.value.reason
    assert danish in caught.value.danish


def test_too_many_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_BYTES", 100)
    with pytest.raises(ImageRejected, match="bytes"):
        render(encode(Image.new("RGB", (64, 64)), "PNG") + b"\0" * 200)


def test_corrupt_exif_does_not_stop_the_picture() -> None:
    good = encode(Image.new("RGB", (40, 30), "blue"), "JPEG")
    # An APP1 Exif segment that claims more than it holds.
    bad_exif = b"\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00"
    data = good[:2] + bad_exif + good[2:]
    out = render(data)
    assert (out.width, out.height) == (40, 30)


def test_profile_names_follow_the_pipeline_version() -> None:
    assert images.profile_name("landscape") == f"1920x1080-v{images.PIPELINE_VERSION}"
    assert images.profile_name("portrait").startswith("1080x1920-")
