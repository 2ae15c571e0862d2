"""Screen renditions of images, with Pillow: bytes in, a clean JPEG out.

Identify by content; cap bytes and pixels; shrink on decode; apply the EXIF
orientation; convert to 8-bit sRGB; flatten transparency; first frame only;
no metadata survives (phone photos carry GPS positions). Every refusal is an
:class:`ImageRejected` with a Danish message for the editor and an English one
for the log.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
MAX_BYTES = 64 * 1024 * 1024
#: Pillow's own decompression-bomb limit (about 89 million pixels), which we treat as an
#: error: far above any phone photo in its default mode.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: Transparent parts become the kiosk page's background colour.
BACKGROUND = (16, 38, 59)
JPEG_QUALITY = 85
#: Bumped when the pipeline's output changes, so old renditions are made again.
PIPELINE_VERSION = 1

SCREEN_SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


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


def profile_name(layout: str) -> str:
    width, height = SCREEN_SIZES[layout]
    return f"{width}x{height}-v{PIPELINE_VERSION}"


def render(data: bytes, layout: str = "landscape") -> Rendition:
    """Make the screen rendition of an image file's bytes. Raises ImageRejected."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"file is {len(data)} bytes, more than the {MAX_BYTES} allowed",
            f"Filen er for stor ({len(data) / 2**20:.0f} MB). Største tilladte størrelse er "
            f"{MAX_BYTES // 2**20} MB.",
        )
    box = SCREEN_SIZES[layout]
    with warnings.catch_warnings():
        # Pillow warns about odd EXIF and the like; only the bomb warning matters here.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(data)
            image = _decode(image, box)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
            raise ImageRejected(
                f"image data is damaged or incomplete: {exc}",
                "Billedet er beskadiget eller ufuldstændigt. Gem det igen, eller send det på ny.",
            ) from None
    # A fresh image from the pixels alone: Pillow would otherwise carry EXIF (GPS!),
    # XMP and comments from the source into the output.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, subsampling=0)
    return Rendition(out.getvalue(), clean.width, clean.height)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected(
            "not an image Pillow can read",
            "Filen er ikke et billede. Brug JPEG, PNG, WebP eller GIF.",
        ) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(
            f"format {image.format} is not accepted",
            f"Billedformatet {image.format} understøttes ikke. Brug JPEG, PNG, WebP eller GIF.",
        )
    if image.width < 1 or image.height < 1:
        raise ImageRejected("image has no pixels", "Billedet er tomt.")
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _decode(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    orientation = image.getexif().get(0x0112, 1)
    # EXIF orientations 5-8 swap width and height: draft against the turned box.
    draft_box = (box[1], box[0]) if orientation in (5, 6, 7, 8) else box
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", draft_box)
    image.seek(0)
    image.load()  # truncated files fail here, not later
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image) or image
    image = _to_srgb(image, icc)
    image.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
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
    return image


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        f"image has more than {MAX_PIXELS} pixels",
        f"Billedet har for mange pixels (højst {MAX_PIXELS // 1_000_000} millioner). "
        "Gem det i en mindre størrelse.",
    )
