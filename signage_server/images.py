"""Renditions of images, with Pillow: bytes in, clean JPEGs out.

Identify by content, never by name or declared type, and say what a file is when it is
not a picture we take (a Word document, a video, an SVG, text); cap bytes and pixels,
with Pillow's decompression-bomb warning as an error; shrink on decode (JPEG draft);
``load()`` before accepting, so truncated files fail here; apply the EXIF orientation
(or the XMP one); convert to 8-bit sRGB; flatten transparency on the kiosk page's
background; first frame only; no metadata survives (phone photos carry GPS positions).
Every refusal is an :class:`ImageRejected` with a Danish message for the editor, saying
what is wrong and what to do, and an English one for the log.

One decode makes every rendition (:func:`render_many`): the file is decoded once, at
the smallest JPEG scale that still covers the largest screen box, resized to that box
(the "master"), and the other renditions are made from the master. The decode does
not depend on which renditions are asked for, so a rendition is a function of the
file's bytes and its profile alone, as the renditions table (keyed on both) needs:
``render(data, layout)`` gives the same bytes as ``render_many(data, [...])[layout]``.

HEIC (iPhone photos) is read by pillow-heif when it is installed; its opener is
registered with Pillow when the first HEIC file arrives, not at import.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageCms, ImageMath, UnidentifiedImageError

from . import filetypes

#: Pillow's format name → the name editors know.
ACCEPTED_FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "HEIF": "HEIC",
}
#: Only these parsers see an upload: Pillow's others (TIFF, ICO, PSD, …) never run on one.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_BYTES = 64 * 1024 * 1024
#: Pillow's own decompression-bomb limit (about 89 million pixels), which we treat as an
#: error: far above any phone photo in its default mode.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Formats without shrink-on-decode (all but JPEG) are decoded whole, 4 bytes a pixel:
#: this caps that at 200 MB. A 48 MP iPhone photo (HEIF Max) passes.
MAX_DECODED_PIXELS = 50_000_000
#: Transparent parts become the kiosk page's background colour.
BACKGROUND = (16, 38, 59)
JPEG_QUALITY = 85
#: Bumped when the pipeline's output changes, so old renditions are made again.
PIPELINE_VERSION = 2

SCREEN_SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
#: The web UI's slide list.
THUMBNAIL = "thumbnail"
THUMBNAIL_SIZE = (480, 480)
PROFILE_SIZES = {**SCREEN_SIZES, THUMBNAIL: THUMBNAIL_SIZE}
#: Resample from at least this many times the target size after an integer reduce, as
#: Pillow's ``thumbnail`` does: quality close to a full LANCZOS at a fraction of its cost.
REDUCING_GAP = 2.0

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
#: The XMP spellings Pillow's own pattern misses: single quotes, spaces around "=".
_XMP_ORIENTATION = re.compile(rb"tiff:Orientation\s*(?:=\s*[\"']\s*|>\s*)([1-8])")


class ImageRejected(ValueError):
    """The file cannot become a slide. ``danish`` is for the editor."""

    def __init__(self, reason: str, danish: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.danish = danish


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    type: str = "image/jpeg"


def profile_size(layout: str) -> tuple[int, int]:
    """The box a layout's rendition fits in. Raises ValueError for an unknown layout."""
    try:
        return PROFILE_SIZES[layout]
    except KeyError:
        raise ValueError(
            f"unknown layout {layout!r}, expected one of {', '.join(PROFILE_SIZES)}"
        ) from None


def profile_name(layout: str) -> str:
    width, height = profile_size(layout)
    return f"{width}x{height}-v{PIPELINE_VERSION}"


def render(data: bytes, layout: str = "landscape") -> Rendition:
    """The rendition of an image file's bytes for "landscape", "portrait" or "thumbnail".

    Raises ImageRejected; ValueError for an unknown layout.
    """
    return render_many(data, (layout,))[layout]


