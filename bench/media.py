"""Slides made up for a benchmark: JPEG bytes drawn with Pillow from a seed."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

#: Coarse colour noise, scaled up: it keeps a 1920×1080 rendition at a realistic
#: 300-400 KB (a photo-like poster), where a flat gradient would shrink to 50 KB.
POSTER_GRAIN = (64, 36)


def poster(seed: int, size: tuple[int, int] = (1920, 1080)) -> bytes:
    """A photo-sized poster: noise, a few blocks of colour and a title."""
    rng = random.Random(seed)
    grain = Image.frombytes(
        "RGB", POSTER_GRAIN, rng.randbytes(POSTER_GRAIN[0] * POSTER_GRAIN[1] * 3)
    )
    image = grain.resize(size, Image.Resampling.BICUBIC)
    _decorate(image, rng, f"Plakat {seed}", blocks=8)
    return _jpeg(image, quality=90)


def small_slide(seed: int, size: tuple[int, int] = (320, 180)) -> bytes:
    """A thumbnail-sized slide, a few KB, different for every seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, _colour(rng))
    _decorate(image, rng, f"Slide {seed}", blocks=3)
    return _jpeg(image, quality=80)


def _decorate(image: Image.Image, rng: random.Random, title: str, blocks: int) -> None:
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(blocks):
        left, top = rng.randrange(width), rng.randrange(height)
        right = left + rng.randrange(1, width // 4 + 2)
        bottom = top + rng.randrange(1, height // 4 + 2)
        draw.rectangle((left, top, right, bottom), fill=_colour(rng))
    draw.text((width // 20, height // 10), title, fill=(255, 255, 255), font_size=height // 9)


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
