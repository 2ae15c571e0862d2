"""PDF posters to slides: each page rendered by PDFium and finished like a picture."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from signage_server import pdfs
from signage_server.images import ImageRejected


def pdf(
    *colours: tuple[int, int, int], size: tuple[int, int] = (595, 842), dpi: float = 72.0
) -> bytes:
    pages = [Image.new("RGB", size, colour) for colour in colours]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def test_each_page_becomes_a_fitted_jpeg_without_metadata() -> None:
    data = pdf((200, 30, 30), (30, 160, 60))
    assert pdfs.is_pdf(data)
    assert pdfs.page_count(data) == 2
    pages = pdfs.render_pdf(data, "landscape")
    assert len(pages) == 2
    for rendition, colour in zip(pages, [(200, 30, 30), (30, 160, 60)], strict=True):
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "JPEG" and rendition.type == "image/jpeg"
        # An A4 page fitted into 1920×1080: full height, about 764 wide.
        assert image.height == 1080 and 740 <= image.width <= 780
        assert not image.info.get("exif") and not image.getexif()
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        assert isinstance(pixel, tuple)
        assert all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True))
    portrait = pdfs.render_page(data, 1, "portrait")
    assert portrait.width == 1080


@pytest.mark.parametrize(
    ("data", "danish"),
    [
        (b"%PDF-1.7\nthis is not really a pdf", "kan ikke læses"),
        (b"", "kan ikke læses"),
        (pdf(*[(n, n, n) for n in range(31)], size=(60, 80)), "31 sider; højst 30"),
        # 2000 px at 1 dpi is 2,000 inches: 144,000 points per side.
        (pdf((0, 0, 0), size=(2000, 2000), dpi=1.0), "umulig størrelse"),
    ],
    ids=["garbage", "empty", "too-many-pages", "absurd-page"],
)
def test_bad_pdfs_are_refused_with_a_danish_message(data: bytes, danish: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        pdfs.render_pdf(data)
    assert danish in refused.value.danish


def test_a_pdf_is_known_by_content_not_by_name() -> None:
    assert not pdfs.is_pdf(b"\xff\xd8\xff\xe0 a jpeg")
    assert pdfs.is_pdf(b"\n\n%PDF-1.4 with some leading bytes")


def test_a_page_as_a_thumbnail() -> None:
    data = pdf((200, 30, 30), (30, 160, 60))
    thumb = pdfs.render_page(data, 0, "thumbnail")
    image = Image.open(io.BytesIO(thumb.data))
    assert image.format == "JPEG" and (thumb.width, thumb.height) == image.size
    # An A4 page in a 480×480 box: full height, about 339 wide.
    assert image.height == 480 and 330 <= image.width <= 345
    assert pdfs.render_page(data, 1) == pdfs.render_page(data, 1, "landscape")


def test_an_unknown_layout_is_named() -> None:
    with pytest.raises(ValueError, match="'square'"):
        pdfs.render_page(pdf((0, 0, 0)), 0, "square")