def render_many(data: bytes, layouts: Sequence[str]) -> dict[str, Rendition]:
    """Every rendition asked for, from one decode; each the same bytes ``render`` gives.

    Raises ImageRejected; ValueError for an unknown layout.
    """
    boxes = {layout: profile_size(layout) for layout in layouts}
    with warnings.catch_warnings():
        # Pillow warns about odd EXIF and the like; only the bomb warning matters here.
        # (The filters are process-wide; the pixel check in _open does not rely on them.)
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            master, shape = _master(data)
            return {layout: _rendition(master, shape, box) for layout, box in boxes.items()}
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
            raise _damaged(exc) from None


def jpeg(image: Image.Image) -> Rendition:
    """Any Pillow image as a rendition: 8-bit RGB, transparency flattened on BACKGROUND,
    a JPEG without metadata."""
    image = _to_srgb(_resizable(image), None)
    # A fresh image from the pixels alone: Pillow would otherwise carry EXIF (GPS!),
    # XMP and comments from the source into the output.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, subsampling=0)
    return Rendition(out.getvalue(), clean.width, clean.height)


@dataclass(frozen=True)
class _Shape:
    """What every rendition needs to know besides the master's pixels."""

    #: The picture's size as shown (turned), before any shrinking: renditions fit this.
    size: tuple[int, int]
    orientation: int


def _master(data: bytes) -> tuple[Image.Image, _Shape]:
    """Decode once and fit to the largest box: 8-bit sRGB pixels as stored (not turned)."""
    image = _open(data)
    stored = image.size
    if image.format in ("JPEG", "MPO"):
        # A JPEG's EXIF is read with its header. libjpeg scales by 1/2, 1/4 or 1/8 while
        # decoding: take the smallest scale that still covers the master.
        orientation = _orientation(image)
        image.draft(None, _turned(_master_size(_turned(stored, orientation)), orientation))
    # Truncated and corrupt files fail here. Load before anything else reads the file:
    # getexif() on a PNG loads the pixels itself, and after a failed load a second load()
    # passes silently, with the pixels half-decoded.
    image.load()
    orientation = _orientation(image)
    shape = _Shape(_turned(stored, orientation), orientation)
    icc = image.info.get("icc_profile")
    size = _turned(_master_size(shape.size), orientation)
    master = _shrink(_resizable(image), size)
    return _to_srgb(master, icc if isinstance(icc, bytes) else None), shape


def _rendition(master: Image.Image, shape: _Shape, box: tuple[int, int]) -> Rendition:
    image = _shrink(master, _turned(_fit(shape.size, box), shape.orientation))
    # Turned last, on the small image: the same picture as turning first, for less work.
    if shape.orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[shape.orientation])
    return jpeg(image)


