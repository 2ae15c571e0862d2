"""PDF posters: each page becomes a slide, rendered with PDFium (pypdfium2) and finished by
the same Pillow pipeline as pictures (sRGB, fitted to the screen or the thumbnail box,
metadata-free JPEG).

Associations e-mail their posters as PDF; a volunteer should not have to convert them.
A PDF is capped in bytes and pages, each page is rendered at the size the screen needs (not
larger), and a page of absurd dimensions is refused before anything is allocated for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pypdfium2 as pdfium
from PIL import Image

from .images import MAX_BYTES, ImageRejected, Rendition, jpeg, profile_size

#: More pages than this is not a poster but a document: refused, with a message saying so.
MAX_PAGES = 30
#: Points (1/72 inch) per side; A0 is about 3,370 points. Anything far beyond is hostile.
MAX_PAGE_POINTS = 20_000.0


def is_pdf(data: bytes) -> bool:
    """By content, not by name: a PDF starts with ``%PDF-`` (within its first kilobyte)."""
    return b"%PDF-" in data[:1024]


def page_count(data: bytes) -> int:
    """How many slides a PDF makes. Raises ImageRejected (with Danish text)."""
    with _opened(data) as document:
        return len(document)


def render_page(data: bytes, index: int, layout: str = "landscape") -> Rendition:
    """Page ``index`` (from 0) of a PDF as the rendition for "landscape", "portrait" or
    "thumbnail". Raises ImageRejected; ValueError for an unknown layout."""
    profile_size(layout)
    with _opened(data) as document:
        return _page(document, index, layout)


def render_pdf(data: bytes, layout: str = "landscape") -> tuple[Rendition, ...]:
    """Every page of a PDF as a rendition for ``layout``. Raises ImageRejected."""
    profile_size(layout)  # an unknown layout fails before the PDF is opened
    with _opened(data) as document:
        return tuple(_page(document, index, layout) for index in range(len(document)))


@contextlib.contextmanager
def _opened(data: bytes) -> Iterator[pdfium.PdfDocument]:
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"PDF is {len(data)} bytes, more than the {MAX_BYTES} allowed",
            f"PDF-filen er for stor ({len(data) / 2**20:.0f} MB). Største tilladte størrelse er "
            f'{MAX_BYTES // 2**20} MB. Gem den med mindre billeder (fx "Reducer filstørrelse"), '
            "eller send kun de sider, der skal på skærmen.",
        )
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ImageRejected(
                "PDF is protected by a password",
                "PDF-filen er beskyttet med en adgangskode. Gem den uden kode, og prøv igen.",
            ) from None
        raise ImageRejected(
            f"not a PDF PDFium can read ({exc})",
            "PDF-filen kan ikke læses. Gem den igen (fx som PDF eller billede), og prøv igen.",
        ) from None
    try:
        count = len(document)
        if count == 0:
            raise ImageRejected("PDF has no pages", "PDF-filen har ingen sider.")
        if count > MAX_PAGES:
            raise ImageRejected(
                f"PDF has {count} pages, more than {MAX_PAGES}",
                f"PDF-filen har {count} sider; højst {MAX_PAGES} kan blive til opslag. "
                "Send kun de sider, der skal på skærmen.",
            )
        yield document
    finally:
        document.close()


def _page(document: pdfium.PdfDocument, index: int, layout: str) -> Rendition:
    page = document[index]
    try:
        width, height = page.get_size()
        if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
            raise ImageRejected(
                f"page {index + 1} is {width:.0f}×{height:.0f} points",
                f"Side {index + 1} i PDF-filen har en umulig størrelse. Gem filen igen.",
            )
        box = profile_size(layout)
        scale = min(box[0] / width, box[1] / height)
        try:
            bitmap = page.render(scale=scale, may_draw_forms=True)
            image = bitmap.to_pil()
            if image.width > box[0] or image.height > box[1]:  # PDFium rounded up
                image.thumbnail(box, Image.Resampling.LANCZOS)
        except pdfium.PdfiumError as exc:
            raise ImageRejected(
                f"page {index + 1} could not be rendered ({exc})",
                f"Side {index + 1} i PDF-filen kan ikke vises. Gem filen igen.",
            ) from None
    finally:
        page.close()
    return jpeg(image)