def _shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """LANCZOS to ``size``, after an integer reduce (box average) where the image is more
    than REDUCING_GAP times larger. The reduce goes a band of rows at a time: Pillow would
    otherwise make a premultiplied copy of a whole image with alpha first."""
    if image.size == size:
        return image
    factor = (
        max(1, int(image.width / size[0] / REDUCING_GAP)),
        max(1, int(image.height / size[1] / REDUCING_GAP)),
    )
    if factor != (1, 1):
        band = factor[1] * max(1, 1_048_576 // (image.width * factor[1]))
        reduced = Image.new(
            image.mode, (-(-image.width // factor[0]), -(-image.height // factor[1]))
        )
        for top in range(0, image.height, band):
            rows = image.crop((0, top, image.width, min(top + band, image.height)))
            reduced.paste(rows.reduce(factor), (0, top // factor[1]))
        image = reduced
    return image.resize(size, Image.Resampling.LANCZOS)


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size that fits in ``box`` with the same shape; never larger than the original."""
    width, height = size
    if width <= box[0] and height <= box[1]:
        return size
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _master_size(size: tuple[int, int]) -> tuple[int, int]:
    # Every fit has the picture's shape, so the widest is the largest in both directions.
    return max((_fit(size, box) for box in PROFILE_SIZES.values()), key=lambda fit: fit[0])


def _turned(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """A size as stored ↔ as shown: orientations 5-8 swap width and height."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _orientation(image: Image.Image) -> int:
    try:
        # EXIF; and Pillow falls back to the XMP tiff:Orientation when EXIF has none.
        value = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # a broken EXIF block is not worth refusing the picture for
        value = None
    if value is None:
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
        if isinstance(xmp, str):
            xmp = xmp.encode("utf-8", "replace")
        match = _XMP_ORIENTATION.search(xmp) if isinstance(xmp, bytes) else None
        value = int(match[1]) if match else 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _resizable(image: Image.Image) -> Image.Image:
    """The image in one of L, LA, RGB, RGBA or CMYK, with any transparent colour as alpha."""
    mode = image.mode
    transparent = image.info.get("transparency") is not None
    if mode.startswith("I"):  # 16-bit (and 32-bit) grey
        wide = image.convert("I")
        grey = wide.point(lambda value: value / 256).convert("L")
        if not transparent or not isinstance(image.info["transparency"], int):
            return grey
        key = image.info["transparency"]
        alpha = ImageMath.lambda_eval(lambda args: (args["a"] != key) * 255, a=wide)
        assert isinstance(alpha, Image.Image)
        return Image.merge("LA", (grey, alpha.convert("L")))
    if mode in ("P", "PA"):
        return image.convert("RGBA" if transparent or mode == "PA" else "RGB")
    if mode in ("1", "L", "RGB") and transparent:
        return image.convert("RGBA" if mode == "RGB" else "LA")
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if "A" in mode or "a" in mode else "RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    if alpha is not None:
        image = image.convert(image.mode[:-1])
    if icc and image.mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is not worth refusing the picture for
    if image.mode != "RGB":
        image = image.convert("RGB")
    if alpha is not None and alpha.getextrema() != (255, 255):
        flat = Image.new("RGB", image.size, BACKGROUND)
        flat.paste(image, mask=alpha)
        image = flat
    return image


# --- what a file is -----------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageRejected(
            "not an image: the file is empty",
            "Filen er tom (0 byte), så den er ikke et billede. Kopiér eller send filen igen.",
        )
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"file is {len(data)} bytes, more than the {MAX_BYTES} allowed",
            f"Filen er for stor ({len(data) / 2**20:.0f} MB). Største tilladte størrelse er "
            f"{MAX_BYTES // 2**20} MB. Gem billedet i en mindre størrelse, og send det igen.",
        )
    formats: tuple[str, ...] = OPEN_FORMATS
    heif = filetypes.iso_media(data) == "HEIF"
    if heif:
        if not _heif_opener():
            raise _heic_refused()
        formats = ("HEIF",)
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except UnidentifiedImageError:
        if heif:
            raise _damaged("pillow-heif cannot read it") from None
        raise ImageRejected(*filetypes.not_a_picture(data)) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(*filetypes.unaccepted(str(image.format)))
    if image.width < 1 or image.height < 1:
        raise ImageRejected("image has no pixels", f"Billedet er tomt. {filetypes.SAVE_AS}")
    limit = MAX_PIXELS if image.format in ("JPEG", "MPO") else MAX_DECODED_PIXELS
    if image.width * image.height > limit:
        raise _too_many_pixels(limit)
    return image


@functools.cache
def _heif_opener() -> bool:
    """Register pillow-heif with Pillow (once, on the first HEIC file); False without it."""
    try:
        import pillow_heif
    except ImportError:
        return False
    # Embedded thumbnails, depth maps and auxiliary images are not needed for a slide.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


def _heic_refused() -> ImageRejected:
    return ImageRejected(
        "format HEIC is not accepted (pillow-heif is not installed)",
        "Billedet er i HEIC-format (fra iPhone), som ikke kan bruges her. Gem det som JPEG, "
        "og send det igen. På iPhone kan du tage billeder som JPEG fremover: Indstillinger → "
        'Kamera → Formater → "Mest kompatibel".',
    )


def _damaged(exc: BaseException | str) -> ImageRejected:
    return ImageRejected(
        f"image data is damaged or incomplete: {exc}",
        "Billedet er beskadiget eller ufuldstændigt. Gem det igen, eller send det på ny.",
    )


def _too_many_pixels(limit: int = MAX_PIXELS) -> ImageRejected:
    return ImageRejected(
        f"image has more than {limit} pixels",
        f"Billedet har for mange pixels (højst {limit // 1_000_000} millioner). "
        "Gem det i en mindre størrelse, og send det igen.",
    )
